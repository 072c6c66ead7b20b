//! Asking the terminal what it supports instead of guessing from its name: synchronized output
//! (DECRQM for mode 2026) and the keyboard protocol (kitty's flags query), each followed by a
//! request for the primary device attributes, which every terminal answers, so the doctor knows
//! when the replies are complete without waiting out a timeout.

use std::io::{Read as _, Write as _};
use std::os::fd::AsFd as _;
use std::time::{Duration, Instant};

/// Synchronized output's mode, the keyboard protocol's flags, then the device attributes.
pub(super) const QUERY: &[u8] = b"\x1b[?2026$p\x1b[?u\x1b[c";

/// What the terminal said.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Answers {
    /// `Some(true)` when it knows mode 2026, `Some(false)` when it said it does not, `None`
    /// when it did not answer the question at all (a terminal that predates DECRQM).
    pub synchronized: Option<bool>,
    /// It answered kitty's keyboard-protocol query.
    pub keyboard: bool,
    /// It answered the device-attributes request: the replies are complete.
    pub complete: bool,
}

/// Reads a terminal's replies to [`QUERY`]. Written by hand rather than with a VT parser crate:
/// the three replies have fixed shapes — `CSI ? 2026 ; Ps $ y`, `CSI ? flags u` and
/// `CSI ? attributes c` — and anything else in the input (a key typed meanwhile) is skipped.
pub(super) fn parse(bytes: &[u8]) -> Answers {
    let mut answers = Answers::default();
    let mut rest = bytes;
    while let Some(start) = rest.windows(3).position(|w| w == b"\x1b[?") {
        let body = &rest[start + 3..];
        // A reply's parameters are digits and `;`, then one or two final bytes.
        let params_end = body
            .iter()
            .position(|b| !(b.is_ascii_digit() || *b == b';'))
            .unwrap_or(body.len());
        let params = std::str::from_utf8(&body[..params_end]).unwrap_or_default();
        match &body[params_end..] {
            [b'$', b'y', ..] => {
                if let Some(("2026", state)) = params.split_once(';') {
                    // 1 set, 2 reset, 3 permanently set: the mode exists; 0 unknown and
                    // 4 permanently reset: it cannot be used.
                    answers.synchronized = Some(matches!(state, "1" | "2" | "3"));
                }
            }
            [b'u', ..] => answers.keyboard = true,
            [b'c', ..] => answers.complete = true,
            _ => {}
        }
        rest = &body[params_end..];
    }
    answers
}

/// Puts the terminal in raw mode for as long as it lives.
struct Raw;

impl Raw {
    fn enter() -> std::io::Result<Raw> {
        crossterm::terminal::enable_raw_mode()?;
        Ok(Raw)
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// Sends [`QUERY`] to the controlling terminal and reads its replies until the device
/// attributes arrive or `patience` runs out. `Err` when there is no terminal to ask, or when
/// this process runs in the background (`gearshift doctor &`): changing the terminal's mode
/// from there would stop the job.
pub(super) fn ask(patience: Duration) -> std::io::Result<Answers> {
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")?;
    if nix::unistd::tcgetpgrp(&tty)? != nix::unistd::getpgrp() {
        return Err(std::io::Error::other(
            "gearshift doctor runs in the background",
        ));
    }
    let _raw = Raw::enter()?;
    let answers = read_replies(&mut tty, patience);
    // Replies that come after the patience ran out must not reach the shell as typed text.
    let _ = nix::sys::termios::tcflush(&tty, nix::sys::termios::FlushArg::TCIFLUSH);
    answers
}

fn read_replies(tty: &mut std::fs::File, patience: Duration) -> std::io::Result<Answers> {
    tty.write_all(QUERY)?;
    tty.flush()?;
    let deadline = Instant::now() + patience;
    let mut heard = Vec::new();
    loop {
        let answers = parse(&heard);
        let left = deadline.saturating_duration_since(Instant::now());
        if answers.complete || left.is_zero() {
            return Ok(answers);
        }
        let millis = u16::try_from(left.as_millis().max(1)).unwrap_or(u16::MAX);
        let mut fds = [nix::poll::PollFd::new(
            tty.as_fd(),
            nix::poll::PollFlags::POLLIN,
        )];
        match nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(millis)) {
            Ok(0) => {}
            Ok(_) => {
                let mut buf = [0u8; 256];
                let n = tty.read(&mut buf)?;
                if n == 0 {
                    return Ok(parse(&heard));
                }
                heard.extend_from_slice(&buf[..n]);
            }
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_whatever_else_arrives_between_them() {
        // kitty: mode 2026 reset (so known), keyboard flags 0, device attributes.
        assert_eq!(
            parse(b"\x1b[?2026;2$y\x1b[?0u\x1b[?62;22c"),
            Answers {
                synchronized: Some(true),
                keyboard: true,
                complete: true
            }
        );
        // An older terminal: mode unknown (0), no keyboard reply, a key typed meanwhile.
        assert_eq!(
            parse(b"\x1b[?2026;0$yq\x1b[?1;2c"),
            Answers {
                synchronized: Some(false),
                keyboard: false,
                complete: true
            }
        );
        // No DECRQM at all, and the attributes not yet here.
        assert_eq!(parse(b"\x1b[?6"), Answers::default());
        // Another mode's report says nothing of 2026.
        assert_eq!(parse(b"\x1b[?2004;1$y").synchronized, None);
    }
}
