//! Git worktrees for plan steps that run at the same time: each on a scratch branch of its
//! own, made from what the workspace holds now (its uncommitted changes and untracked files
//! too), kept under the repository's git folder — where no command of the model's can write —
//! and removed once its change is merged (see [`merge`]).
//!
//! Every git command here runs with the repository's file-system monitor and hooks off: a
//! worktree is gearshift's, and making one must run nothing of the repository's.

pub mod merge;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A step's worktree: its folder, its branch and the commit it started from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    pub dir: PathBuf,
    pub branch: String,
    pub base: String,
}

/// `git` in `dir`, with nothing of the repository's run: its output, or what it said.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "user.name=gearshift",
            "-c",
            "user.email=gearshift@localhost",
        ])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_string()
}

/// The repository's own git folder (the one its worktrees share), when `root` is the top of
/// a git work tree.
pub fn git_dir(root: &Path) -> Result<PathBuf, String> {
    let top = text(&git(root, &["rev-parse", "--show-toplevel"])?);
    if Path::new(&top) != root {
        return Err(format!(
            "the workspace is not the top of its git repository ({top})"
        ));
    }
    let common = text(&git(root, &["rev-parse", "--git-common-dir"])?);
    let common = root.join(common);
    common
        .canonicalize()
        .map_err(|e| format!("cannot find the git folder: {e}"))
}

/// What the workspace holds now, as a commit: its uncommitted changes to tracked files
/// included (`git stash create`, which touches nothing), else `HEAD`.
fn snapshot(root: &Path) -> Result<String, String> {
    let stashed = text(&git(
        root,
        &["stash", "create", "gearshift: steps at once"],
    )?);
    if !stashed.is_empty() {
        return Ok(stashed);
    }
    git(root, &["rev-parse", "--verify", "HEAD"])
        .map(|o| text(&o))
        .map_err(|_| "the repository has no commit yet".to_string())
}

/// The worktree of `step` in session `session`: a scratch branch `gearshift/<session>/<step>`
/// from what the workspace holds now, in `<git folder>/gearshift/worktrees/`, with the
/// workspace's untracked (not ignored) files copied in.
pub fn add(root: &Path, session: &str, step: &str) -> Result<Tree, String> {
    let (dir, branch) = place(root, session, step)?;
    let base = snapshot(root)?;
    if dir.exists() {
        // Left by a run that stopped: it starts afresh.
        let _ = git(
            root,
            &["worktree", "remove", "--force", &dir.to_string_lossy()],
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    git(
        root,
        &[
            "worktree",
            "add",
            "-B",
            &branch,
            &dir.to_string_lossy(),
            &base,
        ],
    )?;
    // Kept beside it: what the step's change is told against, whatever the worker commits.
    std::fs::write(dir.with_extension("base"), &base)
        .map_err(|e| format!("cannot keep the worktree's base: {e}"))?;
    let tree = Tree { dir, branch, base };
    copy_untracked(root, &tree.dir)?;
    Ok(tree)
}

/// Where a step's worktree lies, and its branch's name.
fn place(root: &Path, session: &str, step: &str) -> Result<(PathBuf, String), String> {
    let short: String = session
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    let step: String = step.chars().filter(char::is_ascii_alphanumeric).collect();
    let dir = git_dir(root)?
        .join("gearshift/worktrees")
        .join(format!("{short}-{step}"));
    Ok((dir, format!("gearshift/{short}/{step}")))
}

/// The workspace's untracked files that git does not ignore, copied into the worktree
/// (regular files only: a link is not followed out of the workspace).
fn copy_untracked(root: &Path, dir: &Path) -> Result<(), String> {
    let listed = git(root, &["ls-files", "-z", "--others", "--exclude-standard"])?;
    for rel in listed.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let rel = PathBuf::from(String::from_utf8_lossy(rel).into_owned());
        let from = root.join(&rel);
        let is_file = std::fs::symlink_metadata(&from).is_ok_and(|m| m.file_type().is_file());
        if !is_file {
            continue;
        }
        let to = dir.join(&rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", rel.display()))?;
        }
        std::fs::copy(&from, &to).map_err(|e| format!("{}: {e}", rel.display()))?;
    }
    Ok(())
}

/// The paths the worktree changed since its base (written, added, deleted — committed or
/// not; ignored files are not a change), relative to its top.
pub fn changed(tree: &Tree) -> Result<Vec<PathBuf>, String> {
    let mut listed = git(
        &tree.dir,
        &["diff", "--no-renames", "--name-only", "-z", &tree.base],
    )?;
    listed.push(0);
    listed.extend(git(
        &tree.dir,
        &["ls-files", "-z", "--others", "--exclude-standard"],
    )?);
    let mut paths: Vec<PathBuf> = listed
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
        .collect();
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// The base's content of `rel`, if it had a file there.
pub fn base_content(tree: &Tree, rel: &Path) -> Option<Vec<u8>> {
    git(
        &tree.dir,
        &[
            "cat-file",
            "blob",
            &format!("{}:{}", tree.base, rel.display()),
        ],
    )
    .ok()
}

/// Removes the worktree and its branch; what could not be removed is said.
pub fn remove(root: &Path, tree: &Tree) -> Result<(), String> {
    let dir = tree.dir.to_string_lossy();
    let removed = git(root, &["worktree", "remove", "--force", &dir]);
    if removed.is_err() && tree.dir.exists() {
        std::fs::remove_dir_all(&tree.dir).map_err(|e| format!("{dir}: {e}"))?;
        let _ = git(root, &["worktree", "prune"]);
    }
    let _ = std::fs::remove_file(tree.dir.with_extension("base"));
    git(root, &["branch", "-D", &tree.branch]).map(|_| ())
}

/// The worktree a step of `session` would have (to find it again after a restart).
pub fn of(root: &Path, session: &str, step: &str) -> Result<Tree, String> {
    let (dir, branch) = place(root, session, step)?;
    let base = std::fs::read_to_string(dir.with_extension("base"))
        .map_err(|_| format!("its worktree {} is gone", dir.display()))?;
    if !dir.is_dir() {
        return Err(format!("its worktree {} is gone", dir.display()));
    }
    Ok(Tree {
        dir,
        branch,
        base: base.trim().to_string(),
    })
}
