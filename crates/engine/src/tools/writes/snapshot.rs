//! Where a command's writes cannot be held in an overlay (no user namespaces, or the sandbox
//! is off), the workspace is read before the command runs and compared after it: what changed
//! becomes the same change set an overlay gives, and whatever is not let through is put back
//! as it was. Ignored build folders (those an overlay would mount through) and git's object
//! store are left out; everything else — `.git`'s config and hooks included — is held.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use crate::changes::Node;

/// The most a snapshot holds, in bytes and in files: a workspace larger than this (less its
/// ignored build folders) cannot have its commands' writes held this way.
const MAX_BYTES: u64 = 512 * 1024 * 1024;
const MAX_FILES: usize = 200_000;

/// What was in the workspace before a command.
#[derive(Debug, Default)]
pub struct Snapshot {
    entries: BTreeMap<PathBuf, Node>,
    skip: Vec<PathBuf>,
}

/// Parts of `.git` that only grow with content git addresses by hash — its object store and
/// logs, the root's and each submodule's (`.git/modules/NAME/objects`) — never a hook or a
/// setting, and far too large to hold.
fn bulk(rel: &Path) -> bool {
    let names: Vec<_> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    let Some(git) = names.iter().position(|n| n == ".git") else {
        return false;
    };
    names[git + 1..]
        .iter()
        .any(|n| matches!(n.as_ref(), "objects" | "logs" | "lfs"))
}

/// A regular file's bytes, read without following a link or waiting on a FIFO.
fn read_file(path: &Path) -> std::io::Result<(Vec<u8>, u32)> {
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    f.read_to_end(&mut bytes)?;
    Ok((bytes, meta.permissions().mode() & 0o7777))
}

/// Every file and link under `root` but what `skip` names (relative folders) and git's bulk.
/// After a command (`after`), a file it left setuid, setgid or sticky loses those bits first:
/// what a command leaves carries permission bits only, as git keeps them.
fn scan(root: &Path, skip: &[PathBuf], after: bool) -> Result<BTreeMap<PathBuf, Node>, String> {
    let mut out = BTreeMap::new();
    let mut bytes = 0u64;
    let skip_owned: Vec<PathBuf> = skip.iter().map(|s| root.join(s)).collect();
    let walk = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .follow_links(false)
        .filter_entry(move |e| !skip_owned.iter().any(|s| e.path() == s))
        .build();
    for entry in walk {
        let entry = entry.map_err(|e| e.to_string())?;
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        if rel.as_os_str().is_empty() || bulk(rel) {
            continue;
        }
        let Some(ft) = entry.file_type() else {
            continue;
        };
        let node = if ft.is_symlink() {
            let target = std::fs::read_link(entry.path()).map_err(|e| e.to_string())?;
            Node::Link {
                target: target.to_string_lossy().into_owned(),
            }
        } else if ft.is_file() {
            let meta = entry.metadata().map_err(|e| e.to_string())?;
            bytes += meta.len();
            if bytes > MAX_BYTES || out.len() >= MAX_FILES {
                return Err(format!(
                    "the workspace holds more than {} MB or {MAX_FILES} files outside its ignored \
                     build folders",
                    MAX_BYTES / (1024 * 1024)
                ));
            }
            let (content, mode) = read_file(entry.path())
                .map_err(|e| format!("cannot read {}: {e}", rel.display()))?;
            if after && mode & 0o7000 != 0 {
                std::fs::set_permissions(
                    entry.path(),
                    std::fs::Permissions::from_mode(mode & 0o777),
                )
                .map_err(|e| format!("cannot reset the mode of {}: {e}", rel.display()))?;
            }
            Node::file(&content, mode)
        } else {
            continue;
        };
        out.insert(rel.to_path_buf(), node);
    }
    Ok(out)
}

/// One path that differs after the command: what it held before and holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Differs {
    pub path: PathBuf,
    pub before: Option<Node>,
    pub after: Option<Node>,
}

impl Snapshot {
    /// Reads the workspace at `root`, leaving out the folders of `skip`.
    pub fn take(root: &Path, skip: Vec<PathBuf>) -> Result<Snapshot, String> {
        Ok(Snapshot {
            entries: scan(root, &skip, false)?,
            skip,
        })
    }

