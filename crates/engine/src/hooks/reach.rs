//! What a hook may reach besides the sandbox every hook runs in (pure but for looking at
//! which files exist).
//!
//! gearshift's commands run in a sandbox; a hook that ran as the user would be a way around it
//! for the model, whose files and output a hook reads. No reading of a command line can tell
//! what a script, an interpreter or a build tool will load (`python3 -c 'import json'` imports
//! a `json.py` from the working folder, `npx` runs `node_modules`, a script may `cd` into the
//! project and run `make`), nor what a utility does with input the model shaped (`xargs sh
//! -c`, GNU `sed`'s `e`, tmux's `#(…)`). So every hook runs in the command sandbox (unless the
//! user's own config says `[hooks] sandbox = false`), and a hook made only of [`plain`]
//! utilities — which run nothing but the hook's own text — is given what the documented hooks
//! need and the sandbox withholds ([`grants`]): the network for a notifier (`curl`,
//! `notify-send` …) and write access to the files its own line writes outside the workspace
//! (`>> ~/.claude/bash-command-log.txt`, `tee -a ~/prompts.log`).
//!
//! [`named_files`] lists the files a hook names in the workspace: the write gate protects them
//! like memory files (the model does not rewrite the guard that checks it), and the sandbox
//! keeps them read-only.

use std::path::{Component, Path, PathBuf};

use brush_parser::{Token, tokenize_str};

/// Programs that run nothing but the hook's own text, whatever their input: they read their
/// arguments, stdin and the user's own dotfiles, never a file of the working folder as code,
/// and take no option from input (which is why `xargs`, `sed`, `awk`, `tmux` and `osascript`
/// are not here). Shell built-ins count.
const PLAIN: [&str; 39] = [
    "jq",
    "cat",
    "tee",
    "echo",
    "printf",
    "curl",
    "wget",
    "notify-send",
    "afplay",
    "paplay",
    "aplay",
    "pw-play",
    "say",
    "terminal-notifier",
    "ntfy",
    "date",
    "grep",
    "egrep",
    "fgrep",
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
    "printenv",
    "cd",
    "exit",
    "read",
    ":",
    "id",
];

/// The plain programs that reach out: a hook that runs one gets the network.
const NOTIFIERS: [&str; 10] = [
    "curl",
    "wget",
    "notify-send",
    "terminal-notifier",
    "ntfy",
    "say",
    "afplay",
    "paplay",
    "aplay",
    "pw-play",
];

/// Whether a hook's command line is made only of [`PLAIN`] programs, named by their names:
/// `Err` says what else it runs.
pub fn plain(command: &str) -> Result<(), String> {
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
            return Err(format!("`{name}`"));
        }
    }
    // `xargs` turns input into arguments and programs: seen through above, refused here. A
    // program given by a path (the walk above keeps only its base name) may be the model's.
    let tokens = tokenize_str(&in_workspace(command, Path::new("."))).unwrap_or_default();
    let mut at_command = true;
    for t in &tokens {
        match t {
            Token::Operator(op, _) => {
                at_command = matches!(op.as_str(), "|" | "||" | "&&" | ";" | "&" | "(" | "|&");
            }
            Token::Word(w, _) => {
                let w: String = w.chars().filter(|c| !matches!(c, '"' | '\'')).collect();
                if w == "xargs" || w.ends_with("/xargs") {
                    return Err("`xargs`".into());
                }
                if !at_command {
                    continue; // an argument
                }
                // An assignment before the program (`PATH=… jq`, `BASH_ENV=…`) changes what
                // runs: not plain.
                if w.contains('=') {
                    return Err(format!("`{w}`, which sets what the program finds"));
                }
                if w.contains('/') {
                    return Err(format!("`{w}`, a program given by its path"));
                }
                at_command = false;
            }
        }
    }
    Ok(())
}

/// What a [`plain`] hook is given in the sandbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// It runs a notifier: the network (and the desktop's sockets) are open to it.
    pub network: bool,
    /// The files its line writes (`>`, `>>`, `tee`) outside the workspace, absolute: made if
    /// missing, then writable — those files, not their folders.
    pub files: Vec<PathBuf>,
}

