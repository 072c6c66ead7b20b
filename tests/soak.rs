//! The TUI under a heavy mix — long replies, resize bursts, a megabyte paste, a key storm, an
//! endless reply and a server answering with HTML — in a real pseudo-terminal. Afterwards it must
//! still answer a key at once: nothing may stop it from reading its input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use support::faults::{self, Fault};
use support::{PtyApp, keys};

/// Types `marker` and returns how long until the screen shows it (the best of three, so one
/// unlucky scheduling slice on a loaded machine does not decide).
fn echo_latency(app: &mut PtyApp, marker: &str) -> Duration {
    let mut best = Duration::MAX;
    for round in 0..3 {
        let text = format!("{marker}{round}");
        app.drain();
        let started = Instant::now();
        app.send_now(text.as_bytes());
        app.wait_text(&text);
        best = best.min(started.elapsed());
        for _ in 0..text.len() {
            app.send_now(b"\x7f");
        }
        app.wait_for("the marker erased", |s| !s.contains(&text));
    }
    best
}

#[test]
fn after_a_heavy_mix_a_key_is_answered_within_100_ms() {
    let words: String = (0..8_000).map(|i| format!("word{i} ")).collect();
    let turns: String = (0..5)
        .map(|i| {
            format!(
                "[[turns]]\ntext = {:?}\n\n",
                format!("Reply {i}: {words}\n\n```rust\nfn main() {{}}\n```\nEND{i}")
            )
        })
        .collect();
    let (home, ws) = support::scripted_home(&format!("fallback = \"ok\"\n{turns}"), "");
    let mut app = PtyApp::spawn(home.path(), ws.path(), &[], 120, 40);
    app.wait_text("Ask the model");
    for i in 0..5 {
        app.send(format!("prompt {i}").as_bytes());
        app.send(keys::ENTER);
        app.wait_text(&format!("END{i}"));
    }
    // A burst of resizes, ending where it began.
    for i in 0..60u16 {
        app.resize(80 + i % 60, 24 + i % 20);
        app.drain();
    }
    app.resize(120, 40);
    // A megabyte pasted at once, then a storm of keys.
    let paste: String = (0..1024)
        .map(|_| format!("{}\n", "x".repeat(1023)))
        .collect();
    app.send_now(b"\x1b[200~");
    app.send_now(paste.as_bytes());
    app.send_now(b"\x1b[201~");
    app.wait_text("[pasted 1,024 lines #1]");
    for _ in 0..20 {
        app.send_now(&b"storm ".repeat(100));
        app.drain();
    }
    app.wait_for("the storm typed", |s| s.contains("storm storm"));
    let latency = echo_latency(&mut app, "Q");
    assert!(
        latency <= Duration::from_millis(100),
        "a key took {latency:?} to reach the screen"
    );
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_reply_and_an_html_page_in_the_tui_end_with_a_message_not_a_hang() {
    for (fault, expect) in [
        (Fault::Endless, "the reply passed"),
        (Fault::Html200, "an HTML page"),
    ] {
        let server = faults::start(fault).await;
        let home = tempfile::tempdir().unwrap();
        let ws = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join("config.toml"),
            faults::config(&server.url, ""),
        )
        .unwrap();
        let (h, w) = (home.path().to_path_buf(), ws.path().to_path_buf());
        let expect = expect.to_string();
        tokio::task::spawn_blocking(move || {
            let mut app = PtyApp::spawn(&h, &w, &[], 120, 40);
            app.wait_text("Ask the model");
            app.send(b"go");
            app.send(keys::ENTER);
            app.wait_text(&expect);
            let latency = echo_latency(&mut app, "W");
            assert!(latency <= Duration::from_millis(100), "{latency:?}");
            app.send(keys::CTRL_Q);
            assert!(app.wait_exit());
        })
        .await
        .unwrap();
    }
}
