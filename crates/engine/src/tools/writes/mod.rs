//! A command's writes pass the same gate as the model's edits.
//!
//! A command runs over an overlay of the workspace (see [`gearshift_sandbox`]): it sees its own
//! writes, the workspace does not — yet. When it ends, its upper layer is read and each write
//! sorted: under a git-ignored path (a build output, a cache) it is written at once, as a
//! build expects; every other write, deletion, link or mode becomes a [`FileChange`] that goes
//! through [`Workspace::gate`] like `write_file` — refused on a path never written, proposed
//! for review on a protected or checkpointed one, and otherwise applied at once in the vibe
//! gear (undoable) or proposed for hunk review in the others. Where no overlay can be mounted,
//! the workspace is read before the command and compared after it ([`snapshot`]), and what is
//! not let through is put back.

mod candidates;
pub mod ignored;
mod snapshot;
mod through;
mod upper;

use std::fmt::Write as _;
use std::path::PathBuf;

use candidates::{Candidate, from_overlay, from_snapshot};
use ignored::Ignores;
use snapshot::Snapshot;

use super::{Clearance, Kind, Protected, Secrets, ToolWrite, Workspace, Writes};
use crate::changes::{CONFLICT, FileChange, Node};
use crate::tools::disk::place;
use gearshift_sandbox::SandboxMode;
use gearshift_sandbox::scratch::Scratch;
use gearshift_sandbox::{Overlay, Sandbox};

/// How one command's writes are held until they are sorted.
pub enum Hold {
    /// Nothing to hold: commands write nothing (`read-only`).
    Nothing,
    Overlay {
        scratch: Scratch,
        through: Vec<PathBuf>,
        /// When the command was about to start: what changed in the folders mounted through
        /// since is the command's.
        since: std::time::SystemTime,
    },
    Snapshot {
        snapshot: Snapshot,
        through: Vec<PathBuf>,
    },
}

impl Hold {
    /// Gets ready to hold a command's writes in `ws`: an overlay where the sandbox can mount
    /// one, a snapshot otherwise. Blocking (a probe the first time; a read of the workspace
    /// for a snapshot). An error means the writes cannot be held, and the command must not run.
    pub fn prepare(ws: &Workspace, sandbox: &Sandbox) -> Result<Hold, String> {
        // (what an overlay mounts through, a snapshot leaves out)
        if sandbox.policy.mode == SandboxMode::ReadOnly {
            return Ok(Hold::Nothing);
        }
        let through = Ignores::new(ws).through();
        let overlay =
            sandbox.helper.is_some() && sandbox.policy.mode == SandboxMode::WorkspaceWrite;
        if overlay && sandbox.overlay().is_ok() {
            // A content checkpoint reads every file a command writes: nothing is mounted
            // through, so build outputs are gathered (and read) too.
            let through = if ws.checkpoints().reads_content() {
                Vec::new()
            } else {
                through
            };
            let scratch = Scratch::new(sandbox.scratch_base())
                .map_err(|e| format!("no scratch folder for the command's writes: {e}"))?;
            return Ok(Hold::Overlay {
                scratch,
                through,
                since: std::time::SystemTime::now(),
            });
        }
        let snapshot = Snapshot::take(ws.root(), through.clone()).map_err(|e| {
            format!(
                "its writes cannot be held for review here (no overlay: {}; and no snapshot: \
                 {e}); the command was not run",
                sandbox.overlay().err().unwrap_or_default()
            )
        })?;
        Ok(Hold::Snapshot { snapshot, through })
    }

    /// The overlay the sandbox mounts for the command, if it holds writes that way.
    #[must_use]
    pub fn overlay(&self, ws: &Workspace) -> Option<Overlay> {
        match self {
            Hold::Overlay {
                scratch, through, ..
            } => Some(scratch.overlay(
                ws.root().to_path_buf(),
                through.iter().map(|t| ws.root().join(t)).collect(),
            )),
            _ => None,
        }
    }
}

/// A command's writes, sorted by the gate.
#[derive(Debug, Default)]
pub struct Gathered {
    /// Applied (the vibe gear) or proposed for review.
    pub writes: Vec<ToolWrite>,
    /// Writes not made, each with why.
    pub refused: Vec<String>,
    /// Ignored files (build outputs, caches) written at once.
    pub direct: usize,
    /// What else the model should know (named pipes not carried over, folders left empty).
    pub notes: Vec<String>,
}

