//! The build folders a command's overlay mounts through (`target/`, `node_modules/`) are written
//! in place, past the gate — a build must rename its own folders there. What the gate would
//! refuse inside them is caught afterwards: each is searched for a protected name (a `.git` of
//! its own, or a `HEAD` that makes a folder one, a memory file, `.mcp.json`, a `.env`); one the command made is removed, one that
//! was there and that it changed is said. The search reads names only (no file is opened), so
//! it costs a walk of the folder's directory entries.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::Gathered;
use crate::tools::Workspace;

/// File names that can be protected anywhere below the workspace's root (lowercased).
fn suspect(name: &str) -> bool {
    let name = name.to_lowercase();
    matches!(
        name.as_str(),
        ".git" | "agents.md" | "claude.md" | "agents.override.md" | "claude.local.md" | ".mcp.json"
    ) || name == ".env"
        || name.starts_with(".env.")
        || name == "head"
}

/// Searches the mounted-through folders for protected names the command (which started at
/// `started`) made or changed.
pub fn check(ws: &Workspace, through: &[PathBuf], started: SystemTime, out: &mut Gathered) {
    // Inode times come from a coarse clock that may trail the one read before the command.
    let since = started
        .checked_sub(Duration::from_millis(50))
        .unwrap_or(started);
    for dir in through {
        walk(ws, dir, since, out);
    }
}

fn walk(ws: &Workspace, rel: &Path, since: SystemTime, out: &mut Gathered) {
    let Ok(entries) = std::fs::read_dir(ws.root().join(rel)) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = rel.join(entry.file_name());
        let name = entry.file_name().to_string_lossy().into_owned();
        if suspect(&name) && ws.protection(&path).is_some() {
            judge(ws, &path, &entry, since, out);
            continue;
        }
        if kind.is_dir() {
            walk(ws, &path, since, out);
        }
    }
}

/// A protected entry found in a build folder: removed when the command made it.
fn judge(
    ws: &Workspace,
    path: &Path,
    entry: &std::fs::DirEntry,
    since: SystemTime,
    out: &mut Gathered,
) {
    use std::os::unix::fs::MetadataExt as _;
    let Ok(meta) = entry.metadata() else { return };
    let changed = SystemTime::UNIX_EPOCH
        + Duration::new(
            u64::try_from(meta.ctime()).unwrap_or(0),
            u32::try_from(meta.ctime_nsec()).unwrap_or(0),
        );
    if changed < since {
        return;
    }
    // Made by the command: born since it started (or, where the file system keeps no birth
    // time, changed since and so not to be trusted either).
    let made = meta.created().map_or(true, |born| born >= since);
    let shown = path.display();
    if made {
        match ws.purge(path) {
            Ok(()) => out.refused.push(format!(
                "{shown}: removed — a command may not make a protected name inside a build \
                 folder (it would run or be read outside this review)"
            )),
            Err(e) => out.refused.push(format!(
                "{shown}: made by the command and could not be removed: {e}"
            )),
        }
    } else {
        out.notes.push(format!(
            "{shown} is protected and was changed in place inside a build folder, which is \
             written directly; look at it before you use it."
        ));
    }
}