/// What `command` (a [`plain`] one) needs that the sandbox withholds; `home` expands `~/` and
/// `$HOME`. A file inside `workspace` is not granted (the workspace is writable already, and
/// a link the model made there could lead anywhere).
#[must_use]
pub fn grants(command: &str, workspace: &Path, home: Option<&Path>) -> Grants {
    let programs = crate::tools::programs::programs(command);
    let network = programs.invocations.iter().any(|inv| {
        inv.first()
            .and_then(Option::as_deref)
            .is_some_and(|p| NOTIFIERS.contains(&p))
    });
    let mut line = command.to_string();
    if let Some(home) = home {
        let h = home.display().to_string();
        line = line
            .replace("${HOME}", &h)
            .replace("$HOME", &h)
            .replace(" ~/", &format!(" {h}/"))
            .replace(">~/", &format!(">{h}/"))
            .replace("'~/", &format!("'{h}/"))
            .replace("\"~/", &format!("\"{h}/"));
    }
    let tokens = tokenize_str(&line).unwrap_or_default();
    let real_ws = workspace
        .canonicalize()
        .unwrap_or_else(|_| workspace.to_path_buf());
    let mut files = Vec::new();
    let mut target_next = false;
    let mut after_tee = false;
    for t in &tokens {
        match t {
            Token::Operator(op, _) => {
                target_next = matches!(op.as_str(), ">" | ">>" | ">|" | "&>" | "&>>");
                if !matches!(op.as_str(), ">" | ">>" | ">|" | "&>" | "&>>" | "<") {
                    after_tee = false;
                }
            }
            Token::Word(w, _) => {
                let w: String = w.chars().filter(|c| !matches!(c, '"' | '\'')).collect();
                let named = target_next || (after_tee && !w.starts_with('-'));
                target_next = false;
                if w == "tee" {
                    after_tee = true;
                    continue;
                }
                let path = Path::new(&w);
                if !named || !path.is_absolute() || path.starts_with("/dev") {
                    continue;
                }
                let Some(clean) = absolute_normal(path) else {
                    continue;
                };
                if clean.starts_with(workspace) || clean.starts_with(&real_ws) {
                    continue;
                }
                if !files.contains(&clean) {
                    files.push(clean);
                }
            }
        }
    }
    Grants { network, files }
}

/// An absolute `path` with `.` and `..` applied (`None` when it climbs above `/`).
fn absolute_normal(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    Some(out)
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
    fn only_hooks_made_of_plain_utilities_are_plain() {
        for command in [
            "jq -r '.tool_input.command' >> ~/.claude/bash-command-log.txt",
            "notify-send 'Claude Code' 'Awaiting your input'",
            "curl -s -X POST -H 'Content-Type: application/json' -d @- https://hooks.example.com/x",
            "cat >> /tmp/hook.json",
            "echo npm",
            "sh -c 'jq .prompt | tee -a ~/prompts.log'",
            "echo '{\"hookSpecificOutput\": {\"permissionDecision\": \"allow\"}}'",
        ] {
            assert_eq!(plain(command), Ok(()), "{command}");
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
                "by its path",
            ),
            ("FOO=1 bin/jq .", "sets what the program finds"),
            ("bin/jq .", "by its path"),
            ("$TOOL --check", "only known when it runs"),
            ("git status --short", "`git`"),
            (
                "PATH=$CLAUDE_PROJECT_DIR/bin jq .",
                "sets what the program finds",
            ),
            ("export PATH=.:$PATH; jq .", "`export`"),
            ("./bin=/jq .", "sets what the program finds"),
            ("jq -r .f | xargs -I{} sh -c 'echo {}'", "`xargs`"),
            ("jq -r .p | xargs sed -n 1p", "`sed`"),
            ("jq -r .p | xargs cat", "`xargs`"),
            ("tmux display-message \"$(jq -r .x)\"", "`tmux`"),
            ("awk 'BEGIN{system(\"id\")}'", "`awk`"),
        ] {
            let why = plain(command).expect_err(command);
            assert!(why.contains(said), "{command}: {why}");
        }
    }

    #[test]
    fn a_plain_hook_is_granted_its_notifier_network_and_the_files_it_writes_outside() {
        let ws = Path::new("/work/project");
        let home = Path::new("/home/me");
        let g = grants(
            "jq -r '.tool_input.command' >> ~/.claude/bash-command-log.txt",
            ws,
            Some(home),
        );
        assert_eq!(
            g,
            Grants {
                network: false,
                files: vec![PathBuf::from("/home/me/.claude/bash-command-log.txt")],
            }
        );
        let g = grants(
            "jq .prompt | tee -a \"$HOME/prompts.log\" /var/log/x/../y.log > /dev/null; curl -d @- https://x",
            ws,
            Some(home),
        );
        assert!(g.network);
        assert_eq!(
            g.files,
            [
                PathBuf::from("/home/me/prompts.log"),
                PathBuf::from("/var/log/y.log")
            ]
        );
        // Nothing in the workspace, nothing relative, nothing read.
        let g = grants(
            "cat < /etc/hosts > log.txt; echo x >> /work/project/.claude/settings.json",
            ws,
            Some(home),
        );
        assert_eq!(g, Grants::default());
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
