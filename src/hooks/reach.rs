//! What a hook command can be made to run by whoever writes the workspace (pure but for
//! looking at which named files exist).
//!
//! Hooks may run as the user, outside the sandbox — so whatever such a hook runs must be out of
//! the model's reach, or the model could write code for the next hook to run unconfined. No
//! reading of a command line can tell what a script, an interpreter or a build tool will load
//! (`python3 -c 'import json'` imports a `json.py` from the working folder, `npx` runs
//! `node_modules`, a script may `cd` into the project and run `make`). So the rule is an
//! allowlist, [`as_you`]: a hook runs as the user only when every program it starts is one of
//! the plain utilities hooks are made of (`jq`, `curl`, `notify-send`, `tee`, `grep` …), named
//! by its name (found on a `PATH` cleaned of the workspace, see `run`), and it names no file
//! of the workspace to run. Anything else — a script, an interpreter, a toolchain, a program
//! given by a path — runs in the sandbox, said at start.
//!
//! [`named_files`] lists the files a hook names in the workspace: the write gate protects them
//! like memory files (the model does not rewrite the guard that checks it), and the sandbox
//! keeps them read-only.

use std::path::{Component, Path, PathBuf};

use brush_parser::{Token, tokenize_str};

/// Programs that run no code but the hook's own text: they read their arguments, stdin and the
/// user's own dotfiles, never a file of the working folder as code. Shell built-ins count.
const PLAIN: [&str; 62] = [
    "jq",
    "cat",
    "tee",
    "echo",
    "printf",
    "curl",
    "wget",
    "notify-send",
    "osascript",
    "afplay",
    "paplay",
    "aplay",
    "pw-play",
    "say",
    "terminal-notifier",
    "ntfy",
    "date",
    "mkdir",
    "touch",
    "grep",
    "egrep",
    "fgrep",
    "rg",
    "sed",
    "awk",
    "gawk",
    "head",
    "tail",
    "tr",
    "cut",
    "wc",
    "sort",
    "uniq",
    "test",
    "[",
    "[[",
    "true",
    "false",
    "sleep",
    "logger",
    "tmux",
    "printenv",
    "basename",
    "dirname",
    "realpath",
    "readlink",
    "stat",
    "ls",
    "cp",
    "mv",
    "rm",
    "ln",
    "chmod",
    "cd",
    "exit",
    "read",
    "export",
    "set",
    ":",
    "wall",
    "tput",
    "id",
];

/// Whether a hook with this command line may run as the user: `Err` says what it runs that
/// could load code the model wrote, and it runs in the sandbox instead.
pub fn as_you(command: &str) -> Result<(), String> {
    let programs = crate::tools::programs::programs(command);
    if let Some(why) = programs.opaque.first() {
        return Err(format!("what it runs cannot be told ({why})"));
    }
    // Only what runs counts: an argument of several words (`echo '{"decision": …}'`) is
    // data to a plain program, which is all that may run here.
    for inv in &programs.invocations {
        let Some(first) = inv.first() else { continue };
        let Some(name) = first.as_deref() else {
            return Err("a program named by a variable".into());
        };
        if !PLAIN.contains(&name) {
            return Err(format!("`{name}`, which can run code from the workspace"));
        }
    }
    // A program given by a path into the workspace (relative, or through the project
    // directory's variable) may be the model's `jq`: the walk above keeps only its base name,
    // so the words in command position are looked at here.
    let tokens = tokenize_str(&in_workspace(command, Path::new("."))).unwrap_or_default();
    let mut at_command = true;
    for t in &tokens {
        match t {
            Token::Operator(op, _) => {
                at_command = matches!(op.as_str(), "|" | "||" | "&&" | ";" | "&" | "(" | "|&");
            }
            Token::Word(w, _) if at_command => {
                let w: String = w.chars().filter(|c| !matches!(c, '"' | '\'')).collect();
                if w.contains('=') && !w.starts_with('=') {
                    continue; // an assignment before the program
                }
                if w.contains('/') && !w.starts_with('/') {
                    return Err(format!("`{w}`, a program in the workspace"));
                }
                at_command = false;
            }
            Token::Word(..) => {}
        }
    }
    Ok(())
}

