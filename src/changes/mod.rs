//! File changes: what a write did (content before and after), and writing atomically.
//!
//! Every write a tool makes is recorded as a [`FileChange`] event, so the diff pane can show it
//! and undo it later. Writes go to a temporary file in the same directory that is then renamed
//! over the target, keeping the target's permissions: a crash leaves the old or the new file,
//! never half of one.

pub mod disk;
pub mod hunks;
pub mod review;

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One file's change. `before: None` is a creation; `after: None` a deletion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileChange {
    /// Relative to the workspace root.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// SHA-256 of `before`, to detect a file changed on disk since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_hash: Option<String>,
    /// Set for a rename: the old path (`path` is the new one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}

impl FileChange {
    #[must_use]
    pub fn new(path: String, before: Option<String>, after: Option<String>) -> FileChange {
        let base_hash = before.as_deref().map(|b| hash(b.as_bytes()));
        FileChange {
            path,
            before,
            after,
            base_hash,
            renamed_from: None,
        }
    }

    /// A move of `from` to `to`, content unchanged.
    #[must_use]
    pub fn renamed(from: String, to: String, content: String) -> FileChange {
        FileChange {
            renamed_from: Some(from),
            ..FileChange::new(to, Some(content.clone()), Some(content))
        }
    }

    /// Lines added and removed, for summaries.
    #[must_use]
    pub fn line_counts(&self) -> (usize, usize) {
        let before = self.before.as_deref().unwrap_or("");
        let after = self.after.as_deref().unwrap_or("");
        let diff = similar::TextDiff::from_lines(before, after);
        let mut added = 0;
        let mut removed = 0;
        for change in diff.iter_all_changes() {
            match change.tag() {
                similar::ChangeTag::Insert => added += 1,
                similar::ChangeTag::Delete => removed += 1,
                similar::ChangeTag::Equal => {}
            }
        }
        (added, removed)
    }
}

/// Hex SHA-256.
#[must_use]
pub fn hash(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Bytes as lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Writes `bytes` to `path` atomically, creating parent directories and keeping an existing
/// file's permissions.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("the path has no parent directory"))?;
    std::fs::create_dir_all(dir)?;
    let mode = std::fs::metadata(path).ok().map(|m| m.permissions().mode());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.gearshift-{:08x}.tmp", fastrand::u32(..)));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        if let Some(mode) = mode {
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_keeps_the_mode_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.sh");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        atomic_write(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o755
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        atomic_write(&dir.path().join("a/b/c.txt"), b"x").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a/b/c.txt")).unwrap(),
            "x"
        );
    }

    #[test]
    fn counts_and_hash() {
        let c = FileChange::new("f".into(), Some("a\nb\n".into()), Some("a\nc\nd\n".into()));
        assert_eq!(c.line_counts(), (2, 1));
        assert_eq!(c.base_hash.as_deref().map(str::len), Some(64));
        assert_eq!(
            FileChange::new("f".into(), None, Some("x\n".into())).line_counts(),
            (1, 0)
        );
    }
}
