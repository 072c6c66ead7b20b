//! Which paths the model's writes may not simply reach, and why — decided on the path a write
//! really reaches (see [`Workspace::gate`](super::Workspace::gate)), never on the path as the
//! model spelled it. Pure: names in, a verdict out.

use std::path::{Component, Path, PathBuf};

use super::checkpoints::Checkpoints;

/// What the file tools may touch besides what is always protected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    /// `.env` files are written only through a human's review (`[files] protect_env`).
    pub protect_env: bool,
    /// Read files with several hard links (`[files] read_hard_links`).
    pub read_hard_links: bool,
    /// gearshift's own files and directories that lie inside the workspace (relative paths):
    /// nothing in them is written.
    pub own: Vec<PathBuf>,
    /// Folders inside the workspace git runs hooks from (`core.hooksPath`, relative paths):
    /// written only through review.
    pub hooks: Vec<PathBuf>,
    /// Files of the workspace that gearshift's hooks run (relative paths, see
    /// `hooks::reach::named_files`): written only through review.
    pub hook_files: Vec<PathBuf>,
}

impl Default for Guard {
    fn default() -> Self {
        Guard {
            protect_env: true,
            read_hard_links: false,
            own: Vec::new(),
            hooks: Vec::new(),
            hook_files: Vec::new(),
        }
    }
}

/// Why a path may not simply be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protected {
    /// Never written by the model's tools or commands.
    Never(String),
    /// Written only through a human's explicit review (a checkpoint in the diff pane).
    Review(String),
}

/// Files that instruct or configure later sessions — gearshift's and other agents' — which
/// the model writes only through the human's review, in every gear: what it wrote there would
/// steer the next session (or Claude Code, or Codex) without anyone looking. `names` are the
/// path's components, lowercased.
fn instructions(names: &[String]) -> Option<&'static str> {
    let last = names.last()?;
    if matches!(
        last.as_str(),
        "agents.md" | "claude.md" | "agents.override.md" | "claude.local.md"
    ) {
        return Some(
            "memory files are instructions every later session follows (gearshift's, Claude \
             Code's, Codex's); only the user's review writes one",
        );
    }
    if last == ".mcp.json" || (names.len() == 1 && last == ".claude.json") {
        return Some(
            "`.mcp.json` and `.claude.json` name commands other agents (and gearshift) start; \
             only the user's review writes them",
        );
    }
    match names.first().map(String::as_str) {
        Some(".agents" | ".claude" | ".codex" | ".gearshift") => Some(
            "agent settings, skills and commands are loaded by later sessions (a skill's \
             instructions and scripts, permissions, hooks); only the user's review writes them",
        ),
        _ => None,
    }
}

/// The path's names, lowercased (`.GIT` is `.git` to a case-insensitive file system).
fn names(rel: &Path) -> Vec<String> {
    rel.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_string_lossy().to_lowercase()),
            _ => None,
        })
        .collect()
}

/// Whether the model may write `real` (relative to the workspace root, every symlink already
/// resolved), and if not, why.
#[must_use]
pub fn protection(guard: &Guard, checkpoints: &Checkpoints, real: &Path) -> Option<Protected> {
    let names = names(real);
    if names.iter().any(|n| n == ".git") {
        return Some(Protected::Never(
            "`.git` holds git's config and hooks, which run code on the next git command; \
             the model never writes it (nor a `.git` of its own anywhere)"
                .into(),
        ));
    }
    if names.len() == 2 && names[0] == ".gearshift" && names[1] == "config.toml" {
        return Some(Protected::Never(
            "the workspace's gearshift config could grant permissions; only the user edits it"
                .into(),
        ));
    }
    if guard.own.iter().any(|own| real.starts_with(own)) {
        return Some(Protected::Never(
            "it is one of gearshift's own files (config, database, trust record)".into(),
        ));
    }
    let is_env = names
        .last()
        .is_some_and(|n| n == ".env" || n.starts_with(".env."));
    if guard.protect_env && is_env {
        return Some(Protected::Review(
            "`.env` files hold secrets; only the user's explicit review writes one".into(),
        ));
    }
    let hook_here = |h: &PathBuf| {
        if h == Path::new(".") {
            names.len() == 1 && GIT_HOOKS.contains(&names[0].as_str())
        } else {
            real.starts_with(h)
        }
    };
    if names.first().is_some_and(|n| n == ".husky") || guard.hooks.iter().any(hook_here) {
        return Some(Protected::Review(
            "git runs the hooks in this folder (`core.hooksPath`, husky's `.husky`) on the next \
             commit, checkout or push; only the user's review writes one"
                .into(),
        ));
    }
    if guard.hook_files.iter().any(|f| names == self::names(f)) {
        return Some(Protected::Review(
            "a hook names this file (`[hooks]`, `.claude/settings.json`): what the model wrote \
             there would run at the next hook, or wave through what the hook guards; only the \
             user's review writes it"
                .into(),
        ));
    }
    if let Some(why) = instructions(&names) {
        return Some(Protected::Review(why.into()));
    }
    checkpoints
        .path(&real.to_string_lossy())
        .map(Protected::Review)
}

