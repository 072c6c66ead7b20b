//! What a hook command can be made to run by whoever writes the workspace (pure but for
//! looking at which named files exist).
//!
//! Hooks run as the user, outside the sandbox — so whatever they run must be out of the
//! model's reach, or the model could write a script and have the next hook run it unconfined.
//! Two things a command line can reach in the workspace:
//!
//! - **Files it names** (`scripts/guard.sh`, `python3 tools/check.py`,
//!   `"$CLAUDE_PROJECT_DIR"/.claude/hooks/x.sh`): [`named_files`] lists them, and the write gate
//!   protects them like memory files — written only through the user's review.
//! - **The workspace's own tooling** (`npx prettier`, `npm run lint`, `cargo clippy`, `make`):
//!   it runs code from `node_modules`, `package.json`, `build.rs`, a `Makefile` — files no
//!   list can cover. [`toolchain`] names the launcher, and such a hook runs in the sandbox.
//!
//! What a named script itself loads (`source lib.sh`) is not followed: keep a hook's script
//! self-contained, or set `[hooks] sandbox = true`.

use std::path::{Component, Path, PathBuf};

use brush_parser::{Token, tokenize_str};

/// Programs that run code the workspace defines (its packages, scripts, build files).
const TOOLCHAINS: [&str; 33] = [
    "npx",
    "npm",
    "pnpm",
    "pnpx",
    "yarn",
    "bun",
    "bunx",
    "deno",
    "cargo",
    "make",
    "gmake",
    "just",
    "gradle",
    "gradlew",
    "mvn",
    "mvnw",
    "poetry",
    "uv",
    "uvx",
    "pipenv",
    "pdm",
    "hatch",
    "tox",
    "nox",
    "rake",
    "bundle",
    "go",
    "composer",
    "dotnet",
    "pre-commit",
    "lint-staged",
    "turbo",
    "nx",
];

/// Folders whose files are packages or build outputs: code the model can change without
/// touching the file a hook names (a package's other modules, the source a binary is built
/// from).
const PACKAGE_DIRS: [&str; 9] = [
    "node_modules",
    ".venv",
    "venv",
    "site-packages",
    "vendor",
    "target",
    "build",
    "dist",
    "out",
];

/// The workspace launcher `command` starts, if any: `npx`, `cargo`, `make` … (anywhere in the
/// line, seen through wrappers and `sh -c`), `python -m` (a module of the workspace), or a
/// file in a package or build folder ([`PACKAGE_DIRS`]). A line that cannot be seen through
/// (a variable as the program) counts as one.
#[must_use]
pub fn toolchain(command: &str) -> Option<String> {
    let programs = crate::tools::programs::programs(command);
    // A shell given a script file (`sh scripts/guard.sh`) runs a file [`named_files`] lists,
    // which the gate protects.
    let opaque = programs
        .opaque
        .iter()
        .find(|why| !why.ends_with("runs a script gearshift cannot read"));
    if let Some(why) = opaque {
        return Some(format!("something it runs cannot be told ({why})"));
    }
    for inv in programs.invocations.iter().chain(&programs.mentioned) {
        let Some(Some(first)) = inv.first() else {
            continue;
        };
        let name = first.rsplit('/').next().unwrap_or(first);
        if TOOLCHAINS.contains(&name) {
            return Some(format!("`{name}`"));
        }
        let python = name.starts_with("python") || name == "py";
        if python && inv[1..].iter().any(|w| w.as_deref() == Some("-m")) {
            return Some(format!("`{name} -m`"));
        }
    }
    // Any word naming a path of the workspace through a package or build folder (the
    // program's own path included, which the walk above keeps only by its base name). Paths
    // elsewhere — absolute, in the home folder — are the user's.
    let tokens = tokenize_str(&in_workspace(command, Path::new("."))).unwrap_or_default();
    let packaged = tokens.iter().find_map(|t| {
        let Token::Word(w, _) = t else { return None };
        let w: String = w.chars().filter(|c| !matches!(c, '"' | '\'')).collect();
        if w.starts_with(['/', '~', '$']) {
            return None;
        }
        Path::new(&w).components().find_map(|c| match c {
            Component::Normal(n) => PACKAGE_DIRS
                .iter()
                .find(|d| n.to_str() == Some(**d))
                .copied(),
            _ => None,
        })
    });
    packaged.map(|dir| format!("a file in `{dir}/`"))
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
    fn the_workspace_tooling_a_hook_starts_is_named() {
        for (command, launcher) in [
            ("npx prettier --write \"$file\"", "`npx`"),
            (
                "jq -r .tool_input.file_path | xargs npx eslint --fix",
                "`npx`",
            ),
            ("cd \"$CLAUDE_PROJECT_DIR\" && cargo clippy -q", "`cargo`"),
            ("env FOO=1 make lint", "`make`"),
            ("sh -c 'npm run lint'", "`npm`"),
            ("python3 -m mypkg.hook", "`python3 -m`"),
            (
                "./node_modules/.bin/tsc --noEmit",
                "a file in `node_modules/`",
            ),
            ("target/release/my-linter \"$f\"", "a file in `target/`"),
            (
                "\"$CLAUDE_PROJECT_DIR\"/node_modules/.bin/eslint",
                "a file in `node_modules/`",
            ),
        ] {
            assert_eq!(toolchain(command).as_deref(), Some(launcher), "{command}");
        }
        for command in [
            "jq -r '.tool_input.command' >> ~/.claude/bash-command-log.txt",
            "python3 \"$CLAUDE_PROJECT_DIR\"/.claude/hooks/check.py",
            "notify-send 'Claude Code' 'Awaiting your input'",
            "echo npm",
            "cat >> /home/me/project/target/hook-log.txt",
        ] {
            assert_eq!(toolchain(command), None, "{command}");
        }
        assert!(toolchain("$TOOL --check").is_some());
        assert_eq!(toolchain("sh scripts/guard.sh"), None);
        assert_eq!(
            toolchain("bash \"$CLAUDE_PROJECT_DIR\"/.claude/hooks/x.sh"),
            None
        );
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
