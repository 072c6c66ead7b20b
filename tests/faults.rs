//! Fault injection: a misbehaving model server, a full disk, a FIFO, runaway commands and
//! signals, each against the real binary. Nothing may hang, grow without bound, panic or fail
//! silently: every case ends with a clear message and what arrived kept.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use gearshift::protocol::Event;
use support::faults::{self, Fault};

struct Run {
    out: Output,
    took: Duration,
    home: tempfile::TempDir,
    _ws: tempfile::TempDir,
}

impl Run {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }

    fn events(&self) -> Vec<Event> {
        support::newest_session(&self.home.path().join("gearshift.db")).1
    }

    /// The reply as stored, and whether it is marked interrupted.
    fn reply(&self) -> Option<(String, bool)> {
        self.events().into_iter().rev().find_map(|e| match e {
            Event::AssistantMessage { text, interrupted } => Some((text, interrupted)),
            _ => None,
        })
    }
}

/// `gearshift exec hi` against a server showing `fault`.
async fn exec(fault: Fault, extra: &str) -> Run {
    let server = faults::start(fault).await;
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        faults::config(&server.url, extra),
    )
    .unwrap();
    let (h, w) = (home.path().to_path_buf(), ws.path().to_path_buf());
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        support::command(&h, &w, &["exec", "hi"])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    Run {
        out,
        took: started.elapsed(),
        home,
        _ws: ws,
    }
}

#[tokio::test]
async fn an_endless_reply_is_stopped_at_the_cap_kept_and_marked() {
    let run = exec(Fault::Endless, "").await;
    assert_eq!(run.out.status.code(), Some(1), "{}", run.stderr());
    assert!(
        run.stderr().contains("the reply passed"),
        "{}",
        run.stderr()
    );
    let (text, interrupted) = run.reply().unwrap();
    assert!(interrupted);
    // The provider's output limit (8,192 tokens for a custom provider) caps it near 256 KiB.
    assert!(
        text.len() >= 200 * 1024 && text.len() <= 400 * 1024,
        "{}",
        text.len()
    );
    let db_bytes: u64 = std::fs::read_dir(run.home.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("gearshift.db"))
        .map(|e| e.metadata().unwrap().len())
        .sum();
    assert!(
        db_bytes < 8 * 1024 * 1024,
        "the database grew to {db_bytes} bytes"
    );
    let checkpoints = run
        .events()
        .iter()
        .filter(|e| matches!(e, Event::AssistantCheckpoint { .. }))
        .count();
    assert!(checkpoints <= 1, "{checkpoints} checkpoints of one reply");
}

#[tokio::test]
async fn a_giant_chunk_is_decoded_whole_without_a_false_timeout() {
    let size = 3 * 1024 * 1024;
    let run = exec(
        Fault::GiantChunk(size),
        "max_output_tokens = 1000000\ncontext_window = 4000000\n[agent]\nmax_reply_bytes = 8388608\n",
    )
    .await;
    assert!(run.out.status.success(), "{}", run.stderr());
    let (text, interrupted) = run.reply().unwrap();
    assert!(!interrupted);
    assert_eq!(text.len(), size);
}

#[tokio::test]
async fn a_chunk_over_the_event_limit_is_refused_by_name() {
    let run = exec(
        Fault::GiantChunk(9 * 1024 * 1024),
        "max_output_tokens = 1000000\ncontext_window = 4000000\n",
    )
    .await;
    assert_eq!(run.out.status.code(), Some(1));
    assert!(
        run.stderr().contains("single stream event larger than"),
        "{}",
        run.stderr()
    );
}

#[tokio::test]
async fn a_stall_after_the_first_bytes_says_so_and_keeps_them() {
    let run = exec(Fault::Stall, "").await;
    assert_eq!(run.out.status.code(), Some(1));
    assert!(
        run.stderr().contains("went silent for 2 s after"),
        "{}",
        run.stderr()
    );
    assert_eq!(run.reply().unwrap(), ("the start, then ".to_string(), true));
}

