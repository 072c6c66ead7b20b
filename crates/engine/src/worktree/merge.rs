//! A step's worked change, merged onto the workspace as it is now: each file the worktree
//! changed is three-way merged (`git merge-file`) from the worktree's base, the workspace and
//! the worktree. A clean merge is the change; where both sides changed the same lines, the
//! change holds both, between git's conflict markers, and is flagged as a conflict for the
//! human — never resolved silently. The result is a list of (path, before, after) that goes
//! through the workspace's one gate like any command's writes.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::{Tree, base_node, changed};
use crate::changes::Node;
use crate::tools::Workspace;
use crate::tools::disk::MAX_NODE_BYTES;

/// What merging a worktree's change comes to.
#[derive(Debug, Default)]
pub struct Merged {
    /// (path, what the workspace holds, what it would hold), for the gate.
    pub changes: Vec<(PathBuf, Option<Node>, Option<Node>)>,
    /// The paths both sides changed in the same place (or in a way lines cannot merge).
    pub conflicts: Vec<PathBuf>,
    /// What could not be read, each with why.
    pub problems: Vec<String>,
}

/// Merges `tree`'s change (read through `tree_ws`, its own confined view) onto `ws`;
/// `label` names the step in conflict markers. Blocking.
pub fn merge(
    ws: &Workspace,
    tree_ws: &Workspace,
    tree: &Tree,
    label: &str,
) -> Result<Merged, String> {
    let mut out = Merged::default();
    for rel in changed(tree)? {
        let read = |w: &Workspace| w.node(&rel, MAX_NODE_BYTES).map_err(|e| e.to_string());
        let (ours, theirs) = match (read(ws), read(tree_ws)) {
            (Ok(o), Ok(t)) => (o, t),
            (Err(e), _) | (_, Err(e)) => {
                out.problems.push(format!("{}: {e}", rel.display()));
                continue;
            }
        };
        if same(&ours, &theirs) {
            continue;
        }
        let base = base_node(tree, &rel);
        if same(&theirs, &base) {
            // The worker left it as it found it.
            continue;
        }
        let theirs = keep_mode(theirs, &ours);
        if same(&ours, &base) {
            out.changes.push((rel, ours, theirs));
            continue;
        }
        // Both sides changed it: line by line when all three are text files (a missing base
        // is an empty one); the worker's mode when it changed it, else the workspace's.
        let merged = match (&ours, &theirs, &base) {
            (
                Some(Node::File { mode: our_mode, .. }),
                Some(Node::File { mode, .. }),
                Some(Node::File { .. }) | None,
            ) => {
                let exec = |m: u32| m & 0o111 != 0;
                let base_exec = match &base {
                    Some(Node::File { mode, .. }) => exec(*mode),
                    _ => false,
                };
                let mode = if exec(*mode) == base_exec {
                    *our_mode
                } else {
                    *mode
                };
                let bytes = |n: &Option<Node>| n.as_ref().map(Node::bytes).unwrap_or_default();
                merge_file(&bytes(&ours), &bytes(&base), &bytes(&theirs), label)
                    .map(|(merged, clean)| (Node::file(&merged, mode), clean))
            }
            _ => None,
        };
        match merged {
            Some((node, clean)) => {
                if !clean {
                    out.conflicts.push(rel.clone());
                }
                out.changes.push((rel, ours, Some(node)));
            }
            None => {
                // A link, a deletion or a binary file on one side: the worker's version, for
                // the human to decide as a conflict.
                out.conflicts.push(rel.clone());
                out.changes.push((rel, ours, theirs));
            }
        }
    }
    Ok(out)
}

/// Whether two versions are the same as git sees them: the same link, or the same bytes and
/// the same executable bit (the other mode bits are the umask's, not the change's).
fn same(a: &Option<Node>, b: &Option<Node>) -> bool {
    match (a, b) {
        (Some(Node::File { base64: x, mode: m }), Some(Node::File { base64: y, mode: n })) => {
            x == y && (m & 0o111 == 0) == (n & 0o111 == 0)
        }
        _ => a == b,
    }
}

/// The worker's version with the workspace's mode bits, unless it changed whether the file
/// is executable: a file written under another umask is not a mode change.
fn keep_mode(theirs: Option<Node>, ours: &Option<Node>) -> Option<Node> {
    match (theirs, ours) {
        (Some(Node::File { base64, mode }), Some(Node::File { mode: ours, .. }))
            if (mode & 0o111 == 0) == (ours & 0o111 == 0) =>
        {
            Some(Node::File {
                base64,
                mode: *ours,
            })
        }
        (theirs, _) => theirs,
    }
}

/// `git merge-file` of three versions: the result, and whether it merged cleanly; `None` when
/// they are not text git can merge.
fn merge_file(ours: &[u8], base: &[u8], theirs: &[u8], label: &str) -> Option<(Vec<u8>, bool)> {
    let text = |b: &[u8]| !b.iter().take(8192).any(|c| *c == 0);
    if !(text(ours) && text(base) && text(theirs)) {
        return None;
    }
    let dir = tempfile::tempdir().ok()?;
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).ok().map(|()| path)
    };
    let (o, b, t) = (
        write("ours", ours)?,
        write("base", base)?,
        write("theirs", theirs)?,
    );
    let out = Command::new("git")
        .args([
            "merge-file",
            "-p",
            "-L",
            "the workspace",
            "-L",
            "base",
            "-L",
            label,
        ])
        .args([&o, &b, &t])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    // The exit code is the number of conflicts; a negative one is an error.
    match out.status.code() {
        Some(0) => Some((out.stdout, true)),
        Some(n) if (1..128).contains(&n) => Some((out.stdout, false)),
        _ => None,
    }
}
