//! Git worktrees for plan steps that run at the same time: each on a scratch branch of its
//! own, made from what the workspace holds now (its uncommitted changes and untracked files
//! too), kept under the repository's git folder — where no command of the model's can write —
//! and removed once its change is merged (see [`merge`]).
//!
//! Every git command here runs with the repository's file-system monitor and hooks off: a
//! worktree is gearshift's, and making one must run nothing of the repository's.

pub mod merge;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::changes::Node;

/// A step's worktree: its folder, its branch and the commit it started from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    pub dir: PathBuf,
    pub branch: String,
    pub base: String,
}

impl Tree {
    /// Where git reads the attributes (filters, line endings) of the worktree's files from:
    /// its base — what the workspace held — never a `.gitattributes` its writer put there.
    fn attributes(&self) -> [(&'static str, &OsStr); 1] {
        [("GIT_ATTR_SOURCE", OsStr::new(&self.base))]
    }
}

/// `git` in `dir`, with nothing of the repository's run: its output, or what it said.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    git_with(dir, args, &[])
}

/// [`git`] with these variables set (another index file, where attributes are read from).
fn git_with(dir: &Path, args: &[&str], env: &[(&str, &OsStr)]) -> Result<Vec<u8>, String> {
    let mut command = Command::new("git");
    for (name, value) in env {
        command.env(name, value);
    }
    let out = command
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

/// What the workspace holds now, as a commit on `HEAD` that no branch names: its tracked
/// files as they are, and its untracked files git does not ignore — so a worktree made from it
/// starts where the workspace is, and a change is told against exactly that. Made with a copy
/// of the workspace's index (only files whose stat changed are read again); the workspace and
/// its index are left as they were.
fn snapshot(root: &Path) -> Result<String, String> {
    let head = git(root, &["rev-parse", "--verify", "HEAD"])
        .map(|o| text(&o))
        .map_err(|_| "the repository has no commit yet".to_string())?;
    let index = text(&git(root, &["rev-parse", "--git-path", "index"])?);
    let scratch = tempfile::tempdir().map_err(|e| format!("no scratch folder: {e}"))?;
    let copy = scratch.path().join("index");
    // A repository with nothing staged yet may have no index: git makes one.
    let _ = std::fs::copy(root.join(&index), &copy);
    let index = [("GIT_INDEX_FILE", copy.as_os_str())];
    git_with(root, &["add", "-A", "--", "."], &index)?;
    let tree = text(&git_with(root, &["write-tree"], &index)?);
    git(
        root,
        &[
            "commit-tree",
            &tree,
            "-p",
            &head,
            "-m",
            "gearshift: steps at once",
        ],
    )
    .map(|o| text(&o))
}

/// The worktree of `step` in session `session`: a scratch branch `gearshift/<session>/<step>`
/// from what the workspace holds now (see [`snapshot`]), in `<git folder>/gearshift/worktrees/`.
pub fn add(root: &Path, session: &str, step: &str) -> Result<Tree, String> {
    add_at(root, session, step, &snapshot(root)?)
}

/// Worktrees for `steps`, all from one snapshot of the workspace (steps that start together
/// start from the same place); none is left when one cannot be made.
pub fn add_all(root: &Path, session: &str, steps: &[String]) -> Result<Vec<Tree>, String> {
    let base = snapshot(root)?;
    let mut trees = Vec::new();
    for step in steps {
        match add_at(root, session, step, &base) {
            Ok(tree) => trees.push(tree),
            Err(why) => {
                for tree in &trees {
                    let _ = remove(root, tree);
                }
                return Err(why);
            }
        }
    }
    Ok(trees)
}

/// [`add`] from the commit `base`.
fn add_at(root: &Path, session: &str, step: &str, base: &str) -> Result<Tree, String> {
    let (dir, branch) = place(root, session, step)?;
    let base = base.to_string();
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
    Ok(Tree { dir, branch, base })
}

/// Where a step's worktree lies, and its branch's name.
fn place(root: &Path, session: &str, step: &str) -> Result<(PathBuf, String), String> {
    Ok(placed(&folder(root)?, session, step))
}

/// The folder that holds the repository's worktrees of gearshift's.
fn folder(root: &Path) -> Result<PathBuf, String> {
    Ok(git_dir(root)?.join("gearshift/worktrees"))
}

/// The session's short name in worktrees' names: `<short>-<step>`, `gearshift/<short>/<step>`.
fn short(session: &str) -> String {
    session
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect()
}

/// [`place`] in `folder`.
fn placed(folder: &Path, session: &str, step: &str) -> (PathBuf, String) {
    let short = short(session);
    let step: String = step.chars().filter(char::is_ascii_alphanumeric).collect();
    (
        folder.join(format!("{short}-{step}")),
        format!("gearshift/{short}/{step}"),
    )
}

/// The paths the worktree changed since its base (written, added, deleted — committed or
/// not; ignored files are not a change), relative to its top.
pub fn changed(tree: &Tree) -> Result<Vec<PathBuf>, String> {
    let mut listed = git_with(
        &tree.dir,
        &[
            "diff",
            "--no-renames",
            "--name-only",
            "-z",
            &tree.base,
            "--",
        ],
        &tree.attributes(),
    )?;
    listed.push(0);
    listed.extend(git(
        &tree.dir,
        &["ls-files", "-z", "--others", "--exclude-standard"],
    )?);
    let mut paths: Vec<PathBuf> = listed
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| PathBuf::from(OsStr::from_bytes(p)))
        .collect();
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// What the base held at `rel`, as the workspace would hold it: a file's bytes as git writes
/// them out (its filters and line endings applied) and its mode, a link's target, or nothing.
pub fn base_node(tree: &Tree, rel: &Path) -> Option<Node> {
    let rel = rel.to_str()?;
    let listed = git(&tree.dir, &["ls-tree", "-z", &tree.base, "--", rel]).ok()?;
    // `<mode> <type> <object>\t<path>`
    let meta = listed.split(|b| *b == b'\t').next()?;
    let meta = String::from_utf8_lossy(meta).into_owned();
    let mut fields = meta.split(' ');
    let (mode, kind) = (fields.next()?, fields.next()?);
    let spec = format!("{}:{rel}", tree.base);
    let attributes = tree.attributes();
    match (mode, kind) {
        ("120000", "blob") => {
            let target = git(&tree.dir, &["cat-file", "blob", &spec]).ok()?;
            Some(Node::Link {
                target: String::from_utf8_lossy(&target).into_owned(),
            })
        }
        (_, "blob") => {
            let bytes = git_with(&tree.dir, &["cat-file", "--filters", &spec], &attributes).ok()?;
            let mode = if mode == "100755" { 0o755 } else { 0o644 };
            Some(Node::file(&bytes, mode))
        }
        _ => None,
    }
}

/// Removes the worktree and its branch; what could not be removed is said.
pub fn remove(root: &Path, tree: &Tree) -> Result<(), String> {
    let dir = tree.dir.to_string_lossy();
    let mut problems = Vec::new();
    if git(root, &["worktree", "remove", "--force", &dir]).is_err() && tree.dir.exists() {
        if let Err(e) = std::fs::remove_dir_all(&tree.dir) {
            problems.push(format!("{dir}: {e}"));
        }
        let _ = git(root, &["worktree", "prune"]);
    }
    let _ = std::fs::remove_file(tree.dir.with_extension("base"));
    if let Err(e) = git(root, &["branch", "-D", &tree.branch]) {
        problems.push(format!("branch {}: {e}", tree.branch));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Removes the worktrees of `session` left by a run that stopped (a crash, a revised plan, a
/// cancel whose commands were still writing), all but those of the steps in `keep`.
pub fn prune(root: &Path, session: &str, keep: &[String]) -> Vec<String> {
    let Ok(folder) = folder(root) else {
        return Vec::new();
    };
    let prefix = format!("{}-", short(session));
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(step) = name.strip_prefix(&prefix) else {
            continue;
        };
        // A subagent's (`t…`) goes with its answer, or is kept for the human on purpose.
        if step.is_empty()
            || step.contains('.')
            || step.starts_with('t')
            || keep.iter().any(|k| k == step)
        {
            continue;
        }
        let (dir, branch) = placed(&folder, session, step);
        let base = String::new();
        if let Err(why) = remove(root, &Tree { dir, branch, base }) {
            problems.push(why);
        }
    }
    problems
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

#[cfg(test)]
mod tests;
