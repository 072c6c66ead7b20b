//! Every byte the command line prints passes here: text through the one sanitiser
//! ([`crate::safe_text::visible`]: no control or invisible character reaches the terminal
//! raw), JSON through its JSON form ([`crate::safe_text::json`]: the same data, escaped). A
//! reader that went away (`gearshift exec --json | head`) ends the program quietly.

use crate::safe_text;

/// A writer whose every byte passes the sanitiser (or, for JSON, its JSON form) on the way to
/// the terminal — for code that writes with `write!`, whose pieces are whole strings.
pub struct Terminal<W: std::io::Write> {
    inner: W,
    json: bool,
}

impl<W: std::io::Write> std::io::Write for Terminal<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let safe = if self.json {
            safe_text::json(&text)
        } else {
            safe_text::visible(&text)
        };
        match self.inner.write_all(safe.as_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
            other => other.map(|()| buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.inner.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
            other => other,
        }
    }
}

/// stdout for text (`json: false`) or for JSON lines (`json: true`).
#[must_use]
pub fn stdout(json: bool) -> Terminal<std::io::StdoutLock<'static>> {
    Terminal {
        inner: std::io::stdout().lock(),
        json,
    }
}

/// stderr for text: prompts and questions written with `write!`.
#[must_use]
pub fn stderr() -> Terminal<std::io::StderrLock<'static>> {
    Terminal {
        inner: std::io::stderr().lock(),
        json: false,
    }
}

/// A line on stdout whose stretches between the marks `open` and `close` are highlighted:
/// bold yellow on a terminal, `[…]` elsewhere. The text passes the sanitiser piece by piece;
/// only gearshift's own codes reach the terminal raw.
pub fn print_marked(text: &str, open: char, close: char) {
    use std::io::IsTerminal as _;
    let (on, off) = if std::io::stdout().is_terminal() {
        ("\x1b[1;33m", "\x1b[0m")
    } else {
        ("[", "]")
    };
    write(
        std::io::stdout().lock(),
        &marked(text, open, close, (on, off)),
    );
}

fn marked(text: &str, open: char, close: char, (on, off): (&str, &str)) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut piece = String::new();
    for c in text.chars() {
        if c == open || c == close {
            out.push_str(&safe_text::visible(&piece));
            piece.clear();
            out.push_str(if c == open { on } else { off });
        } else {
            piece.push(c);
        }
    }
    out.push_str(&safe_text::visible(&piece));
    out
}

fn write(mut sink: impl std::io::Write, text: &str) {
    if let Err(e) = sink.write_all(text.as_bytes()).and_then(|()| sink.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// Text on stdout.
pub fn print_out(text: &str) {
    write(std::io::stdout().lock(), &safe_text::visible(text));
}

/// Text on stderr.
pub fn print_err(text: &str) {
    write(std::io::stderr().lock(), &safe_text::visible(text));
}

/// JSON on stdout, one value per line.
pub fn json(text: &str) {
    let mut line = safe_text::json(text).into_owned();
    line.push('\n');
    write(std::io::stdout().lock(), &line);
}

/// `print!` through the sanitiser.
macro_rules! out {
    ($($t:tt)*) => { $crate::cli::term::print_out(&format!($($t)*)) };
}

/// `println!` through the sanitiser.
macro_rules! outln {
    () => { $crate::cli::term::print_out("\n") };
    ($($t:tt)*) => { $crate::cli::term::print_out(&format!("{}\n", format_args!($($t)*))) };
}

/// `eprint!` through the sanitiser.
macro_rules! errout {
    ($($t:tt)*) => { $crate::cli::term::print_err(&format!($($t)*)) };
}

/// `eprintln!` through the sanitiser.
macro_rules! errln {
    () => { $crate::cli::term::print_err("\n") };
    ($($t:tt)*) => { $crate::cli::term::print_err(&format!("{}\n", format_args!($($t)*))) };
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_highlights_own_codes_are_raw() {
        let line = "a \u{2}ma\x1b]0;x\x07tch\u{3} \x1b[2J";
        let out = super::marked(line, '\u{2}', '\u{3}', ("\x1b[1m", "\x1b[0m"));
        assert_eq!(out, "a \x1b[1mma␛]0;x␇tch\x1b[0m ␛[2J");
    }
}
