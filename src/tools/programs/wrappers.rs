//! What gearshift knows of the programs that run another program: wrappers (`env`, `nice`,
//! `xargs` …) and their options that take a value, and shells given a string.

use super::Word;

/// Options of a wrapper that take a value (the next word).
pub(super) fn takes_value(wrapper: &str, option: &str) -> bool {
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

pub(super) const WRAPPERS: [&str; 15] = [
    "env", "command", "builtin", "exec", "nice", "nohup", "timeout", "time", "sudo", "doas",
    "xargs", "setsid", "stdbuf", "ionice", "busybox",
];

pub(super) const SHELLS: [&str; 6] = ["sh", "bash", "zsh", "dash", "ksh", "ash"];

/// `words` without their leading options (and the values those take).
pub(super) fn skip_options(program: &str, words: Vec<(Word, String)>) -> Vec<(Word, String)> {
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
pub(super) fn shell_string(args: &[(Word, String)]) -> Option<String> {
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
