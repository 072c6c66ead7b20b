//! Which programs a command line runs, seen through what hides them: redirections (`> x`,
//! `2>&1`), assignments (`GIT_TRACE=0 git`), wrappers (`env`, `command`, `exec`, `nice`,
//! `nohup`, `timeout`, `time`, `xargs`, `sudo` …), shells given a string (`sh -c '…'`, `eval`),
//! command substitutions, a program's global options (`git -C DIR -c k=v push`) and its path
//! (`/usr/bin/git`, `$PWD/bin/git` are `git`). `[[checkpoints]] commands` match these.
//!
//! What cannot be seen through — a variable as the program, a shell reading its program from
//! input or a file, `xargs` or `eval` fed something not literal — is reported as *opaque*, and
//! a checkpoint on commands then stops it: fail closed. Tokens come from brush-parser's
//! POSIX/bash tokenizer and word parser (as the allowlist's do); the walk over them is ours,
//! because the question — "which programs, with which leading words" — is not one a parser
//! answers, and a walk over tokens sees every nesting the shell allows without modelling each
//! compound command.

use brush_parser::word::WordPiece;
use brush_parser::{Token, tokenize_str};

use wrappers::{SHELLS, WRAPPERS, shell_string, skip_options};

mod wrappers;

/// A word of an invocation: its text, or `None` when only running the command would tell
/// (a variable, a substitution, a pattern).
pub type Word = Option<String>;

/// What a command line runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Programs {
    /// Each program run, as its words: the program by its base name, then its arguments (a
    /// program's global options left out).
    pub invocations: Vec<Vec<Word>>,
    /// What an argument of several words would run if something gave it to a shell
    /// (`watch 'git push'`, `ssh host "git push"`, `python -c "…"`): read as a command line,
    /// whatever does not parse left out.
    pub mentioned: Vec<Vec<Word>>,
    /// Why some of it cannot be seen through, if so.
    pub opaque: Vec<String>,
}

impl Programs {
    /// Every place a program may start: each invocation (and each one mentioned) from its
    /// program, and again from each literal argument — a program may run the rest of its
    /// words as another (`find . -exec git push ;`, `flock f git push`, `strace git push`).
    /// The first word of each is a base name.
    pub fn starts(&self) -> impl Iterator<Item = Vec<Word>> + '_ {
        self.invocations
            .iter()
            .chain(&self.mentioned)
            .flat_map(|inv| {
                (0..inv.len()).filter_map(move |j| {
                    let first = inv[j].as_deref()?;
                    let mut start =
                        vec![Some(first.rsplit('/').next().unwrap_or(first).to_string())];
                    start.extend(inv[j + 1..].iter().cloned());
                    Some(start)
                })
            })
    }
}

/// How deep `sh -c` and substitutions are followed.
const MAX_DEPTH: usize = 8;

/// The programs `command` runs.
#[must_use]
pub fn programs(command: &str) -> Programs {
    let mut out = Programs::default();
    walk(command, &mut out, 0);
    out
}

const REDIRECTIONS: [&str; 12] = [
    ">", ">>", "<", ">&", "<&", ">|", "<>", "&>", "&>>", "<<<", "<<", "<<-",
];

/// Words that open or close a compound command: not programs.
const KEYWORDS: [&str; 14] = [
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "esac", "in",
];

fn walk(command: &str, out: &mut Programs, depth: usize) {
    if depth > MAX_DEPTH {
        out.opaque
            .push("it nests shells too deeply to follow".into());
        return;
    }
    let tokens = match tokenize_str(command) {
        Ok(t) => t,
        Err(e) => {
            out.opaque.push(format!("it could not be parsed ({e})"));
            return;
        }
    };
    let mut words: Vec<(Word, String)> = Vec::new();
    let mut skip_next = false;
    let mut heredoc: Option<String> = None;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Operator(op, span) => {
                if REDIRECTIONS.contains(&op.as_str()) {
                    // `2>&1`: the number is part of the redirection, not a word.
                    if let Some(Token::Word(w, wspan)) = i.checked_sub(1).map(|j| &tokens[j])
                        && wspan.end.index == span.start.index
                        && w.chars().all(|c| c.is_ascii_digit())
                    {
                        words.pop();
                    }
                    skip_next = true;
                    if op.starts_with("<<") && op != "<<<" {
                        heredoc = Some(String::new());
                    }
                } else {
                    finish(&mut words, out, depth);
                }
            }
            Token::Word(w, _) => {
                if skip_next {
                    skip_next = false;
                    // A redirection's target may still run something: `> $(cmd)`.
                    run(w, out, depth);
                    if let Some(h) = heredoc.as_mut()
                        && h.is_empty()
                    {
                        *h = w.trim_matches(['\'', '"']).to_string();
                        // The body follows; then the delimiter again.
                        if let Some(Token::Word(body, _)) = tokens.get(i + 1) {
                            if !w.contains(['\'', '"']) {
                                run(body, out, depth);
                            }
                            i += 1;
                            if tokens.get(i + 1).is_some_and(|t| t.to_str() == h.as_str()) {
                                i += 1;
                            }
                        }
                        heredoc = None;
                    }
                } else {
                    let value = run(w, out, depth);
                    words.push((value, w.clone()));
                }
            }
        }
        i += 1;
    }
    finish(&mut words, out, depth);
}