#[tokio::test]
async fn a_reset_before_the_first_byte_is_retried_then_reported_as_unreachable() {
    let run = exec(Fault::ResetBeforeFirstByte, "").await;
    assert_eq!(run.out.status.code(), Some(1));
    assert!(
        run.stderr().contains("cannot reach faulty"),
        "{}",
        run.stderr()
    );
}

#[tokio::test]
async fn a_reset_after_the_first_byte_is_a_broken_connection_not_unreachable() {
    let run = exec(Fault::ResetAfterFirstByte, "").await;
    assert_eq!(run.out.status.code(), Some(1));
    let err = run.stderr();
    assert!(err.contains("connection to faulty broke after"), "{err}");
    assert!(!err.contains("cannot reach"), "{err}");
    assert_eq!(run.reply().unwrap(), ("half a reply".to_string(), true));
}

#[tokio::test]
async fn an_html_page_with_status_200_is_named_as_such() {
    let run = exec(Fault::Html200, "").await;
    assert_eq!(run.out.status.code(), Some(1));
    assert!(
        run.stderr()
            .contains("answered with an HTML page (\"Sign in to the network\")"),
        "{}",
        run.stderr()
    );
}

#[tokio::test]
async fn invalid_utf8_in_the_stream_is_a_malformed_stream() {
    let run = exec(Fault::InvalidUtf8, "").await;
    assert_eq!(run.out.status.code(), Some(1));
    assert!(run.stderr().contains("not UTF-8"), "{}", run.stderr());
    assert_eq!(run.reply().unwrap(), ("fine so far ".to_string(), true));
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out() {
    let run = exec(Fault::RateLimited(1), "").await;
    assert!(run.out.status.success(), "{}", run.stderr());
    assert!(run.stdout().contains("after waiting, a reply"));
    assert!(
        run.took >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
}

#[tokio::test]
async fn a_429_that_never_clears_reports_the_providers_own_words() {
    let run = exec(
        Fault::AlwaysRateLimited("temporarily rate-limited upstream, please retry shortly"),
        "",
    )
    .await;
    assert_eq!(run.out.status.code(), Some(1));
    assert!(
        run.stderr().contains("temporarily rate-limited upstream"),
        "{}",
        run.stderr()
    );
}

// A full disk mid-reply: the store's failure stops the run with a message and a non-zero exit,
// instead of a silent hang. A real full file system: a 1 MB tmpfs in a user and mount namespace.

#[tokio::test]
async fn a_full_disk_mid_reply_ends_the_run_with_a_message() {
    let probe = std::process::Command::new("unshare")
        .args([
            "-Urm",
            "sh",
            "-c",
            "mount -t tmpfs -o size=64k tmpfs /mnt && echo ok",
        ])
        .output();
    match probe {
        Ok(o) if String::from_utf8_lossy(&o.stdout).contains("ok") => {}
        other => {
            support::skip(
                "a_full_disk_mid_reply_ends_the_run_with_a_message",
                &format!("no user namespaces to mount a small tmpfs: {other:?}"),
            );
            return;
        }
    }
    let server = faults::start(Fault::GiantChunk(2 * 1024 * 1024)).await;
    let outside = tempfile::tempdir().unwrap();
    let home = outside.path().join("home");
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir(&home).unwrap();
    let config = outside.path().join("config.toml");
    std::fs::write(
        &config,
        faults::config(
            &server.url,
            "max_output_tokens = 1000000\ncontext_window = 4000000\n[agent]\nmax_reply_bytes = 8388608\n",
        ),
    )
    .unwrap();
    let script = format!(
        "mount -t tmpfs -o size=1m tmpfs {home} && cp {config} {home}/config.toml && \
         exec {bin} --home {home} --workspace {ws} exec hi",
        home = home.display(),
        config = config.display(),
        bin = env!("CARGO_BIN_EXE_gearshift"),
        ws = ws.path().display(),
    );
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new("unshare");
        cmd.args(["-Urm", "sh", "-c", &script]);
        for var in support::PROVIDER_VARS {
            cmd.env_remove(var);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_at_most(child, Duration::from_secs(60))
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("full") && err.contains("not saved"), "{err}");
}

/// Waits for `child`, reading its output meanwhile; kills it (and fails) if it takes longer
/// than `limit`.
fn wait_at_most(child: std::process::Child, limit: Duration) -> Output {
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output().unwrap());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out,
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("hung: no exit within {limit:?}");
        }
    }
}

