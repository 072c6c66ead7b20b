//! What a command wrote, as candidates for the gate: read from its overlay's upper layer or
//! from a snapshot's differences. Writes under a git-ignored, untracked path the gate lets
//! through are made at once here; the rest become candidates.

use std::path::{Path, PathBuf};

use super::ignored::{self, Ignores};
use super::snapshot;
use super::upper::Wrote;
use super::{Gathered, Kind, Workspace};
use crate::changes::Node;
use crate::tools::Clearance;
use crate::tools::disk::MAX_NODE_BYTES;
use crate::tools::protect::free_folder;

/// One path whose content the command changed: what it held and what it would hold.
pub(super) struct Candidate {
    pub(super) path: PathBuf,
    pub(super) before: Option<Node>,
    pub(super) after: Option<Node>,
    /// Merged with both sides' lines (see [`crate::changes::CONFLICT`]): a human decides it.
    pub(super) conflict: bool,
}

/// Whether the folder `rel` of the upper layer is, or holds, a name the gate protects (or a
/// folder git would take for a repository).
fn holds_protected(ws: &Workspace, upper_root: &Path, rel: &Path) -> bool {
    if crate::tools::protect::git_dir_at(&upper_root.join(rel)) {
        return true;
    }
    let Ok(entries) = std::fs::read_dir(upper_root.join(rel)) else {
        return false;
    };
    entries.filter_map(Result::ok).any(|e| {
        let path = rel.join(e.file_name());
        ws.protection(&path).is_some()
            || (e.file_type().is_ok_and(|t| t.is_dir()) && holds_protected(ws, upper_root, &path))
    })
}

/// Every file and link below the folder `rel` in the workspace (not following links).
fn files_below(ws: &Workspace, rel: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = ws.list(rel) else { return };
    for (name, _, _) in entries {
        let path = rel.join(name);
        match ws.kind(&path) {
            Ok(Kind::Dir) => files_below(ws, &path, out),
            Ok(Kind::File | Kind::Symlink) => out.push(path),
            _ => {}
        }
    }
}