    /// What differs now.
    pub fn diff(&self, root: &Path) -> Result<Vec<Differs>, String> {
        let now = scan(root, &self.skip, true)?;
        let mut out = Vec::new();
        for (path, before) in &self.entries {
            match now.get(path) {
                Some(after) if after == before => {}
                after => out.push(Differs {
                    path: path.clone(),
                    before: Some(before.clone()),
                    after: after.cloned(),
                }),
            }
        }
        for (path, after) in now {
            if !self.entries.contains_key(&path) {
                out.push(Differs {
                    path,
                    before: None,
                    after: Some(after),
                });
            }
        }
        Ok(out)
    }
}

/// Puts `before` back at `root/rel` (removing what is there when `None`), directly: the
/// command's own write is being undone, in a workspace without the sandbox's namespaces.
pub fn restore(root: &Path, rel: &Path, before: Option<&Node>) -> std::io::Result<()> {
    let path = root.join(rel);
    if let Ok(m) = std::fs::symlink_metadata(&path) {
        if m.is_dir() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    match before {
        None => Ok(()),
        Some(Node::Link { target }) => std::os::unix::fs::symlink(target, &path),
        Some(node @ Node::File { mode, .. }) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, node.bytes())?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode))
        }
    }
}

/// Whether `rel` lies inside one of the folders left out.
#[must_use]
pub fn inside(skip: &[PathBuf], rel: &Path) -> bool {
    skip.iter().any(|s| rel.starts_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_finds_writes_deletions_links_and_modes_and_puts_them_back() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::create_dir_all(root.join(".git/objects/ab")).unwrap();
        std::fs::create_dir_all(root.join("target")).unwrap();
        std::fs::write(root.join("src/a.rs"), "a\n").unwrap();
        std::fs::write(root.join("src/b.rs"), "b\n").unwrap();
        std::fs::write(root.join("run.sh"), "echo\n").unwrap();
        std::fs::write(root.join(".git/config"), "[core]\n").unwrap();
        std::fs::create_dir_all(root.join(".git/modules/sub/objects")).unwrap();
        std::fs::write(root.join(".git/modules/sub/config"), "[core]\n").unwrap();
        let snap = Snapshot::take(root, vec![PathBuf::from("target")]).unwrap();
        std::fs::write(root.join("src/a.rs"), "A\n").unwrap();
        std::fs::remove_file(root.join("src/b.rs")).unwrap();
        std::fs::write(root.join("src/c.rs"), "c\n").unwrap();
        std::os::unix::fs::symlink("src", root.join("l")).unwrap();
        std::fs::set_permissions(root.join("run.sh"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        std::fs::write(root.join(".git/config"), "[core]\nfsmonitor = x\n").unwrap();
        std::fs::write(root.join(".git/objects/ab/cd"), "blob").unwrap();
        std::fs::write(root.join(".git/modules/sub/config"), "fsmonitor = x\n").unwrap();
        std::fs::write(root.join(".git/modules/sub/objects/o"), "blob").unwrap();
        std::fs::write(root.join("target/out"), "built").unwrap();
        let diff = snap.diff(root).unwrap();
        let paths: Vec<&str> = diff.iter().map(|d| d.path.to_str().unwrap()).collect();
        assert_eq!(
            paths,
            [
                ".git/config",
                ".git/modules/sub/config",
                "run.sh",
                "src/a.rs",
                "src/b.rs",
                "l",
                "src/c.rs"
            ]
        );
        for d in &diff {
            restore(root, &d.path, d.before.as_ref()).unwrap();
        }
        assert!(snap.diff(root).unwrap().is_empty());
        assert_eq!(
            std::fs::read_to_string(root.join(".git/config")).unwrap(),
            "[core]\n"
        );
        assert_eq!(
            std::fs::read_to_string(root.join(".git/modules/sub/config")).unwrap(),
            "[core]\n",
            "a submodule's git config is put back too"
        );
        assert!(
            root.join("target/out").exists(),
            "ignored build folders are left alone"
        );
    }
}
