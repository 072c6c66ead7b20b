//! Which of a command's writes git ignores (build outputs, caches): those are written at once,
//! past the review — unless the gate protects them, or git tracks the file anyway.
//!
//! The rules are read from the workspace as it was before the command (never from what the
//! command wrote: a command that adds `src/` to `.gitignore` does not make its own writes there
//! unreviewed), through the workspace handle (a `.gitignore` that is a FIFO or a link outside
//! is not read). A path is ignored when it, or a folder above it, is ignored by the rules of
//! the folders above that — git's own order: the deepest `.gitignore` decides, `!` re-includes,
//! and nothing inside an ignored folder is looked at.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::tools::Workspace;
use crate::tools::protect::free_folder;

/// The deepest a folder is looked for to be mounted through (`target/`, `web/node_modules/`,
/// `crates/x/target/`), and how many folders are looked at in all (bounded at any size).
const THROUGH_DEPTH: usize = 3;
const THROUGH_LOOKED_AT: usize = 4000;
const THROUGH_MAX: usize = 64;

/// The ignore rules of one workspace, read as needed and kept.
pub struct Ignores {
    ws: Workspace,
    /// Each folder's `.gitignore` (relative folder → rules), read once.
    folders: HashMap<PathBuf, Option<Gitignore>>,
    /// `.git/info/exclude` and the user's global excludes.
    base: Vec<Gitignore>,
}

impl Ignores {
    #[must_use]
    pub fn new(ws: &Workspace) -> Ignores {
        let root = ws.root().to_path_buf();
        let mut base = Vec::new();
        if let Some(exclude) = rules(ws, Path::new(".git/info/exclude"), &root) {
            base.push(exclude);
        }
        let (global, _) = GitignoreBuilder::new(&root).build_global();
        base.push(global);
        Ignores {
            ws: ws.clone(),
            folders: HashMap::new(),
            base,
        }
    }

    /// Whether git ignores `rel` (relative to the root): it or a folder above it.
    pub fn ignored(&mut self, rel: &Path, is_dir: bool) -> bool {
        let names: Vec<_> = rel.components().collect();
        let mut at = PathBuf::new();
        for (i, name) in names.iter().enumerate() {
            at.push(name);
            let dir = i + 1 < names.len() || is_dir;
            if at.file_name().is_some_and(|n| n == ".git") {
                // git never looks inside `.git`; the gate decides about it.
                return false;
            }
            if self.matches(&at, dir) {
                return true;
            }
        }
        false
    }