/// The upper layer's entries as candidates; ignored writes the gate lets through are made at
/// once (moved in from the layer).
pub(super) fn from_overlay(
    ws: &Workspace,
    ignores: &mut Ignores,
    upper_root: &Path,
    wrote: Vec<Wrote>,
    out: &mut Gathered,
) -> Vec<Candidate> {
    let mut moved: Vec<PathBuf> = Vec::new();
    let mut items: Vec<Wrote> = Vec::new();
    for w in wrote {
        if moved.iter().any(|m| w.path().starts_with(m)) {
            continue;
        }
        match w {
            Wrote::Dir { path, opaque } => {
                let existed = ws.kind(&path) == Ok(Kind::Dir);
                if !existed {
                    // A new ignored folder moves in whole — unless something in it is
                    // protected, when its files go one by one through the gate.
                    if ignores.ignored(&path, true)
                        && free_folder(ws.guard(), ws.checkpoints(), &path)
                        && !ws.checkpoints().reads_content()
                        && !holds_protected(ws, upper_root, &path)
                        && ws
                            .adopt(&path, &upper_root.join(&path), Clearance::Plain)
                            .is_ok()
                    {
                        out.direct += 1;
                        moved.push(path);
                    }
                } else if opaque {
                    let mut below = Vec::new();
                    files_below(ws, &path, &mut below);
                    items.extend(
                        below
                            .into_iter()
                            .filter(|p| upper_root.join(p).symlink_metadata().is_err())
                            .map(|path| Wrote::Gone { path }),
                    );
                }
            }
            Wrote::Gone { path } if ws.kind(&path) == Ok(Kind::Dir) => {
                let mut below = Vec::new();
                files_below(ws, &path, &mut below);
                items.extend(below.into_iter().map(|path| Wrote::Gone { path }));
            }
            Wrote::Special { path } => out.notes.push(format!(
                "{}: a named pipe, socket or device is not carried over to the workspace.",
                path.display()
            )),
            other => items.push(other),
        }
    }
    // Ignored, and not tracked by git: written at once (when the gate lets it through).
    let ignored: Vec<bool> = items
        .iter()
        .map(|w| ignores.ignored(w.path(), false))
        .collect();
    let existing: Vec<PathBuf> = items
        .iter()
        .zip(&ignored)
        .filter(|(w, ig)| **ig && !matches!(ws.kind(w.path()), Ok(Kind::Missing)))
        .map(|(w, _)| w.path().to_path_buf())
        .collect();
    let tracked = ignored::tracked(ws.root(), &existing);
    let mut candidates = Vec::new();
    for (w, ig) in items.into_iter().zip(ignored) {
        let path = w.path().to_path_buf();
        let plain = ws
            .gate_entry(&path)
            .is_ok_and(|g| g.protection.is_none() && g.real == path);
        if ig && plain && !tracked.contains(&path) && !stops_at_content(ws, &path, &w) {
            let done = match &w {
                Wrote::File { from, .. } => ws.adopt(&path, from, Clearance::Plain),
                Wrote::Link { target, .. } => ws.symlink(&path, target, Clearance::Plain),
                Wrote::Gone { .. } => ws.remove(&path, Clearance::Plain),
                _ => Ok(()),
            };
            if done.is_ok() {
                out.direct += 1;
                continue;
            }
        }
        let before = match ws.node(&path, MAX_NODE_BYTES) {
            Ok(n) => n,
            Err(e) => {
                out.refused.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let after = match w {
            Wrote::File { from, mode, .. } => match read_capped(&from) {
                Ok(bytes) => Some(Node::file(&bytes, mode)),
                Err(e) => {
                    out.refused.push(format!("{}: {e}", path.display()));
                    continue;
                }
            },
            Wrote::Link { target, .. } => Some(Node::Link { target }),
            _ => None,
        };
        candidates.push(Candidate {
            path,
            before,
            after,
            conflict: false,
        });
    }
    candidates
}

/// Whether a content checkpoint stops what the command wrote at `path` (its new text read
/// from the upper layer, lossily; what cannot be read is left to the review path).
fn stops_at_content(ws: &Workspace, path: &Path, w: &Wrote) -> bool {
    if !ws.checkpoints().reads_content() {
        return false;
    }
    let after = match w {
        Wrote::File { from, .. } => match read_capped(from) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(_) => return true,
        },
        Wrote::Link { target, .. } => target.clone(),
        _ => return false,
    };
    let before = ws
        .node(path, MAX_NODE_BYTES)
        .ok()
        .flatten()
        .map(|n| n.lossy());
    ws.checkpoints()
        .content(before.as_deref(), &after)
        .is_some()
}

/// A file of the upper layer, whole, if it is small enough to be held for review.
fn read_capped(path: &Path) -> Result<Vec<u8>, String> {
    let len = std::fs::symlink_metadata(path)
        .map_err(|e| e.to_string())?
        .len();
    if len > MAX_NODE_BYTES as u64 {
        return Err(format!(
            "{len} bytes is more than a command's change may hold ({} MB); if it is a build \
             output, add its folder to .gitignore",
            MAX_NODE_BYTES / (1024 * 1024)
        ));
    }
    std::fs::read(path).map_err(|e| e.to_string())
}

/// A snapshot's differences as candidates; ignored ones the gate lets through stay written.
pub(super) fn from_snapshot(
    ws: &Workspace,
    ignores: &mut Ignores,
    through: &[PathBuf],
    differs: Vec<snapshot::Differs>,
    out: &mut Gathered,
) -> Vec<Candidate> {
    let existing: Vec<PathBuf> = differs
        .iter()
        .filter(|d| d.before.is_some() && ignores.ignored(&d.path, false))
        .map(|d| d.path.clone())
        .collect();
    let tracked = ignored::tracked(ws.root(), &existing);
    let mut candidates = Vec::new();
    for d in differs {
        if snapshot::inside(through, &d.path) {
            continue;
        }
        let plain = ws
            .gate_entry(&d.path)
            .is_ok_and(|g| g.protection.is_none() && g.real == d.path);
        let content_stop = d.after.as_ref().is_some_and(|after| {
            ws.checkpoints()
                .content(
                    d.before.as_ref().map(Node::lossy).as_deref(),
                    &after.lossy(),
                )
                .is_some()
        });
        if plain && ignores.ignored(&d.path, false) && !tracked.contains(&d.path) && !content_stop {
            out.direct += 1;
            continue;
        }
        candidates.push(Candidate {
            path: d.path,
            before: d.before,
            after: d.after,
            conflict: false,
        });
    }
    candidates
}