// A FIFO in the workspace: reading it neither blocks the tool nor the exit.

#[test]
fn a_fifo_is_refused_by_name_and_nothing_hangs() {
    let script = "[[turns]]\ntool_calls = [{ name = \"read_file\", arguments = { path = \"pipe\" } }, { name = \"grep\", arguments = { pattern = \"x\" } }]\n\n[[turns]]\ntext = \"done\"\n";
    let (home, ws) = support::scripted_home(script, "");
    nix::unistd::mkfifo(
        &ws.path().join("pipe"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    let child = support::command(home.path(), ws.path(), &["exec", "read it"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_at_most(child, Duration::from_secs(30));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, events) = support::newest_session(&home.path().join("gearshift.db"));
    let result = support::session::first_result(&events).unwrap();
    assert!(result.contains("named pipe (FIFO)"), "{result}");
}

// Commands that try to outlive their call: `setsid`, `nohup`, `&`, with the sandbox on and off.

fn running(marker: &str) -> bool {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| {
            std::fs::read(e.path().join("cmdline")).is_ok_and(|c| {
                String::from_utf8_lossy(&c)
                    .replace('\0', " ")
                    .contains(marker)
            })
        })
}

#[test]
fn nothing_a_command_starts_outlives_its_call() {
    for (mode, secs) in [("workspace-write", 4711), ("off", 4712)] {
        let command = format!(
            "setsid sleep {secs} & (setsid sh -c 'sleep {secs}.1 &') ; nohup sleep {secs}.2 >/dev/null 2>&1 & echo started"
        );
        let script = format!(
            "[[turns]]\ntool_calls = [{{ name = \"run_command\", arguments = {{ command = {command:?} }} }}]\n\n[[turns]]\ntext = \"done\"\n"
        );
        let (home, ws) =
            support::scripted_home(&script, &format!("[sandbox]\nmode = \"{mode}\"\n"));
        let started = Instant::now();
        let child = support::command(
            home.path(),
            ws.path(),
            &["exec", "--approve-commands", "go"],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let out = wait_at_most(child, Duration::from_secs(30));
        assert!(
            out.status.success(),
            "{mode}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{mode}: held by the pipe"
        );
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            !running(&format!("sleep {secs}")),
            "{mode}: a process outlived the call"
        );
    }
}

// Signals on `exec`: the reply streaming is kept, marked interrupted, and the exit code says
// which signal.

#[tokio::test]
async fn exec_stopped_by_a_signal_keeps_the_reply_marked_interrupted() {
    for (signal, code) in [("-TERM", 143), ("-HUP", 129), ("-INT", 130)] {
        let server = faults::start(Fault::Stall).await;
        let home = tempfile::tempdir().unwrap();
        let ws = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join("config.toml"),
            faults::config(&server.url, "").replace("idle_timeout = 2", "idle_timeout = 60"),
        )
        .unwrap();
        let child = support::command(home.path(), ws.path(), &["exec", "hi"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id().to_string();
        // Wait for the first bytes to be on screen… and on disk, once cancelled.
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert!(
            std::process::Command::new("kill")
                .args([signal, &pid])
                .status()
                .unwrap()
                .success()
        );
        let out = tokio::task::spawn_blocking(move || wait_at_most(child, Duration::from_secs(20)))
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{signal}");
        let (_, events) = support::newest_session(&home.path().join("gearshift.db"));
        assert!(
            events.contains(&Event::AssistantMessage {
                text: "the start, then ".into(),
                interrupted: true
            }),
            "{signal}: {events:?}"
        );
    }
}
