//! The file tools: read, list, edit, write, delete, move (glob and grep are in `search`).
//! Blocking; run on the blocking pool. Every file operation goes through the [`Workspace`]
//! handle (see `confine`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::confine::{Clearance, FileError, Kind, Protected};
use super::{
    DELETE_FILE, EDIT_FILE, GLOB, GREP, LIST_DIR, MOVE_FILE, READ_FILE, ToolFailure, ToolLimits,
    ToolOutcome, WRITE_FILE, Workspace, parse_args,
};
use super::{MAX_TEXT_BYTES, Writes};
use crate::changes::FileChange;
use crate::protocol::ToolCallRequest;

/// Runs a file tool. `skill_folders` (canonical) are the only places outside the workspace
/// `read_file` may read, by absolute path.
pub fn execute(
    call: &ToolCallRequest,
    ws: &Workspace,
    limits: &ToolLimits,
    writes: Writes,
    skill_folders: &[PathBuf],
) -> ToolOutcome {
    let result = match call.name.as_str() {
        READ_FILE => parse_args(call).and_then(|a: ReadArgs| {
            match super::skill::inside_a_folder(&a.path, skill_folders) {
                Some(real) => read_bundled(&real, limits, &a),
                None => read_file(ws, limits, &a),
            }
        }),
        LIST_DIR => parse_args(call).and_then(|a| list_dir(ws, limits, &a)),
        GLOB | GREP => return super::search::execute(call, ws, limits),
        EDIT_FILE => parse_args(call).and_then(|a| edit_file(ws, &a, writes)),
        WRITE_FILE => parse_args(call).and_then(|a| write_file(ws, &a, writes)),
        DELETE_FILE => parse_args(call).and_then(|a| delete_file(ws, &a, writes)),
        MOVE_FILE => parse_args(call).and_then(|a| move_file(ws, &a, writes)),
        other => Err(ToolFailure(format!("`{other}` is not a file tool"))),
    };
    result.unwrap_or_else(ToolOutcome::from)
}

fn resolve(ws: &Workspace, path: &str) -> Result<PathBuf, ToolFailure> {
    ws.resolve(path)
        .map_err(|e| ToolFailure(format!("refused: {e}")))
}

impl From<FileError> for ToolFailure {
    fn from(e: FileError) -> ToolFailure {
        ToolFailure(e.to_string())
    }
}

/// The gate on a write to `rel`: where it really leads (the path the change is recorded at),
/// refused when that place is never written, and proposed even where writes apply at once (the
/// vibe gear) when only a review writes it — with the reason (a checkpoint), for the human's
/// decision in the diff pane.
fn check_write(
    ws: &Workspace,
    rel: &Path,
    writes: Writes,
) -> Result<(PathBuf, Writes, Option<String>), ToolFailure> {
    let gated = ws.gate(rel)?;
    match gated.protection {
        None => Ok((gated.real, writes, None)),
        Some(Protected::Never(why)) => Err(ToolFailure(format!(
            "refused: {} is protected: {why}",
            ws.display(&gated.real)
        ))),
        Some(Protected::Review(why)) => Ok((gated.real, Writes::Propose, Some(why))),
    }
}

/// The write a file tool reports: applied when it wrote, proposed otherwise.
fn written(change: FileChange, writes: Writes, checkpoint: Option<String>) -> super::ToolWrite {
    super::ToolWrite {
        change,
        applied: writes == Writes::Apply,
        checkpoint,
    }
}

/// A `[[checkpoints]]` rule the new text stops at turns a write that would apply into a
/// proposal, as a protected path does (a reason already found stands).
fn content_checkpoint(
    ws: &Workspace,
    before: Option<&str>,
    after: &str,
    writes: Writes,
    checkpoint: Option<String>,
) -> (Writes, Option<String>) {
    if checkpoint.is_some() {
        return (writes, checkpoint);
    }
    match ws.checkpoints().content(before, after) {
        Some(why) => (Writes::Propose, Some(why)),
        None => (writes, None),
    }
}