    /// `rel` itself against the rules of the folders above it, deepest first.
    fn matches(&mut self, rel: &Path, is_dir: bool) -> bool {
        let full = self.ws.root().join(rel);
        let mut folder = rel.parent();
        while let Some(f) = folder {
            if let Some(rules) = self.folder(f) {
                match rules.matched(&full, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
            folder = f.parent();
        }
        for rules in &self.base {
            match rules.matched(&full, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }

    fn folder(&mut self, rel: &Path) -> Option<&Gitignore> {
        if !self.folders.contains_key(rel) {
            let file = rel.join(".gitignore");
            let root = self.ws.root().join(rel);
            let found = rules(&self.ws, &file, &root);
            self.folders.insert(rel.to_path_buf(), found);
        }
        self.folders.get(rel).and_then(Option::as_ref)
    }

    /// The existing, ignored folders a command's overlay mounts through — written in place,
    /// never copied — down to a few levels: only those with nothing protected or
    /// checkpointed inside, and no file git tracks (a tracked file is reviewed, wherever it is).
    pub fn through(&mut self) -> Vec<PathBuf> {
        let candidates = self.through_candidates();
        let tracked = tracked_under(self.ws.root(), &candidates);
        candidates
            .into_iter()
            .filter(|c| !tracked.iter().any(|t| t.starts_with(c)))
            .collect()
    }

    fn through_candidates(&mut self) -> Vec<PathBuf> {
        let ws = self.ws.clone();
        let mut out = Vec::new();
        let mut queue = vec![(PathBuf::new(), 0usize)];
        let mut looked = 0;
        while let Some((dir, depth)) = queue.pop() {
            let Ok(entries) = ws.list(if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                &dir
            }) else {
                continue;
            };
            for (name, is_dir, _) in entries {
                looked += 1;
                if !is_dir || name == ".git" || looked > THROUGH_LOOKED_AT {
                    continue;
                }
                let rel = dir.join(&name);
                // A link to a folder is not a folder to mount.
                if ws.kind(&rel) != Ok(crate::tools::Kind::Dir) {
                    continue;
                }
                if self.ignored(&rel, true) {
                    if free_folder(ws.guard(), ws.checkpoints(), &rel) && out.len() < THROUGH_MAX {
                        out.push(rel);
                    }
                } else if depth + 1 < THROUGH_DEPTH {
                    queue.push((rel, depth + 1));
                }
            }
        }
        out.sort();
        out
    }
}

/// The rules of one ignore file, read through the workspace handle; `None` when there is
/// none (or it is not a regular file inside).
fn rules(ws: &Workspace, file: &Path, root: &Path) -> Option<Gitignore> {
    let (bytes, _) = ws.read(file, 1024 * 1024).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let mut builder = GitignoreBuilder::new(root);
    for line in text.lines() {
        let _ = builder.add_line(None, line);
    }
    builder.build().ok()
}

/// The files git tracks under the folders `dirs` (relative); every path of them when git cannot
/// say (so none is taken for untracked).
#[must_use]
pub fn tracked_under(root: &Path, dirs: &[PathBuf]) -> Vec<PathBuf> {
    if dirs.is_empty() || !root.join(".git").exists() {
        return Vec::new();
    }
    ls_files(root, dirs).unwrap_or_else(|| dirs.to_vec())
}

/// Of `paths` (relative), those git tracks: asked of git itself (`ls-files`), with its
/// file-system monitor off so no hook of the repository runs. Without a repository (or git)
/// nothing is tracked.
#[must_use]
pub fn tracked(root: &Path, paths: &[PathBuf]) -> BTreeSet<PathBuf> {
    if paths.is_empty() || !root.join(".git").exists() {
        return BTreeSet::new();
    }
    // When git cannot say, every path counts as tracked: reviewed rather than let through.
    ls_files(root, paths).map_or_else(
        || paths.iter().cloned().collect(),
        |found| found.into_iter().collect(),
    )
}

/// What git tracks of `paths` (files, or everything under folders), as `git ls-files` lists
/// it with the repository's file-system monitor off; `None` when git cannot say.
fn ls_files(root: &Path, paths: &[PathBuf]) -> Option<Vec<PathBuf>> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "core.fsmonitor=false",
            "ls-files",
            "-z",
            "--cached",
            "--",
        ])
        .args(paths)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status.success().then(|| {
        out.stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_rules_re_includes_and_ignored_folders_follow_gits_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join(".gitignore"), "target/\n*.log\n/build\n").unwrap();
        std::fs::create_dir_all(root.join("web/node_modules/x")).unwrap();
        std::fs::write(root.join("web/.gitignore"), "node_modules/\n!keep.log\n").unwrap();
        std::fs::create_dir_all(root.join("target/debug")).unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::create_dir_all(root.join(".claude")).unwrap();
        std::fs::write(root.join(".gitignore.bak"), "").unwrap();
        let ws = Workspace::new(root).unwrap();
        let mut ig = Ignores::new(&ws);
        assert!(ig.ignored(Path::new("target/debug/app"), false));
        assert!(ig.ignored(Path::new("a.log"), false));
        assert!(ig.ignored(Path::new("src/deep/b.log"), false));
        assert!(!ig.ignored(Path::new("web/keep.log"), false), "re-included");
        assert!(ig.ignored(Path::new("web/node_modules/x/i.js"), false));
        assert!(ig.ignored(Path::new("build/out"), false));
        assert!(
            !ig.ignored(Path::new("src/build/out"), false),
            "/build is the root's"
        );
        assert!(!ig.ignored(Path::new("src/main.rs"), false));
        assert!(!ig.ignored(Path::new(".git/config"), false));
        assert_eq!(
            ig.through(),
            vec![PathBuf::from("target"), PathBuf::from("web/node_modules")]
        );
    }

    #[test]
    fn a_gitignore_that_is_a_fifo_or_a_link_outside_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("rules"), "*\n").unwrap();
        std::os::unix::fs::symlink(outside.path().join("rules"), dir.path().join(".gitignore"))
            .unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        nix::unistd::mkfifo(
            &dir.path().join("sub/.gitignore"),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        let ws = Workspace::new(dir.path()).unwrap();
        let mut ig = Ignores::new(&ws);
        assert!(!ig.ignored(Path::new("src/main.rs"), false));
        assert!(!ig.ignored(Path::new("sub/x"), false));
    }
}