/// The files inside `root` that `command` names, relative to `root`: every word that is a
/// path to an existing file in the workspace, or spelled as a path there (with a `/`) — the
/// project directory's variables read as `root`. Both the path as named and the file it
/// leads to through symlinks are listed, so the gate (which decides on the real path) and a
/// listing agree.
#[must_use]
pub fn named_files(command: &str, root: &Path) -> Vec<PathBuf> {
    let line = in_workspace(command, root);
    let Ok(tokens) = tokenize_str(&line) else {
        return Vec::new();
    };
    let real_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut out: Vec<PathBuf> = Vec::new();
    for token in tokens {
        let Token::Word(word, _) = token else {
            continue;
        };
        // Quotes only group; `--config=path` names `path`.
        let word: String = word.chars().filter(|c| !matches!(c, '"' | '\'')).collect();
        let word = word.rsplit('=').next().unwrap_or(&word);
        if word.is_empty() || word.starts_with('-') || word.contains('$') {
            continue;
        }
        let path = Path::new(word);
        let rel = if path.is_absolute() {
            match path
                .strip_prefix(root)
                .or_else(|_| path.strip_prefix(&real_root))
            {
                Ok(rel) => rel.to_path_buf(),
                Err(_) => continue,
            }
        } else {
            path.to_path_buf()
        };
        let Some(rel) = normal(&rel) else {
            continue;
        };
        let full = root.join(&rel);
        let exists = full.is_file();
        if !exists && !word.contains('/') {
            continue;
        }
        push(&mut out, rel);
        if let Ok(real) = full.canonicalize()
            && let Ok(inside) = real.strip_prefix(&real_root)
        {
            push(&mut out, inside.to_path_buf());
        }
    }
    out
}

/// `command` with the project directory's variables (hooks run there) spelled as `root`.
fn in_workspace(command: &str, root: &Path) -> String {
    let root_text = root.display().to_string();
    let mut line = command.to_string();
    for var in ["CLAUDE_PROJECT_DIR", "GEARSHIFT_PROJECT_DIR", "PWD"] {
        line = line
            .replace(&format!("${{{var}}}"), &root_text)
            .replace(&format!("${var}"), &root_text);
    }
    line
}

fn push(out: &mut Vec<PathBuf>, path: PathBuf) {
    if !path.as_os_str().is_empty() && !out.contains(&path) {
        out.push(path);
    }
}

/// `path` without `.` and with `..` applied, or `None` when it climbs out of the workspace.
fn normal(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hooks_made_of_plain_utilities_run_as_you() {
        for command in [
            "jq -r '.tool_input.command' >> ~/.claude/bash-command-log.txt",
            "notify-send 'Claude Code' 'Awaiting your input'",
            "curl -s -X POST -H 'Content-Type: application/json' -d @- https://hooks.example.com/x",
            "jq -r .tool_input.file_path | xargs -I{} echo edited {} >> /home/me/edits.log",
            "cat >> /tmp/hook.json",
            "echo npm",
            "sh -c 'jq .prompt | tee -a ~/prompts.log'",
            "echo '{\"hookSpecificOutput\": {\"permissionDecision\": \"allow\"}}'",
        ] {
            assert_eq!(as_you(command), Ok(()), "{command}");
        }
        for (command, said) in [
            ("npx prettier --write \"$f\"", "`npx`"),
            ("python3 -c 'import json,sys; print(1)'", "`python3`"),
            ("sh ~/format.sh", "cannot be told"),
            (
                "bash \"$CLAUDE_PROJECT_DIR\"/.claude/hooks/x.sh",
                "cannot be told",
            ),
            ("cd \"$CLAUDE_PROJECT_DIR\" && make fmt", "`make`"),
            ("node ~/.claude/hooks/notify.js", "`node`"),
            ("./scripts/guard.sh", "`guard.sh`"),
            (
                "\"$CLAUDE_PROJECT_DIR\"/bin/jq . > /tmp/x.json",
                "a program in the workspace",
            ),
            ("FOO=1 bin/jq .", "a program in the workspace"),
            ("$TOOL --check", "only known when it runs"),
            ("git status --short", "`git`"),
        ] {
            let why = as_you(command).expect_err(command);
            assert!(why.contains(said), "{command}: {why}");
        }
    }

    #[test]
    fn the_files_a_hook_names_are_listed_through_variables_quotes_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join(".claude/hooks")).unwrap();
        std::fs::create_dir_all(root.join("scripts")).unwrap();
        std::fs::write(root.join("scripts/guard.sh"), "exit 0").unwrap();
        std::fs::write(root.join("lint.py"), "").unwrap();
        std::os::unix::fs::symlink("../../scripts/guard.sh", root.join(".claude/hooks/g.sh"))
            .unwrap();
        let named = |c: &str| named_files(c, root);
        assert_eq!(
            named("\"$CLAUDE_PROJECT_DIR\"/.claude/hooks/g.sh"),
            [
                PathBuf::from(".claude/hooks/g.sh"),
                PathBuf::from("scripts/guard.sh")
            ]
        );
        assert_eq!(named("python3 lint.py --x"), [PathBuf::from("lint.py")]);
        assert_eq!(
            named("./scripts/guard.sh && ${GEARSHIFT_PROJECT_DIR}/tools/missing.sh"),
            [
                PathBuf::from("scripts/guard.sh"),
                PathBuf::from("tools/missing.sh")
            ]
        );
        assert_eq!(
            named("ruff --config=scripts/guard.sh ."),
            [PathBuf::from("scripts/guard.sh")]
        );
        let outside = root.join("../elsewhere.sh").display().to_string();
        assert!(named(&format!("sh {outside} ../x.sh /usr/bin/jq echo")).is_empty());
    }
}
