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

/// A word of an invocation: its text, or `None` when only running the command would tell
/// (a variable, a substitution, a pattern).
pub type Word = Option<String>;

/// What a command line runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Programs {
    /// Each program run, as its words: the program by its base name, then its arguments (a
    /// program's global options left out).
    pub invocations: Vec<Vec<Word>>,
    /// Why some of it cannot be seen through, if so.
    pub opaque: Vec<String>,
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
                    let (_, subs) = decode(w);
                    for s in subs {
                        walk(&s, out, depth + 1);
                    }
                    if let Some(h) = heredoc.as_mut()
                        && h.is_empty()
                    {
                        *h = w.trim_matches(['\'', '"']).to_string();
                        // The body follows; then the delimiter again.
                        if let Some(Token::Word(body, _)) = tokens.get(i + 1) {
                            if !w.contains(['\'', '"']) {
                                for s in decode(body).1 {
                                    walk(&s, out, depth + 1);
                                }
                            }
                            i += 1;
                            if tokens.get(i + 1).is_some_and(|t| t.to_str() == h.as_str()) {
                                i += 1;
                            }
                        }
                        heredoc = None;
                    }
                } else {
                    let (value, subs) = decode(w);
                    for s in subs {
                        walk(&s, out, depth + 1);
                    }
                    words.push((value, w.clone()));
                }
            }
        }
        i += 1;
    }
    finish(&mut words, out, depth);
}

/// A word's value (when literal) and the command substitutions it runs.
fn decode(word: &str) -> (Word, Vec<String>) {
    let Ok(pieces) = brush_parser::word::parse(word, &brush_parser::ParserOptions::default())
    else {
        return (None, Vec::new());
    };
    let mut value = Some(String::new());
    let mut subs = Vec::new();
    for p in pieces {
        piece(&p.piece, &mut value, &mut subs, false);
    }
    (value, subs)
}

fn piece(p: &WordPiece, value: &mut Word, subs: &mut Vec<String>, quoted: bool) {
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
            for i in inner {
                piece(&i.piece, value, subs, true);
            }
        }
        WordPiece::CommandSubstitution(s) | WordPiece::BackquotedCommandSubstitution(s) => {
            subs.push(s.clone());
            *value = None;
        }
        WordPiece::ParameterExpansion(_)
        | WordPiece::ArithmeticExpression(_)
        | WordPiece::TildeExpansion(_)
        | WordPiece::AnsiCQuotedText(_) => *value = None,
    }
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

/// Options of a wrapper that take a value (the next word).
fn takes_value(wrapper: &str, option: &str) -> bool {
    match wrapper {
        "env" => matches!(option, "-u" | "--unset" | "-C" | "--chdir"),
        "exec" => option == "-a",
        "nice" => matches!(option, "-n" | "--adjustment"),
        "timeout" => matches!(option, "-s" | "--signal" | "-k" | "--kill-after"),
        "time" => matches!(option, "-f" | "--format" | "-o" | "--output"),
        "sudo" | "doas" => matches!(
            option,
            "-u" | "-g" | "-h" | "-p" | "-C" | "-D" | "-r" | "-t" | "-U" | "--user" | "--group"
        ),
        "xargs" => matches!(
            option,
            "-n" | "-I"
                | "-L"
                | "-P"
                | "-d"
                | "-E"
                | "-s"
                | "-a"
                | "--max-args"
                | "--max-procs"
                | "--delimiter"
                | "--arg-file"
        ),
        "ionice" => matches!(option, "-c" | "-n" | "-p"),
        "stdbuf" => matches!(option, "-i" | "-o" | "-e"),
        "git" => matches!(
            option,
            "-C" | "-c"
                | "--git-dir"
                | "--work-tree"
                | "--namespace"
                | "--exec-path"
                | "--config-env"
        ),
        _ => false,
    }
}

const WRAPPERS: [&str; 15] = [
    "env", "command", "builtin", "exec", "nice", "nohup", "timeout", "time", "sudo", "doas",
    "xargs", "setsid", "stdbuf", "ionice", "busybox",
];

const SHELLS: [&str; 6] = ["sh", "bash", "zsh", "dash", "ksh", "ash"];