/// Walks what a word runs (its command substitutions) and returns its value, when literal.
/// A substitution inside an expansion (`${x:-$(git push)}`, `$(( $(git push) ))`) is not
/// taken apart by the word parser, so the word is opaque.
fn run(word: &str, out: &mut Programs, depth: usize) -> Word {
    let (value, subs, expands) = decode(word);
    for s in subs {
        walk(&s, out, depth + 1);
    }
    if expands && runs_something(word) {
        out.opaque
            .push(format!("`{word}` runs a command inside an expansion"));
    }
    value
}

/// A word's value (when literal), the command substitutions it runs, and whether it holds
/// an expansion whose inside is not taken apart.
fn decode(word: &str) -> (Word, Vec<String>, bool) {
    let Ok(pieces) = brush_parser::word::parse(word, &brush_parser::ParserOptions::default())
    else {
        return (None, Vec::new(), true);
    };
    let mut value = Some(String::new());
    let mut subs = Vec::new();
    let mut expands = false;
    for p in pieces {
        expands |= piece(&p.piece, &mut value, &mut subs, false);
    }
    (value, subs, expands)
}

/// Whether a word's text holds a command or process substitution (`$(`, a backquote,
/// `<(`, `>(`), not counting arithmetic's `$((`.
fn runs_something(word: &str) -> bool {
    word.contains('`')
        || word.contains("<(")
        || word.contains(">(")
        || word
            .match_indices("$(")
            .any(|(i, _)| word.as_bytes().get(i + 2) != Some(&b'('))
}

/// Adds a piece to the word's value; whether it is an expansion whose inside is not taken
/// apart.
fn piece(p: &WordPiece, value: &mut Word, subs: &mut Vec<String>, quoted: bool) -> bool {
    match p {
        WordPiece::Text(t) => {
            if !quoted && t.contains(['*', '?', '[']) {
                *value = None;
            }
            if let Some(v) = value.as_mut() {
                v.push_str(t);
            }
        }
        WordPiece::SingleQuotedText(t) => {
            if let Some(v) = value.as_mut() {
                v.push_str(t);
            }
        }
        WordPiece::EscapeSequence(e) => {
            if let Some(v) = value.as_mut() {
                v.push_str(e.strip_prefix('\\').unwrap_or(e));
            }
        }
        WordPiece::DoubleQuotedSequence(inner) | WordPiece::GettextDoubleQuotedSequence(inner) => {
            let mut expands = false;
            for i in inner {
                expands |= piece(&i.piece, value, subs, true);
            }
            return expands;
        }
        WordPiece::CommandSubstitution(s) | WordPiece::BackquotedCommandSubstitution(s) => {
            subs.push(s.clone());
            *value = None;
        }
        WordPiece::ParameterExpansion(_) | WordPiece::ArithmeticExpression(_) => {
            *value = None;
            return true;
        }
        WordPiece::TildeExpansion(_) | WordPiece::AnsiCQuotedText(_) => *value = None,
    }
    false
}

/// The base name of a program word, when the end of it is literal (`$PWD/bin/git` is `git`).
fn base_name(value: &Word, raw: &str) -> Word {
    match value {
        Some(v) => Some(v.rsplit('/').next().unwrap_or(v).to_string()),
        None => {
            let tail = raw.rsplit('/').next().unwrap_or(raw);
            let literal = raw.contains('/')
                && !tail.is_empty()
                && tail
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c));
            literal.then(|| tail.to_string())
        }
    }
}

/// One simple command's words are complete: find the program it runs, through wrappers.
fn finish(words: &mut Vec<(Word, String)>, out: &mut Programs, depth: usize) {
    let mut ws: Vec<(Word, String)> = std::mem::take(words);
    // Keywords and assignments before the program.
    while let Some((value, raw)) = ws.first() {
        let keyword = value.as_deref().is_some_and(|v| KEYWORDS.contains(&v));
        if keyword || is_assignment(raw) {
            ws.remove(0);
        } else {
            break;
        }
    }
    if let Some(Some(first)) = ws.first().map(|w| &w.0)
        && matches!(first.as_str(), "for" | "select" | "case" | "function")
    {
        // Their words are names and patterns, not a program (substitutions were walked).
        return;
    }
    unwrap(ws, out, depth);
}