/// Reads a text file, or explains why it is not one.
fn read_text(ws: &Workspace, path: &Path) -> Result<String, ToolFailure> {
    let (bytes, size) = ws.read(path, MAX_TEXT_BYTES + 1)?;
    if bytes.len() > MAX_TEXT_BYTES {
        return Err(ToolFailure(format!(
            "{} is too large to handle as text ({size} bytes, over {MAX_TEXT_BYTES}); use grep, \
             or run_command with head, tail or sed",
            ws.display(path)
        )));
    }
    if bytes.iter().take(8192).any(|b| *b == 0) {
        return Err(ToolFailure(format!(
            "{} is a binary file ({size} bytes); it cannot be read or edited as text",
            ws.display(path)
        )));
    }
    String::from_utf8(bytes).map_err(|_| {
        ToolFailure(format!(
            "{} is not UTF-8 text; it cannot be read or edited as text",
            ws.display(path)
        ))
    })
}

#[derive(Deserialize)]
struct ReadArgs {
    path: String,
    start_line: Option<usize>,
    end_line: Option<usize>,
}

/// A file bundled with a skill, read-only, outside the workspace.
fn read_bundled(
    path: &Path,
    limits: &ToolLimits,
    a: &ReadArgs,
) -> Result<ToolOutcome, ToolFailure> {
    let meta = std::fs::metadata(path).map_err(|e| ToolFailure(format!("cannot read it: {e}")))?;
    if !meta.is_file() || meta.len() > MAX_TEXT_BYTES as u64 {
        return Err(ToolFailure(format!(
            "{} is not a text file gearshift reads",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| ToolFailure(format!("cannot read {}: {e}", path.display())))?;
    Ok(numbered(&text, &path.display().to_string(), limits, a))
}

fn read_file(
    ws: &Workspace,
    limits: &ToolLimits,
    a: &ReadArgs,
) -> Result<ToolOutcome, ToolFailure> {
    let path = resolve(ws, &a.path)?;
    if ws.is_dir(&path) {
        return Err(ToolFailure(format!(
            "{} is a directory; use list_dir",
            ws.display(&path)
        )));
    }
    let text = read_text(ws, &path)?;
    Ok(numbered(&text, &ws.display(&path), limits, a))
}

/// A file's text as `read_file` returns it: numbered lines of the range asked for, cut at
/// the read limit with a note saying how to read on.
fn numbered(text: &str, shown: &str, limits: &ToolLimits, a: &ReadArgs) -> ToolOutcome {
    let total = text.lines().count();
    let start = a.start_line.unwrap_or(1).max(1);
    let end = a.end_line.unwrap_or(total).min(total);
    let mut out = String::new();
    let mut shown_end = start.saturating_sub(1);
    for (i, line) in text.lines().enumerate().skip(start - 1) {
        let n = i + 1;
        if n > end {
            break;
        }
        if out.len() + line.len() > limits.read_max_bytes {
            break;
        }
        let _ = writeln!(out, "{n:>6}\t{line}");
        shown_end = n;
    }
    if shown_end < end {
        let _ = writeln!(
            out,
            "[cut: {shown} has {total} lines ({} bytes); this shows lines {start}-{shown_end}. \
             Ask for start_line={} to read on.]",
            text.len(),
            shown_end + 1
        );
    }
    if total == 0 {
        out.push_str("[the file is empty]\n");
    }
    ToolOutcome::ok(
        out,
        format!("{shown}: lines {start}-{shown_end} of {total}"),
    )
}

#[derive(Deserialize)]
struct ListArgs {
    #[serde(default)]
    path: Option<String>,
}

fn list_dir(ws: &Workspace, limits: &ToolLimits, a: &ListArgs) -> Result<ToolOutcome, ToolFailure> {
    let path = resolve(ws, a.path.as_deref().unwrap_or("."))?;
    let mut rows: Vec<(bool, String, u64)> = ws
        .list(&path)?
        .into_iter()
        .map(|(name, is_dir, size)| (is_dir, name, size))
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let total = rows.len();
    let mut out = String::new();
    for (is_dir, name, size) in rows.iter().take(limits.max_results) {
        if *is_dir {
            let _ = writeln!(out, "{name}/");
        } else {
            let _ = writeln!(out, "{name}  ({size} bytes)");
        }
    }
    if total > limits.max_results {
        let _ = writeln!(out, "[cut: {total} entries, {} shown]", limits.max_results);
    }
    if total == 0 {
        out.push_str("[empty directory]\n");
    }
    Ok(ToolOutcome::ok(
        out,
        format!("{}: {total} entries", ws.display(&path)),
    ))
}

#[derive(Deserialize)]
struct EditArgs {
    path: String,
    old_text: String,
    new_text: String,
    #[serde(default)]
    replace_all: bool,
}

fn edit_file(ws: &Workspace, a: &EditArgs, writes: Writes) -> Result<ToolOutcome, ToolFailure> {
    let (path, writes, checkpoint) = check_write(ws, &resolve(ws, &a.path)?, writes)?;
    let shown = ws.display(&path);
    let before = read_text(ws, &path)?;
    if a.old_text.is_empty() {
        return Err(ToolFailure(
            "old_text is empty; give the exact text to replace (use write_file to create a file)"
                .into(),
        ));
    }
    let count = before.matches(&a.old_text).count();
    if count == 0 {
        return Err(ToolFailure(format!(
            "old_text was not found in {shown}. Read the file again and copy the text exactly, \
             including whitespace and without line numbers."
        )));
    }
    if count > 1 && !a.replace_all {
        return Err(ToolFailure(format!(
            "old_text matches {count} places in {shown}; include more surrounding lines to make \
             it unique, or set replace_all to change every one."
        )));
    }
    let after = if a.replace_all {
        before.replace(&a.old_text, &a.new_text)
    } else {
        before.replacen(&a.old_text, &a.new_text, 1)
    };
    if after == before {
        return Ok(unchanged(&shown));
    }
    let (writes, checkpoint) = content_checkpoint(ws, Some(&before), &after, writes, checkpoint);
    if writes == Writes::Apply {
        ws.write(&path, after.as_bytes(), None, Clearance::Plain)?;
    }
    let change = FileChange::new(shown.clone(), Some(before), Some(after));
    let (added, removed) = change.line_counts();
    let verb = writes.verb("edited");
    Ok(ToolOutcome {
        ok: true,
        content: format!("{verb} {shown}: {count} replacement(s), +{added} -{removed} lines"),
        summary: format!("{shown} +{added} -{removed}"),
        writes: vec![written(change, writes, checkpoint)],
    })
}

/// An edit that would leave the file as it is: nothing to write or review.
fn unchanged(shown: &str) -> ToolOutcome {
    ToolOutcome::ok(
        format!("unchanged: {shown} already has this content"),
        format!("{shown} unchanged"),
    )
}

#[derive(Deserialize)]
struct WriteArgs {
    path: String,
    content: String,
}

fn write_file(ws: &Workspace, a: &WriteArgs, writes: Writes) -> Result<ToolOutcome, ToolFailure> {
    let (path, writes, checkpoint) = check_write(ws, &resolve(ws, &a.path)?, writes)?;
    let shown = ws.display(&path);
    let before = match ws.kind(&path)? {
        Kind::Dir => return Err(ToolFailure(format!("{shown} is a directory"))),
        Kind::Missing => None,
        Kind::Symlink => return Err(FileError::Symlink(shown).into()),
        Kind::File | Kind::Special => Some(read_text(ws, &path)?),
    };
    if before.as_deref() == Some(a.content.as_str()) {
        return Ok(unchanged(&shown));
    }
    let (writes, checkpoint) =
        content_checkpoint(ws, before.as_deref(), &a.content, writes, checkpoint);
    let mut dirs = Vec::new();
    if writes == Writes::Apply {
        dirs = ws.missing_dirs(&path);
        ws.write(&path, a.content.as_bytes(), None, Clearance::Plain)?;
    }
    let created = before.is_none();
    let change = FileChange::new(shown.clone(), before, Some(a.content.clone())).creating(dirs);
    let (added, removed) = change.line_counts();
    let verb = writes.verb(if created { "created" } else { "wrote" });
    Ok(ToolOutcome {
        ok: true,
        content: format!("{verb} {shown} ({} bytes)", a.content.len()),
        summary: format!("{verb} {shown} +{added} -{removed}"),
        writes: vec![written(change, writes, checkpoint)],
    })
}

#[derive(Deserialize)]
struct DeleteArgs {
    path: String,
}

fn delete_file(ws: &Workspace, a: &DeleteArgs, writes: Writes) -> Result<ToolOutcome, ToolFailure> {
    let (path, writes, checkpoint) = check_write(ws, &resolve(ws, &a.path)?, writes)?;
    let shown = ws.display(&path);
    match ws.kind(&path)? {
        Kind::Dir => {
            return Err(ToolFailure(format!(
                "{shown} is a directory; delete_file removes files only"
            )));
        }
        Kind::Symlink => return Err(FileError::Symlink(shown).into()),
        _ => {}
    }
    let before = read_text(ws, &path)?;
    if writes == Writes::Apply {
        ws.remove(&path, Clearance::Plain)?;
    }
    let change = FileChange::new(shown.clone(), Some(before), None);
    let (_, removed) = change.line_counts();
    let verb = writes.verb("deleted");
    Ok(ToolOutcome {
        ok: true,
        content: format!("{verb} {shown} ({removed} lines)"),
        summary: format!("{verb} {shown} -{removed}"),
        writes: vec![written(change, writes, checkpoint)],
    })
}

#[derive(Deserialize)]
struct MoveArgs {
    from: String,
    to: String,
}

fn move_file(ws: &Workspace, a: &MoveArgs, writes: Writes) -> Result<ToolOutcome, ToolFailure> {
    let (from, from_writes, from_why) = check_write(ws, &resolve(ws, &a.from)?, writes)?;
    let (to, to_writes, to_why) = check_write(ws, &resolve(ws, &a.to)?, writes)?;
    let (from_shown, to_shown) = (ws.display(&from), ws.display(&to));
    let writes = if from_writes == Writes::Propose || to_writes == Writes::Propose {
        Writes::Propose
    } else {
        writes
    };
    let checkpoint = from_why.or(to_why);
    match ws.kind(&from)? {
        Kind::Dir => {
            return Err(ToolFailure(format!(
                "{from_shown} is a directory; move_file moves files only"
            )));
        }
        Kind::Symlink => return Err(FileError::Symlink(from_shown).into()),
        _ => {}
    }
    if ws.kind(&to)? != Kind::Missing {
        return Err(ToolFailure(format!(
            "{to_shown} already exists; move_file does not overwrite"
        )));
    }
    let content = read_text(ws, &from)?;
    let mut dirs = Vec::new();
    if writes == Writes::Apply {
        dirs = ws.missing_dirs(&to);
        ws.rename(&from, &to, Clearance::Plain)?;
    }
    let verb = writes.verb("moved");
    Ok(ToolOutcome {
        ok: true,
        content: format!("{verb} {from_shown} to {to_shown}"),
        summary: format!("{verb} {from_shown} → {to_shown}"),
        writes: vec![written(
            FileChange::renamed(from_shown, to_shown, content).creating(dirs),
            writes,
            checkpoint,
        )],
    })
}
