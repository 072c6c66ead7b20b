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
    let lower = program.to_lowercase();
    let modern = [
        "kitty",
        "wezterm",
        "ghostty",
        "iterm",
        "foot",
        "alacritty",
        "rio",
    ]
    .iter()
    .any(|t| lower.contains(t));
    if modern {
        out.push(Check::ok("terminal", format!("{program}: synchronized output, the keyboard protocol (Shift+Enter) and OSC 52 copy")));
    } else {
        out.push(Check::ok("terminal", format!("{program}: synchronized output and the keyboard protocol are used where the terminal has them (without, Alt+Enter is a new line)")));
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
