//! What a shell command the model asks for really is: parsed, not prefixed.
//!
//! The allowlist (`[approvals] allow_commands`) only ever matches a *simple command of plain
//! words*: no `;`, `&&`, `||`, `|`, `&`, newline, redirection, subshell, substitution, variable,
//! tilde, glob or assignment prefix. Anything else asks, whatever the list says — so
//! `git status; touch X` is never "`git status` plus arguments". Parsing is brush-parser's
//! POSIX/bash tokenizer and word parser; the words of a command that passes are compared word
//! by word with each entry. Commands run with `sh -c`: brush is a bash parser and the pieces we
//! accept (plain text, quotes, backslash escapes) mean the same in every POSIX shell.

use brush_parser::word::WordPiece;
use brush_parser::{Token, tokenize_str};

/// A command as the shell will read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCommand {
    /// The words, unquoted, when the command is one simple command of plain words.
    pub words: Option<Vec<String>>,
    /// Byte offset of the first control operator (`;`, `&&`, `|`, newline…) or redirection:
    /// what follows runs too, and the approval modal highlights it.
    pub split_at: Option<usize>,
    /// Why the command is not a simple one, for the approval modal.
    pub compound: Option<String>,
}

/// Parses `command`.
#[must_use]
pub fn parse(command: &str) -> ParsedCommand {
    let tokens = match tokenize_str(command) {
        Ok(t) => t,
        Err(e) => {
            return ParsedCommand {
                words: None,
                split_at: None,
                compound: Some(format!("it could not be parsed ({e})")),
            };
        }
    };
    let mut words = Vec::new();
    let mut compound = None;
    let mut split_at = None;
    for token in &tokens {
        match token {
            Token::Operator(op, span) => {
                if split_at.is_none() {
                    split_at = Some(span.start.index);
                }
                compound.get_or_insert_with(|| describe_operator(op));
            }
            Token::Word(word, _) => match plain_word(word) {
                Ok(w) => words.push(w),
                Err(why) => {
                    compound.get_or_insert(why);
                }
            },
        }
    }
    if compound.is_none()
        && let Some(first) = words.first()
        && is_assignment(first)
    {
        compound = Some(format!("it sets a variable first (`{first}`)"));
    }
    if compound.is_none() && words.is_empty() {
        compound = Some("it is empty".into());
    }
    ParsedCommand {
        words: compound.is_none().then_some(words),
        split_at,
        compound,
    }
}

fn describe_operator(op: &str) -> String {
    match op {
        ";" | "\n" => "it runs several commands in sequence".into(),
        "&&" | "||" => format!("it chains commands with `{op}`"),
        "|" | "|&" => "it pipes into another command".into(),
        "&" => "it runs a command in the background".into(),
        "(" | ")" => "it opens a subshell or substitution".into(),
        _ => format!("it redirects input or output with `{op}`"),
    }
}

/// The word as the shell passes it on, or why it is not plain.
fn plain_word(word: &str) -> Result<String, String> {
    let pieces = brush_parser::word::parse(word, &brush_parser::ParserOptions::default())
        .map_err(|_| format!("`{word}` could not be parsed"))?;
    let mut out = String::new();
    for p in pieces {
        push_plain(&p.piece, word, &mut out, false)?;
    }
    Ok(out)
}

