//! Writing a reviewed change to disk, and undoing an applied one, with the safety checks:
//! a file that changed since the proposal is never overwritten, and a file that changed since
//! it was applied is never reverted.

use std::path::{Path, PathBuf};

use super::{Clearance, FileError, Kind, Workspace};
use crate::changes::review::ChangeEntry;
use crate::changes::{FileChange, Node, Special};

/// What submitting a review did.
#[derive(Debug, Clone, PartialEq)]
pub enum Submitted {
    /// The file is not what the proposal was based on; nothing was written.
    Conflict { on_disk: Option<String> },
    /// `None` when no accepted hunk changed anything.
    Written(Option<FileChange>),
}

fn resolve(ws: &Workspace, shown: &str) -> Result<PathBuf, String> {
    ws.resolve(shown).map_err(|e| format!("refused: {e}"))
}

/// The file's text now, `None` when it does not exist.
fn read(ws: &Workspace, path: &Path, shown: &str) -> Result<Option<String>, String> {
    match ws.read(path, super::MAX_TEXT_BYTES) {
        Ok((bytes, _)) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| format!("{shown} is not UTF-8 text any more; it was left alone")),
        Err(FileError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Each path's text now (`None`: no such file); a path that cannot be read as text (gone
/// outside the workspace, binary, too large) is left out.
#[must_use]
pub fn current<'a>(
    ws: &Workspace,
    paths: impl IntoIterator<Item = &'a String>,
) -> std::collections::BTreeMap<String, Option<String>> {
    paths
        .into_iter()
        .filter_map(|shown| {
            let path = resolve(ws, shown).ok()?;
            Some((shown.clone(), read(ws, &path, shown).ok()?))
        })
        .collect()
}

fn exists(ws: &Workspace, path: &Path) -> Result<bool, String> {
    ws.kind(path)
        .map(|k| k != Kind::Missing)
        .map_err(|e| e.to_string())
}

/// Writes the accepted hunks of a reviewed change, atomically, unless the file changed on disk
/// since the proposal.
pub fn submit(ws: &Workspace, entry: &ChangeEntry) -> Result<Submitted, String> {
    if let Some(from) = &entry.change.renamed_from {
        return submit_rename(ws, entry, from);
    }
    if let Some(special) = &entry.change.special {
        return submit_special(ws, entry, special);
    }
    let shown = &entry.change.path;
    let path = resolve(ws, shown)?;
    let on_disk = read(ws, &path, shown)?;
    if on_disk != entry.change.before {
        return Ok(Submitted::Conflict { on_disk });
    }
    let result = entry.result();
    let deleted = entry.change.after.is_none()
        && result.is_empty()
        && entry
            .hunks
            .iter()
            .all(|h| entry.verdicts.contains_key(&h.id));
    if deleted && on_disk.is_some() {
        ws.remove(&path, Clearance::Reviewed)
            .map_err(|e| format!("cannot delete {shown}: {e}"))?;
        return Ok(Submitted::Written(Some(FileChange::new(
            shown.clone(),
            on_disk,
            None,
        ))));
    }
    if on_disk.as_deref().unwrap_or("") == result && (on_disk.is_some() || result.is_empty()) {
        return Ok(Submitted::Written(None));
    }
    let dirs = ws.missing_dirs(&path);
    // A new file keeps the mode its writer gave it (a command's script stays executable).
    let mode = entry.change.mode.filter(|_| on_disk.is_none());
    ws.write(&path, result.as_bytes(), mode, Clearance::Reviewed)
        .map_err(|e| format!("cannot write {shown}: {e}"))?;
    Ok(Submitted::Written(Some(
        FileChange::new(shown.clone(), on_disk, Some(result)).creating(dirs),
    )))
}

/// A move: done when accepted, unless the source changed or the target appeared since.
fn submit_rename(ws: &Workspace, entry: &ChangeEntry, from: &str) -> Result<Submitted, String> {
    let source = resolve(ws, from)?;
    let target = resolve(ws, &entry.change.path)?;
    let on_disk = read(ws, &source, from)?;
    if on_disk != entry.change.before || exists(ws, &target)? {
        return Ok(Submitted::Conflict { on_disk });
    }
    if !entry.hunks.iter().all(|h| {
        entry
            .verdicts
            .get(&h.id)
            .is_some_and(crate::changes::hunks::Verdict::writes)
    }) {
        return Ok(Submitted::Written(None));
    }
    let dirs = ws.missing_dirs(&target);
    ws.rename(&source, &target, Clearance::Reviewed)
        .map_err(|e| format!("cannot move {from}: {e}"))?;
    Ok(Submitted::Written(Some(
        entry.change.clone().creating(dirs),
    )))
}

/// What is at `path` now, as a special change records it.
fn node(ws: &Workspace, path: &Path) -> Result<Option<Node>, String> {
    ws.node(path, MAX_NODE_BYTES).map_err(|e| e.to_string())
}

/// The largest file a command's change carries whole (binary, or a mode change).
pub const MAX_NODE_BYTES: usize = 8 * 1024 * 1024;

/// Puts `node` at `path` (removing what is there when `None`).
pub fn place(
    ws: &Workspace,
    path: &Path,
    node: Option<&Node>,
    clearance: Clearance,
) -> Result<(), String> {
    let shown = ws.display(path);
    let done = match node {
        Some(Node::File { mode, .. }) => ws.write(
            path,
            &node.map(Node::bytes).unwrap_or_default(),
            Some(*mode),
            clearance,
        ),
        Some(Node::Link { target }) => ws.symlink(path, target, clearance),
        None => match ws.kind(path) {
            Ok(Kind::Missing) => Ok(()),
            _ => ws.remove(path, clearance),
        },
    };
    done.map_err(|e| format!("cannot write {shown}: {e}"))
}

/// A change decided whole (a command's binary file, link or mode): written when accepted,
/// unless what is there is no longer what it was based on.
fn submit_special(
    ws: &Workspace,
    entry: &ChangeEntry,
    special: &Special,
) -> Result<Submitted, String> {
    let path = resolve(ws, &entry.change.path)?;
    let now = node(ws, &path)?;
    if now != special.before {
        return Ok(Submitted::Conflict {
            on_disk: now.as_ref().map(Node::describe),
        });
    }
    let accepted = entry.hunks.iter().all(|h| {
        entry
            .verdicts
            .get(&h.id)
            .is_some_and(crate::changes::hunks::Verdict::writes)
    });
    if !accepted {
        return Ok(Submitted::Written(None));
    }
    let dirs = ws.missing_dirs(&path);
    place(ws, &path, special.after.as_ref(), Clearance::Reviewed)?;
    Ok(Submitted::Written(Some(
        entry.change.clone().creating(dirs),
    )))
}

/// Reverts what an applied change wrote, unless the file changed since.
pub fn undo(ws: &Workspace, written: &FileChange) -> Result<(), String> {
    if let Some(special) = &written.special {
        let path = resolve(ws, &written.path)?;
        if node(ws, &path)? != special.after {
            return Err(format!(
                "cannot undo the change to {}: it changed after it was applied; it was left \
                 as it is",
                written.path
            ));
        }
        place(ws, &path, special.before.as_ref(), Clearance::Reviewed)?;
        ws.remove_created_dirs(&written.created_dirs);
        return Ok(());
    }
    if let Some(from) = &written.renamed_from {
        let source = resolve(ws, from)?;
        let target = resolve(ws, &written.path)?;
        if read(ws, &target, &written.path)? != written.after || exists(ws, &source)? {
            return Err(format!(
                "cannot undo the move of {from} to {}: one of them changed since; both were \
                 left as they are",
                written.path
            ));
        }
        ws.rename(&target, &source, Clearance::Reviewed)
            .map_err(|e| format!("cannot move {} back: {e}", written.path))?;
        ws.remove_created_dirs(&written.created_dirs);
        return Ok(());
    }
    let shown = &written.path;
    let path = resolve(ws, shown)?;
    let on_disk = read(ws, &path, shown)?;
    if on_disk != written.after {
        return Err(format!(
            "cannot undo the change to {shown}: the file changed after it was applied; \
             it was left as it is"
        ));
    }
    match &written.before {
        Some(before) => ws
            .write(&path, before.as_bytes(), None, Clearance::Reviewed)
            .map_err(|e| format!("cannot write {shown}: {e}")),
        None => {
            ws.remove(&path, Clearance::Reviewed)
                .map_err(|e| format!("cannot delete {shown}: {e}"))?;
            ws.remove_created_dirs(&written.created_dirs);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::hunks::Verdict;
    use crate::changes::review::ChangeLog;
    use crate::protocol::Event;

    fn entry(before: Option<&str>, after: &str) -> ChangeLog {
        let mut log = ChangeLog::new(1);
        log.apply(&Event::ChangeProposed {
            id: "c".into(),
            change: FileChange::new("f.txt".into(), before.map(Into::into), Some(after.into())),
            context: 1,
            checkpoint: None,
        });
        log
    }

    fn decide_all(log: &mut ChangeLog, verdict: &Verdict) {
        let ids: Vec<String> = log.entries[0].hunks.iter().map(|h| h.id.clone()).collect();
        for id in ids {
            log.entries[0].verdicts.insert(id, verdict.clone());
        }
    }

    #[test]
    fn writes_accepted_hunks_and_undoes_them() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path()).unwrap();
        std::fs::write(dir.path().join("f.txt"), "a\r\nb\r\nc").unwrap();
        let mut log = entry(Some("a\r\nb\r\nc"), "a\r\nB\r\nc");
        decide_all(&mut log, &Verdict::Accept);
        let Submitted::Written(Some(written)) = submit(&ws, &log.entries[0]).unwrap() else {
            panic!("expected a write");
        };
        let bytes = std::fs::read(dir.path().join("f.txt")).unwrap();
        assert_eq!(bytes, b"a\r\nB\r\nc");
        undo(&ws, &written).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("f.txt")).unwrap(),
            b"a\r\nb\r\nc"
        );
        // Changed after it was applied: undo refuses and leaves the file.
        std::fs::write(dir.path().join("f.txt"), "mine").unwrap();
        let err = undo(&ws, &written).unwrap_err();
        assert!(err.contains("changed after it was applied"), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("f.txt")).unwrap(),
            "mine"
        );
    }

    #[test]
    fn a_file_changed_since_the_proposal_is_a_conflict_and_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path()).unwrap();
        std::fs::write(dir.path().join("f.txt"), "someone else\n").unwrap();
        let mut log = entry(Some("a\n"), "b\n");
        decide_all(&mut log, &Verdict::Accept);
        assert_eq!(
            submit(&ws, &log.entries[0]).unwrap(),
            Submitted::Conflict {
                on_disk: Some("someone else\n".into())
            }
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("f.txt")).unwrap(),
            "someone else\n"
        );
    }

    #[test]
    fn a_move_is_decided_whole_and_undone() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path()).unwrap();
        std::fs::write(dir.path().join("old.txt"), "text\n").unwrap();
        let mut log = ChangeLog::new(3);
        log.apply(&Event::ChangeProposed {
            id: "m".into(),
            change: FileChange::renamed("old.txt".into(), "sub/new.txt".into(), "text\n".into()),
            context: 3,
            checkpoint: None,
        });
        assert_eq!(log.entries[0].hunks.len(), 1);
        decide_all(&mut log, &Verdict::Accept);
        let Submitted::Written(Some(written)) = submit(&ws, &log.entries[0]).unwrap() else {
            panic!("expected the move");
        };
        assert!(!dir.path().join("old.txt").exists());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("sub/new.txt")).unwrap(),
            "text\n"
        );
        undo(&ws, &written).unwrap();
        assert!(dir.path().join("old.txt").exists() && !dir.path().join("sub/new.txt").exists());
        assert!(
            !dir.path().join("sub").exists(),
            "the folder the move made went with it"
        );
        // Rejected: nothing moves.
        decide_all(&mut log, &Verdict::Reject);
        assert_eq!(
            submit(&ws, &log.entries[0]).unwrap(),
            Submitted::Written(None)
        );
        assert!(dir.path().join("old.txt").exists());
    }

    #[test]
    fn a_deletion_is_written_and_undone() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path()).unwrap();
        std::fs::write(dir.path().join("f.txt"), "a\nb\n").unwrap();
        let mut log = ChangeLog::new(3);
        log.apply(&Event::ChangeProposed {
            id: "d".into(),
            change: FileChange::new("f.txt".into(), Some("a\nb\n".into()), None),
            context: 3,
            checkpoint: None,
        });
        decide_all(&mut log, &Verdict::Accept);
        let Submitted::Written(Some(written)) = submit(&ws, &log.entries[0]).unwrap() else {
            panic!("expected the deletion");
        };
        assert!(!dir.path().join("f.txt").exists());
        undo(&ws, &written).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("f.txt")).unwrap(),
            "a\nb\n"
        );
    }

    #[test]
    fn a_rejected_creation_writes_nothing_and_an_accepted_one_is_undone_by_deleting() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path()).unwrap();
        let mut log = entry(None, "new\n");
        decide_all(&mut log, &Verdict::Reject);
        assert_eq!(
            submit(&ws, &log.entries[0]).unwrap(),
            Submitted::Written(None)
        );
        assert!(!dir.path().join("f.txt").exists());
        decide_all(&mut log, &Verdict::Accept);
        let Submitted::Written(Some(written)) = submit(&ws, &log.entries[0]).unwrap() else {
            panic!("expected a write");
        };
        assert!(dir.path().join("f.txt").exists());
        undo(&ws, &written).unwrap();
        assert!(!dir.path().join("f.txt").exists());

        // In new folders: undone, it leaves no empty folder behind (but keeps a folder that
        // was there before, or holds anything else).
        std::fs::create_dir(dir.path().join("kept")).unwrap();
        for (path, gone) in [("a/b/c.txt", "a"), ("kept/d/e.txt", "kept/d")] {
            let mut log = ChangeLog::new(1);
            log.apply(&Event::ChangeProposed {
                id: "n".into(),
                change: FileChange::new(path.into(), None, Some("x\n".into())),
                context: 1,
                checkpoint: None,
            });
            decide_all(&mut log, &Verdict::Accept);
            let Submitted::Written(Some(written)) = submit(&ws, &log.entries[0]).unwrap() else {
                panic!("expected a write");
            };
            undo(&ws, &written).unwrap();
            assert!(!dir.path().join(gone).exists(), "{path}");
        }
        assert!(dir.path().join("kept").is_dir());
    }
}