impl Gathered {
    /// What the model reads after the command's output.
    #[must_use]
    pub fn report(&self) -> String {
        let mut out = String::new();
        let applied: Vec<&ToolWrite> = self.writes.iter().filter(|w| w.applied).collect();
        let proposed: Vec<&ToolWrite> = self.writes.iter().filter(|w| !w.applied).collect();
        let line = |w: &&ToolWrite| {
            let (a, r) = w.change.line_counts();
            format!("{} (+{a} -{r})", w.change.path)
        };
        if !applied.is_empty() {
            let list: Vec<String> = applied.iter().map(line).collect();
            let _ = write!(out, "\nFiles written (undoable): {}", list.join(", "));
        }
        if !proposed.is_empty() {
            let list: Vec<String> = proposed.iter().map(line).collect();
            let _ = write!(
                out,
                "\nFiles held for the user's review, not on disk yet: {}",
                list.join(", ")
            );
        }
        for r in &self.refused {
            let _ = write!(out, "\nNot written: {r}");
        }
        if self.direct > 0 {
            let _ = write!(
                out,
                "\n{} git-ignored file(s) (build outputs, caches) written as they were.",
                self.direct
            );
        }
        for n in &self.notes {
            let _ = write!(out, "\n{n}");
        }
        out
    }
}

/// Sorts what the command wrote — the held writes of `hold` — through the gate, writing what
/// may be written and putting back what may not. Blocking.
pub fn gather(ws: &Workspace, hold: Hold, writes: Writes, secrets: &Secrets) -> Gathered {
    let mut out = Gathered::default();
    let mut ignores = Ignores::new(ws);
    match hold {
        Hold::Nothing => {}
        Hold::Overlay {
            scratch,
            through,
            since,
        } => {
            through::check(ws, &through, since, &mut out);
            let wrote = match upper::read(&scratch.upper()) {
                Ok(w) => w,
                Err(e) => {
                    out.refused
                        .push(format!("its writes could not be read back ({e})"));
                    return out;
                }
            };
            let candidates = from_overlay(ws, &mut ignores, &scratch.upper(), wrote, &mut out);
            sort(ws, candidates, writes, (false, secrets), &mut out);
            // `scratch` is removed here, with whatever was not carried over.
        }
        Hold::Snapshot { snapshot, through } => match snapshot.diff(ws.root()) {
            Ok(differs) => {
                let candidates = from_snapshot(ws, &mut ignores, &through, differs, &mut out);
                sort(ws, candidates, writes, (true, secrets), &mut out);
            }
            Err(e) => out.refused.push(format!(
                "the workspace could not be compared after the command ({e})"
            )),
        },
    }
    out
}

/// Changes made elsewhere (a worktree's, merged onto the workspace), each `(path, before,
/// after)`, sorted by the gate as a command's writes are: written at once where `writes` says
/// so, else proposed for review; one of `conflicts` is never written without a human.
/// Blocking.
pub fn bring(
    ws: &Workspace,
    changes: Vec<(PathBuf, Option<Node>, Option<Node>)>,
    conflicts: &[PathBuf],
    writes: Writes,
    secrets: &Secrets,
) -> Gathered {
    let candidates = changes
        .into_iter()
        .map(|(path, before, after)| Candidate {
            conflict: conflicts.contains(&path),
            path,
            before,
            after,
        })
        .collect();
    let mut out = Gathered::default();
    sort(ws, candidates, writes, (false, secrets), &mut out);
    out
}

/// Drops what a cancelled command wrote: an overlay's layer goes with its scratch folder; a
/// snapshot's differences are put back (all but the folders left out of it). Blocking.
pub fn discard(ws: &Workspace, hold: Hold) {
    if let Hold::Snapshot { snapshot, through } = hold
        && let Ok(differs) = snapshot.diff(ws.root())
    {
        for d in differs
            .iter()
            .filter(|d| !snapshot::inside(&through, &d.path))
        {
            let _ = snapshot::restore(ws.root(), &d.path, d.before.as_ref());
        }
    }
}

