//! The chat keeps a long tool result in the session store, not in memory: in the real TUI,
//! opening its cell shows it and `y` copies all of it (OSC 52), in the session that ran it and
//! after a resume.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use base64::Engine as _;
use support::{PtyApp, keys};

const SCRIPT: &str = r#"
[[turns]]
tool_calls = [{ name = "read_file", arguments = { path = "big.txt" } }]
[[turns]]
text = "Read it."
"#;

fn big() -> String {
    (1..=120)
        .map(|i| format!("row {i:03} of the big file\n"))
        .collect()
}

/// Selects the tool cell, opens it, waits for its text, and
/// copies it: the clipboard sequence carries the whole result.
/// `above`: entries after the cell (the reply, its usage line, a notice).
fn open_and_copy(app: &mut PtyApp, above: usize) {
    app.send(keys::TAB);
    for _ in 0..=above {
        app.send(b"[");
    }
    app.send(keys::ENTER);
    app.wait_text("row 010 of the big file");
    app.raw.clear();
    app.send(b"y");
    app.wait_text("copied to the clipboard");
    let raw = String::from_utf8_lossy(&app.raw).into_owned();
    let start = raw.find("\x1b]52;c;").expect("an OSC 52 sequence") + 7;
    let end = start + raw[start..].find('\x07').unwrap();
    let copied = base64::engine::general_purpose::STANDARD
        .decode(&raw[start..end])
        .unwrap();
    let copied = String::from_utf8(copied).unwrap();
    assert!(copied.contains("row 120 of the big file"), "{copied}");
    assert_eq!(copied.lines().count(), 120);
}

#[test]
fn a_long_result_is_read_from_the_store_when_opened_or_copied_live_and_resumed() {
    let (home, ws) = support::scripted_home(SCRIPT, "");
    std::fs::write(ws.path().join("big.txt"), big()).unwrap();
    let mut app = PtyApp::spawn(home.path(), ws.path(), &[], 120, 40);
    app.wait_text("Ask the model");
    app.send(b"read big.txt\r");
    app.wait_text("Read it.");
    open_and_copy(&mut app, 2);
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());

    // Resumed: "Resumed session …" comes last.
    let mut app = PtyApp::spawn(home.path(), ws.path(), &["--continue"], 120, 40);
    app.wait_text("Read it.");
    open_and_copy(&mut app, 3);
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());
}