fn push_plain(piece: &WordPiece, word: &str, out: &mut String, quoted: bool) -> Result<(), String> {
    match piece {
        WordPiece::Text(t) => {
            if !quoted && t.contains(['*', '?', '[']) {
                return Err(format!("`{word}` is a pattern the shell expands"));
            }
            out.push_str(t);
        }
        WordPiece::SingleQuotedText(t) => out.push_str(t),
        WordPiece::EscapeSequence(e) => out.push_str(e.strip_prefix('\\').unwrap_or(e)),
        WordPiece::DoubleQuotedSequence(inner) => {
            for p in inner {
                push_plain(&p.piece, word, out, true)?;
            }
        }
        WordPiece::CommandSubstitution(_) | WordPiece::BackquotedCommandSubstitution(_) => {
            return Err(format!("`{word}` runs another command"));
        }
        WordPiece::ParameterExpansion(_) | WordPiece::ArithmeticExpression(_) => {
            return Err(format!("`{word}` expands a variable"));
        }
        WordPiece::TildeExpansion(_) => return Err(format!("`{word}` expands `~`")),
        WordPiece::AnsiCQuotedText(_) | WordPiece::GettextDoubleQuotedSequence(_) => {
            return Err(format!("`{word}` uses bash-only quoting"));
        }
    }
    Ok(())
}

/// `NAME=value`: the shell would set `NAME` for the command (`LD_PRELOAD=…`, `PATH=…`).
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

/// `[approvals] allow_commands`, compiled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    words: Vec<String>,
    /// The entry's last word ended in `*` (`test:*`): a prefix of the command's word.
    prefix: bool,
    /// The entry ended in `*`: any further arguments.
    rest: bool,
}

impl Entry {
    fn matches(&self, words: &[String]) -> bool {
        let n = self.words.len();
        if words.len() < n || (!self.rest && words.len() != n) {
            return false;
        }
        let Some((last, init)) = self.words.split_last() else {
            return true;
        };
        init[..] == words[..n - 1]
            && if self.prefix {
                words[n - 1].starts_with(last.as_str())
            } else {
                words[n - 1] == *last
            }
    }
}

impl Entry {
    /// Whether this entry may match an invocation whose unknown words (`None`) could be
    /// anything — so they match: what cannot be known is assumed to match (a checkpoint fails
    /// closed). The program is compared by its base name.
    fn may_match(&self, words: &[super::programs::Word]) -> bool {
        let n = self.words.len();
        if words.len() < n || (!self.rest && words.len() != n) {
            return false;
        }
        self.words.iter().enumerate().all(|(i, want)| {
            let want = if i == 0 {
                want.rsplit('/').next().unwrap_or(want)
            } else {
                want.as_str()
            };
            match &words[i] {
                None => true,
                Some(got) if i + 1 == n && self.prefix => got.starts_with(want),
                Some(got) => got == want,
            }
        })
    }
}

impl Entry {
    /// Whether `text` names every word of this entry (a whole word of letters, digits and `_`;
    /// an entry's word of several such parts needs each), the program by its base name.
    fn named_in(&self, text: &[&str]) -> bool {
        let n = self.words.len();
        !self.words.is_empty()
            && self.words.iter().enumerate().all(|(i, word)| {
                let word = if i == 0 {
                    word.rsplit('/').next().unwrap_or(word)
                } else {
                    word.as_str()
                };
                let parts: Vec<&str> = text_words(word).collect();
                parts.iter().enumerate().all(|(k, part)| {
                    let open = self.prefix && i + 1 == n && k + 1 == parts.len();
                    text.iter()
                        .any(|t| if open { t.starts_with(part) } else { t == part })
                })
            })
    }
}

/// The words of a text: runs of letters, digits and `_`.
fn text_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

impl Allowlist {
    /// Whether the text of a command names every word of an entry, wherever and however
    /// they stand: the net under [`Allowlist::may_match`] for checkpoints, never for granting.
    #[must_use]
    pub fn named_in(&self, command: &str) -> bool {
        let text: Vec<&str> = text_words(command).collect();
        self.entries.iter().any(|e| e.named_in(&text))
    }

    /// Whether an entry may match one of the programs a command runs (see
    /// [`super::programs`]): for checkpoints, never for granting.
    #[must_use]
    pub fn may_match(&self, invocation: &[super::programs::Word]) -> bool {
        self.entries.iter().any(|e| e.may_match(invocation))
    }