/// Text both ways (and the same mode): a change reviewed hunk by hunk.
fn text_of(node: Option<&Node>) -> Option<Option<(String, u32)>> {
    match node {
        None => Some(None),
        Some(Node::File { mode, .. }) => {
            let bytes = node?.bytes();
            if bytes.len() > super::MAX_TEXT_BYTES || bytes.iter().take(8192).any(|b| *b == 0) {
                return None;
            }
            String::from_utf8(bytes).ok().map(|t| Some((t, *mode)))
        }
        Some(Node::Link { .. }) => None,
    }
}

/// The change a candidate makes, shown at `shown`; `None` when nothing changed.
fn change_of(shown: String, c: &Candidate) -> Option<FileChange> {
    if c.before == c.after {
        return None;
    }
    match (text_of(c.before.as_ref()), text_of(c.after.as_ref())) {
        (Some(before), Some(after))
            if before
                .as_ref()
                .zip(after.as_ref())
                .is_none_or(|(b, a)| b.1 == a.1) =>
        {
            let mode = after.as_ref().map(|a| a.1).filter(|_| before.is_none());
            Some(FileChange::new(shown, before.map(|b| b.0), after.map(|a| a.0)).with_mode(mode))
        }
        _ => Some(FileChange::special(
            shown,
            c.before.clone(),
            c.after.clone(),
        )),
    }
}

/// The gate's verdict on each candidate: written at once (vibe), proposed, or refused — and,
/// for a snapshot (whose writes are already on disk), what is not written is put back.
fn sort(
    ws: &Workspace,
    candidates: Vec<Candidate>,
    writes: Writes,
    (on_disk, secrets): (bool, &Secrets),
    out: &mut Gathered,
) {
    for c in candidates {
        let restore = |out: &mut Gathered| {
            if on_disk && let Err(e) = snapshot::restore(ws.root(), &c.path, c.before.as_ref()) {
                out.refused.push(format!(
                    "{}: could not be put back as it was ({e})",
                    c.path.display()
                ));
            }
        };
        let gated = match ws.gate_entry(&c.path) {
            Ok(g) => g,
            Err(e) => {
                out.refused.push(format!("{}: {e}", c.path.display()));
                restore(out);
                continue;
            }
        };
        let shown = ws.display(&gated.real);
        let Some(change) = change_of(shown.clone(), &c) else {
            continue;
        };
        // A key a command wrote into the workspace would be committed, pushed, read back.
        let holds_key = c.after.as_ref().is_some_and(|n| secrets.finds(&n.lossy()));
        if holds_key {
            out.refused.push(format!(
                "{shown} would hold a key gearshift keeps from commands (its value, or an \
                 encoding of it); keys are never written into the workspace"
            ));
            restore(out);
            continue;
        }
        let checkpoint = match gated.protection {
            Some(Protected::Never(why)) => {
                out.refused.push(format!("{shown} is protected: {why}"));
                restore(out);
                continue;
            }
            Some(Protected::Review(why)) => Some(why),
            // A binary file, a mode change or a link is judged on its text too (read
            // lossily): a checkpointed word cannot hide behind one NUL byte.
            None => c.after.as_ref().map(Node::lossy).and_then(|after| {
                ws.checkpoints()
                    .content(c.before.as_ref().map(Node::lossy).as_deref(), &after)
            }),
        };
        let checkpoint = match checkpoint {
            Some(why) if c.conflict => Some(format!("{CONFLICT}; and {why}")),
            None if c.conflict => Some(CONFLICT.to_string()),
            other => other,
        };
        let apply = writes == Writes::Apply && checkpoint.is_none();
        let mut change = change;
        if apply && !on_disk {
            change = change.creating(ws.missing_dirs(&gated.real));
            let written = match &change.special {
                Some(s) => place(ws, &gated.real, s.after.as_ref(), Clearance::Plain),
                None => match &change.after {
                    Some(text) => ws
                        .write(&gated.real, text.as_bytes(), change.mode, Clearance::Plain)
                        .map_err(|e| e.to_string()),
                    None => ws
                        .remove(&gated.real, Clearance::Plain)
                        .map_err(|e| e.to_string()),
                },
            };
            if let Err(e) = written {
                out.refused.push(format!("{shown}: {e}"));
                continue;
            }
        }
        if !apply {
            restore(out);
        }
        out.writes.push(ToolWrite {
            change,
            applied: apply,
            checkpoint,
        });
    }
}

#[cfg(test)]
mod tests;