/// The names git runs as hooks (`githooks(5)`), for a hooks folder that is the workspace's
/// top folder itself.
const GIT_HOOKS: [&str; 28] = [
    "applypatch-msg",
    "pre-applypatch",
    "post-applypatch",
    "pre-commit",
    "pre-merge-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "pre-rebase",
    "post-checkout",
    "post-merge",
    "pre-push",
    "pre-receive",
    "update",
    "proc-receive",
    "post-receive",
    "post-update",
    "reference-transaction",
    "push-to-checkout",
    "pre-auto-gc",
    "post-rewrite",
    "sendemail-validate",
    "fsmonitor-watchman",
    "p4-changelist",
    "p4-prepare-changelist",
    "p4-post-changelist",
    "p4-pre-submit",
    "post-index-change",
];

/// The folders inside `root` that git runs hooks from, relative to it: `core.hooksPath` as
/// git reads it for this repository (from the user's config or the repository's), when it
/// lies inside the workspace. Blocking (one `git config`).
#[must_use]
pub fn hook_folders(root: &Path) -> Vec<PathBuf> {
    let Ok(out) = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["config", "--get", "--path", "core.hooksPath"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
    else {
        return Vec::new();
    };
    let value = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || value.is_empty() {
        return Vec::new();
    }
    // A relative path is relative to where hooks run: the top of the working tree.
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let path = root.join(&value);
    let path = path.canonicalize().unwrap_or(path);
    path.strip_prefix(&root)
        .ok()
        .map(|rel| {
            let rel: PathBuf = rel
                .components()
                .filter(|c| matches!(c, Component::Normal(_)))
                .collect();
            if rel.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                rel
            }
        })
        .into_iter()
        .collect()
}

/// Whether `dir` is a folder git would take for a repository of its own: a `HEAD` file beside
/// `objects/` and `refs/` folders (links not followed) — what git looks for, whatever the
/// folder is called.
#[must_use]
pub fn git_dir_at(dir: &Path) -> bool {
    let is = |name: &str, folder: bool| {
        std::fs::symlink_metadata(dir.join(name))
            .is_ok_and(|m| if folder { m.is_dir() } else { m.is_file() })
    };
    is("HEAD", false) && is("objects", true) && is("refs", true)
}

/// Whether writing `real` (relative, resolved) under `root` makes or writes inside a folder
/// git would take for a repository: inside one already, a `HEAD` beside `objects/` and
/// `refs/`, or `objects/` or `refs/` beside a `HEAD`. The user's next git command there would
/// read its config (and run its `core.fsmonitor`) as a `.git`'s.
#[must_use]
pub fn makes_git_dir(root: &Path, real: &Path) -> bool {
    let names: Vec<&std::ffi::OsStr> = real
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n),
            _ => None,
        })
        .collect();
    let mut at = root.to_path_buf();
    for (i, name) in names.iter().enumerate() {
        if git_dir_at(&at) {
            return true;
        }
        let here = |n: &str, folder: bool| {
            std::fs::symlink_metadata(at.join(n))
                .is_ok_and(|m| if folder { m.is_dir() } else { m.is_file() })
        };
        let last = i + 1 == names.len();
        let made = match name.to_str() {
            Some("HEAD") => last && here("objects", true) && here("refs", true),
            Some("objects" | "refs") => here("HEAD", false),
            _ => false,
        };
        if made {
            return true;
        }
        at.push(name);
    }
    false
}