fn is_assignment(raw: &str) -> bool {
    raw.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

/// Peels wrappers off `ws` and records the program it leaves (or why it cannot tell).
fn unwrap(mut ws: Vec<(Word, String)>, out: &mut Programs, depth: usize) {
    // Under `xargs`, the arguments come from input: whatever is written, they may be anything.
    let mut from_input = false;
    loop {
        let Some((value, raw)) = ws.first().cloned() else {
            return;
        };
        let Some(program) = base_name(&value, &raw) else {
            out.opaque
                .push(format!("its program `{raw}` is only known when it runs"));
            return;
        };
        let rest = || ws[1..].to_vec();
        if program == "env"
            && let Some(split) = split_string(&ws[1..])
        {
            // `env -S 'git push'`: env splits the string into the program and its words.
            match split {
                Some(script) => walk(&script, out, depth + 1),
                None => out
                    .opaque
                    .push(format!("`{raw} -S` is given words only known when it runs")),
            }
            return;
        }
        if WRAPPERS.contains(&program.as_str()) {
            if program == "command"
                && ws
                    .get(1)
                    .is_some_and(|w| matches!(w.0.as_deref(), Some("-v" | "-V")))
            {
                return; // `command -v git` looks a program up; it runs nothing
            }
            let mut args = skip_options(&program, rest());
            if program == "env" {
                while args.first().is_some_and(|w| is_assignment(&w.1)) {
                    args.remove(0);
                }
            }
            if program == "timeout" && !args.is_empty() {
                args.remove(0); // the duration
            }
            if program == "xargs" {
                from_input = true;
                if args.is_empty() {
                    args.push((Some("echo".into()), "echo".into()));
                }
            }
            ws = args;
            continue;
        }
        if SHELLS.contains(&program.as_str()) || program == "eval" {
            let script = if program == "eval" {
                let words: Option<Vec<String>> = ws[1..].iter().map(|w| w.0.clone()).collect();
                words.map(|w| w.join(" "))
            } else {
                shell_string(&ws[1..])
            };
            match script {
                Some(s) => walk(&s, out, depth + 1),
                None => out
                    .opaque
                    .push(format!("`{raw}` runs a script gearshift cannot read")),
            }
            return;
        }
        if program == "." || program == "source" {
            out.opaque
                .push(format!("`{raw}` runs a script gearshift cannot read"));
            return;
        }
        let mut args: Vec<Word> = ws[1..].iter().map(|w| w.0.clone()).collect();
        if program == "git" {
            let kept = skip_options("git", ws[1..].to_vec());
            args = kept.into_iter().map(|w| w.0).collect();
            // An alias (from `-c alias.p=push`, `GIT_CONFIG_*` or a config file) or a program
            // git finds by name may run anything: only a command git knows is its name.
            if let Some(sub) = args.first_mut()
                && sub.as_deref().is_some_and(|s| !wrappers::is_git_command(s))
            {
                *sub = None;
            }
        }
        for arg in args.iter().flatten() {
            if arg.contains(char::is_whitespace) {
                mention(arg, out, depth);
            }
        }
        if from_input {
            args = args.iter().map(|_| None).collect();
            args.push(None);
        }
        let mut invocation = vec![Some(program)];
        invocation.extend(args);
        out.invocations.push(invocation);
        return;
    }
}

/// Reads an argument of several words as a command line, into `out.mentioned`; what it
/// cannot read there is left out (it is an argument, perhaps a message, not a command).
fn mention(arg: &str, out: &mut Programs, depth: usize) {
    if depth >= MAX_DEPTH {
        return;
    }
    let mut inner = Programs::default();
    walk(arg, &mut inner, depth + 1);
    out.mentioned.extend(inner.invocations);
    out.mentioned.extend(inner.mentioned);
}

/// `env`'s `-S STRING` / `--split-string=STRING`, with the words after it: `None` when it is
/// not given; `Some(None)` when its words are only known when it runs.
fn split_string(args: &[(Word, String)]) -> Option<Option<String>> {
    let mut it = args.iter();
    while let Some((value, _)) = it.next() {
        let v = value.as_deref()?;
        let short = v.starts_with('-') && !v.starts_with("--");
        let given = if let Some(s) = v.strip_prefix("--split-string=") {
            Some(s.to_string())
        } else if v == "--split-string" {
            it.next().and_then(|w| w.0.clone())
        } else if let Some(at) = v.find('S').filter(|_| short) {
            // `-S STRING`, `-SSTRING`, `-iS STRING`: the rest of the cluster, or the next word.
            match &v[at + 1..] {
                "" => it.next().and_then(|w| w.0.clone()),
                inline => Some(inline.to_string()),
            }
        } else if wrappers::takes_value("env", v) {
            it.next();
            continue;
        } else if v.starts_with('-') || is_assignment(v) {
            continue;
        } else {
            return None;
        };
        let after: Option<Vec<String>> = it.map(|w| w.0.clone()).collect();
        return Some(
            given
                .zip(after)
                .map(|(g, a)| std::iter::once(g).chain(a).collect::<Vec<_>>().join(" ")),
        );
    }
    None
}

#[cfg(test)]
mod tests;