/// Peels wrappers off `ws` and records the program it leaves (or why it cannot tell).
fn unwrap(mut ws: Vec<(Word, String)>, out: &mut Programs, depth: usize) {
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
                // Its arguments come from input: whatever they are, they may be anything.
                if args.is_empty() {
                    args.push((Some("echo".into()), "echo".into()));
                }
                args.push((None, "(from input)".into()));
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
        let mut args: Vec<Word> = ws[1..].iter().map(|w| w.0.clone()).collect();
        if program == "git" {
            let kept = skip_options("git", ws[1..].to_vec());
            args = kept.into_iter().map(|w| w.0).collect();
        }
        let mut invocation = vec![Some(program)];
        invocation.extend(args);
        out.invocations.push(invocation);
        return;
    }
}

/// `words` without their leading options (and the values those take).
fn skip_options(program: &str, words: Vec<(Word, String)>) -> Vec<(Word, String)> {
    let mut it = words.into_iter().peekable();
    while let Some((value, _)) = it.peek() {
        let Some(v) = value.as_deref() else { break };
        if v == "--" {
            it.next();
            break;
        }
        if !v.starts_with('-') || v == "-" {
            break;
        }
        let option = v.split_once('=').map_or(v, |(o, _)| o).to_string();
        let inline = v.contains('=');
        it.next();
        if takes_value(program, &option) && !inline {
            it.next();
        }
    }
    it.collect()
}

/// The string a shell is given with `-c` (flags may be combined: `-lc`); `None` when it
/// reads its program from input or a file, or the string is not literal.
fn shell_string(args: &[(Word, String)]) -> Option<String> {
    let mut it = args.iter();
    while let Some((value, _)) = it.next() {
        let v = value.as_deref()?;
        if v.starts_with('-') && !v.starts_with("--") && v.contains('c') {
            return it.next()?.0.clone();
        }
        if !v.starts_with('-') {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(command: &str) -> Vec<String> {
        programs(command)
            .invocations
            .iter()
            .map(|i| {
                i.iter()
                    .map(|w| w.clone().unwrap_or_else(|| "?".into()))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    #[test]
    fn wrappers_redirections_assignments_and_options_are_seen_through() {
        for (command, program) in [
            ("git push origin main > /dev/null", "git push origin main"),
            ("git push 2>&1", "git push"),
            ("sh -c 'git push origin main'", "git push origin main"),
            ("bash -lc \"git push\"", "git push"),
            ("env git push", "git push"),
            ("env -u X A=1 git push", "git push"),
            ("git -C . push", "git push"),
            ("git -c core.x=1 --git-dir=.git push", "git push"),
            ("GIT_TRACE=0 git push", "git push"),
            ("command git push", "git push"),
            ("exec git push", "git push"),
            ("nice -n 5 nohup git push", "git push"),
            ("timeout -s KILL 10 git push", "git push"),
            ("time git push", "git push"),
            ("sudo -u me git push", "git push"),
            ("/usr/bin/git push", "git push"),
            ("$PWD/bin/git push", "git push"),
            ("echo $(git push)", "git push"),
            ("x=`git push`", "git push"),
            ("if true; then git push; fi", "git push"),
            ("for b in a; do git push; done", "git push"),
            ("(cd sub && git push)", "git push"),
            ("eval git push", "git push"),
            ("cat > out <<EOF\n$(git push)\nEOF", "git push"),
        ] {
            let got = seen(command);
            assert!(got.iter().any(|g| g == program), "{command:?} → {got:?}");
        }
        // From input: the arguments are unknown, so `git ?` may be a push.
        assert_eq!(seen("echo push | xargs git"), ["echo push", "git ?"]);
        assert_eq!(seen("command -v git"), Vec::<String>::new());
        assert_eq!(seen("git status --short"), ["git status --short"]);
    }

    #[test]
    fn what_cannot_be_seen_through_is_opaque() {
        for command in [
            "$GIT push",
            "echo git push | sh",
            "bash ./deploy.sh",
            "eval \"$CMD\"",
            "sh -c \"$X\"",
            "git push 'unterminated",
        ] {
            let p = programs(command);
            assert!(!p.opaque.is_empty(), "{command:?} → {p:?}");
        }
        assert!(programs("git push; ls -la | grep x").opaque.is_empty());
    }
}