/// Whether a folder may be written in place, past the gate (an ignored build folder mounted
/// through a command's overlay): nothing in it is protected or checkpointed, whatever its
/// name.
#[must_use]
pub fn free_folder(guard: &Guard, checkpoints: &Checkpoints, real: &Path) -> bool {
    let probe = real.join("x");
    protection(guard, checkpoints, &probe).is_none()
        && !names(real).iter().any(|n| n.starts_with(".env"))
        && !checkpoints.may_match_under(&real.to_string_lossy())
        && !guard.own.iter().any(|own| own.starts_with(real))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_git_runs_hooks_from_is_written_only_through_review() {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let ok = std::process::Command::new("git")
                .arg("-C")
                .arg(dir.path())
                .args(args)
                .output()
                .unwrap()
                .status
                .success();
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q"]);
        assert!(hook_folders(dir.path()).is_empty());
        git(&["config", "core.hooksPath", "tools/githooks"]);
        let guard = Guard {
            hooks: hook_folders(dir.path()),
            ..Guard::default()
        };
        assert_eq!(guard.hooks, [PathBuf::from("tools/githooks")]);
        let none = Checkpoints::default();
        let p = |path: &str| protection(&guard, &none, Path::new(path));
        assert!(matches!(
            p("tools/githooks/pre-commit"),
            Some(Protected::Review(_))
        ));
        assert!(matches!(p(".husky/pre-push"), Some(Protected::Review(_))));
        assert_eq!(p("tools/build.sh"), None);
        // Hooks in the top folder itself: only the hooks' names there.
        let top = Guard {
            hooks: vec![PathBuf::from(".")],
            ..Guard::default()
        };
        assert!(protection(&top, &none, Path::new("post-checkout")).is_some());
        assert!(protection(&top, &none, Path::new("src/post-checkout")).is_none());
    }

    #[test]
    fn protected_paths_are_named_with_their_reason() {
        let guard = Guard::default();
        let none = Checkpoints::default();
        let p = |path: &str| protection(&guard, &none, Path::new(path));
        for path in [
            ".git/config",
            ".git/hooks/pre-commit",
            "sub/.git/HEAD",
            "sub/.git",
            ".GIT/config",
            ".gearshift/config.toml",
        ] {
            assert!(matches!(p(path), Some(Protected::Never(_))), "{path}");
        }
        for path in [
            ".env",
            "app/.env.local",
            ".env.production",
            "AGENTS.md",
            "crates/core/CLAUDE.md",
            "Agents.md",
            ".agents/skills/x/SKILL.md",
            ".claude/settings.json",
            ".claude/skills/pdf/scripts/fill.py",
            ".gearshift/skills/x.md",
            ".gearshift/pipelines/p.toml",
            ".codex/config.toml",
            ".mcp.json",
        ] {
            assert!(matches!(p(path), Some(Protected::Review(_))), "{path}");
        }
        for path in [
            "src/main.rs",
            "docs/agents.md.bak",
            "src/.claude.rs",
            ".envrc",
            ".github/ci.yml",
        ] {
            assert_eq!(p(path), None, "{path}");
        }
        let guard = Guard {
            protect_env: false,
            own: vec![PathBuf::from("home/config.toml")],
            ..Guard::default()
        };
        assert_eq!(protection(&guard, &none, Path::new(".env")), None);
        assert!(matches!(
            protection(&guard, &none, Path::new("home/config.toml")),
            Some(Protected::Never(_))
        ));
    }

    #[test]
    fn only_a_folder_with_nothing_protected_inside_is_written_in_place() {
        let guard = Guard {
            own: vec![PathBuf::from("build/home/db")],
            ..Guard::default()
        };
        let none = Checkpoints::default();
        assert!(free_folder(&guard, &none, Path::new("target")));
        assert!(free_folder(&guard, &none, Path::new("web/node_modules")));
        for f in [
            ".git",
            ".claude",
            ".gearshift",
            ".agents",
            "build",
            "build/home",
        ] {
            assert!(!free_folder(&guard, &none, Path::new(f)), "{f}");
        }
        let rule = crate::config::CheckpointRule {
            name: "gen".into(),
            paths: vec!["target/gen/**".into()],
            ..crate::config::CheckpointRule::default()
        };
        let checks = Checkpoints::new(&[rule]).unwrap();
        assert!(!free_folder(&guard, &checks, Path::new("target")));
        assert!(free_folder(&guard, &checks, Path::new("node_modules")));
    }
}
