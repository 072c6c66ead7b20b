//! The terminal the workbench would draw in: its size, colours, what it supports.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;

use super::Check;

pub(super) fn terminal(out: &mut Vec<Check>, env: &BTreeMap<String, String>) {
    let get = |k: &str| env.get(k).map(String::as_str).unwrap_or_default();
    if std::io::stdout().is_terminal() {
        match crossterm::terminal::size() {
            Ok((w, h))
                if w < crate::tui::layout::MIN_WIDTH || h < crate::tui::layout::MIN_HEIGHT =>
            {
                out.push(Check::warn(
                    "terminal",
                    format!(
                        "{w}×{h} is below the {}×{} the panes need",
                        crate::tui::layout::MIN_WIDTH,
                        crate::tui::layout::MIN_HEIGHT
                    ),
                    "make the window larger (gearshift says so instead of drawing panes)",
                ));
            }
            Ok((w, h)) => out.push(Check::ok("terminal", format!("{w}×{h}"))),
            Err(e) => out.push(Check::warn(
                "terminal",
                format!("its size is unknown: {e}"),
                "run gearshift in a terminal emulator",
            )),
        }
    } else {
        out.push(Check::ok(
            "terminal",
            "not a terminal (output redirected): the workbench needs one, `exec` does not",
        ));
    }
    let colorterm = get("COLORTERM");
    if matches!(colorterm, "truecolor" | "24bit") {
        out.push(Check::ok("terminal", "24-bit colour (COLORTERM)"));
    } else {
        out.push(Check::warn(
            "terminal",
            format!("24-bit colour not announced (COLORTERM={colorterm:?}, TERM={:?}): themes are shown in the nearest of 256 colours", get("TERM")),
            "if your terminal has 24-bit colour, export COLORTERM=truecolor",
        ));
    }
    let program = [get("TERM_PROGRAM"), get("TERM")]
        .into_iter()
        .find(|p| !p.is_empty())
        .unwrap_or("unknown");
    if std::io::stdout().is_terminal() {
        features(out, program);
    }
    // OSC 52 is the one feature a terminal cannot be asked about.
    let lower = program.to_lowercase();
    let copies = [
        "kitty",
        "wezterm",
        "ghostty",
        "iterm",
        "foot",
        "alacritty",
        "rio",
        "tmux",
    ]
    .iter()
    .any(|t| lower.contains(t));
    if !copies {
        out.push(Check::ok(
            "terminal",
            format!("{program}: copies (y) use OSC 52, which terminals do not report; if yours lacks it they do not reach the clipboard"),
        ));
    }
    if !get("TMUX").is_empty() {
        let clipboard = std::process::Command::new("tmux")
            .args(["show", "-gv", "set-clipboard"])
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        if clipboard.as_deref() == Some("off") {
            out.push(Check::warn(
                "terminal",
                "inside tmux with set-clipboard off: copies (y) do not reach your clipboard",
                "add `set -g set-clipboard on` to ~/.tmux.conf",
            ));
        }
    }
}

/// Synchronized output and the keyboard protocol, as the terminal itself answers.
fn features(out: &mut Vec<Check>, program: &str) {
    match super::ask::ask(std::time::Duration::from_secs(1)) {
        Ok(answers) if answers.complete => {
            if answers.synchronized == Some(true) {
                out.push(Check::ok(
                    "terminal",
                    "synchronized output: frames are drawn whole",
                ));
            } else {
                out.push(Check::warn(
                    "terminal",
                    format!("{program} has no synchronized output: a frame may show half-drawn while a reply streams"),
                    "a terminal with mode 2026 draws whole frames: kitty, WezTerm, Ghostty, foot, iTerm2, Windows Terminal, Alacritty ≥ 0.13, tmux ≥ 3.4",
                ));
            }
            // gearshift does not switch the protocol on, so in either case Ctrl+Enter may arrive
            // as Enter: the line says which keys always work.
            out.push(Check::ok(
                "terminal",
                if answers.keyboard {
                    "keyboard protocol: the terminal has it, gearshift does not use it yet; Alt+Enter or Ctrl+J make a new line, Ctrl+O sends now"
                } else {
                    "no keyboard protocol (gearshift does not need it): Alt+Enter or Ctrl+J make a new line, Ctrl+O sends now"
                },
            ));
        }
        Ok(_) => out.push(Check::warn(
            "terminal",
            format!("{program} did not answer a device-attributes request within a second"),
            "a terminal that answers (every common emulator does) lets gearshift know what it can draw",
        )),
        Err(e) => out.push(Check::warn(
            "terminal",
            format!("its features could not be asked: {e}"),
            "run `gearshift doctor` in the foreground of the terminal you use gearshift in",
        )),
    }
}