    /// Compiles the entries; an entry that is not itself plain words (after its `*`) is
    /// returned as an error, so a typo cannot silently allow nothing or too much.
    pub fn new(entries: &[String]) -> Result<Allowlist, String> {
        let mut out = Vec::new();
        for raw in entries {
            let trimmed = raw.trim();
            // `git status *`: any further arguments; `npm run test:*`: also a prefix of the
            // last word (Claude Code's `Bash(npm run test:*)`).
            let (body, rest, prefix) = match trimmed.strip_suffix('*') {
                Some(b) => (
                    b.trim_end(),
                    true,
                    !b.ends_with(char::is_whitespace) && !b.is_empty(),
                ),
                None => (trimmed, false, false),
            };
            let words = if body.is_empty() {
                Vec::new()
            } else {
                parse(body).words.ok_or_else(|| {
                    format!(
                        "[approvals] allow_commands: `{raw}` is not a plain command (words, and \
                         optionally a final `*`)"
                    )
                })?
            };
            if words.is_empty() && !rest {
                return Err("[approvals] allow_commands: an entry is empty".into());
            }
            out.push(Entry {
                words,
                prefix,
                rest,
            });
        }
        Ok(Allowlist { entries: out })
    }

    /// Whether `command` may run without asking: it is one simple command of plain words that
    /// an entry matches word for word (with any further arguments after an entry's `*`).
    #[must_use]
    pub fn allows(&self, command: &str) -> bool {
        // A character that does not show as itself is never pre-approved.
        if crate::safe_text::has_hidden(command) {
            return false;
        }
        let Some(words) = parse(command).words else {
            return false;
        };
        self.entries.iter().any(|e| e.matches(&words))
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> Allowlist {
        Allowlist::new(&entries.iter().map(ToString::to_string).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn a_prefix_entry_never_allows_what_follows_an_operator() {
        let a = list(&["git status*", "cargo test", "npm run test:*", "ls *"]);
        assert!(a.allows("git status"));
        assert!(a.allows("git status --short"));
        assert!(a.allows("  git   'status'  -s "));
        assert!(a.allows("cargo test"));
        assert!(a.allows("npm run test:unit -- --watch"));
        assert!(a.allows("ls"));
        assert!(a.allows("ls -la src"));
        assert!(!a.allows("lsof"));
        assert!(!a.allows("npm run build"));
        for attack in [
            "git status; touch X",
            "git status && touch X",
            "git status || touch X",
            "git status | sh",
            "git status & touch X",
            "git status $(touch X)",
            "git status \"$(touch X)\"",
            "git status `touch X`",
            "git status > X",
            "git status 2>X",
            "git status < /etc/passwd",
            "git status\ntouch X",
            "git status $HOME",
            "git status ~",
            "git status *",
            "GIT_DIR=/tmp git status",
            "LD_PRELOAD=/tmp/x.so git status",
            "(git status)",
            "git status 'unterminated",
            "cargo test --release",
            "cargo test; rm -rf /",
        ] {
            assert!(!a.allows(attack), "{attack:?} was allowed");
        }
    }

    #[test]
    fn star_allows_any_simple_command_but_nothing_compound() {
        let a = list(&["*"]);
        assert!(a.allows("ls -la src"));
        assert!(!a.allows("ls; id"));
        assert!(!a.allows("echo $(id)"));
    }

    #[test]
    fn entries_must_be_plain_words() {
        assert!(Allowlist::new(&["git status; rm *".to_string()]).is_err());
        assert!(Allowlist::new(&[" ".to_string()]).is_err());
        assert!(list(&[]).is_empty());
    }

    #[test]
    fn the_split_point_and_reason_are_reported() {
        let p = parse("cargo test; rm -rf ./important_dir");
        assert_eq!(p.split_at, Some(10));
        assert!(p.compound.unwrap().contains("sequence"));
        let p = parse("echo 'a;b' \"c && d\"");
        assert_eq!(
            p.words,
            Some(vec!["echo".into(), "a;b".into(), "c && d".into()])
        );
        assert_eq!(p.split_at, None);
    }
}
