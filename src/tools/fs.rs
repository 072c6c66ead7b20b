//! The file tools: read, list, glob, grep, edit, write. Blocking; run on the blocking pool.
//! Walking honours .gitignore through the `ignore` crate (the walker ripgrep uses).

use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use super::Writes;
use super::{
    DELETE_FILE, EDIT_FILE, GLOB, GREP, LIST_DIR, MOVE_FILE, READ_FILE, ToolFailure, ToolLimits,
    ToolOutcome, WRITE_FILE, Workspace, parse_args,
};
use crate::changes::{FileChange, atomic_write};
use crate::provider::ToolCallRequest;

/// Longest matching line `grep` returns whole.
const GREP_LINE_CHARS: usize = 300;

pub fn execute(
    call: &ToolCallRequest,
    ws: &Workspace,
    limits: &ToolLimits,
    writes: Writes,
) -> ToolOutcome {
    let result = match call.name.as_str() {
        READ_FILE => parse_args(call).and_then(|a| read_file(ws, limits, &a)),
        LIST_DIR => parse_args(call).and_then(|a| list_dir(ws, limits, &a)),
        GLOB => parse_args(call).and_then(|a| glob(ws, limits, &a)),
        GREP => parse_args(call).and_then(|a| grep(ws, limits, &a)),
        EDIT_FILE => parse_args(call).and_then(|a| edit_file(ws, &a, writes)),
        WRITE_FILE => parse_args(call).and_then(|a| write_file(ws, &a, writes)),
        DELETE_FILE => parse_args(call).and_then(|a| delete_file(ws, &a, writes)),
        MOVE_FILE => parse_args(call).and_then(|a| move_file(ws, &a, writes)),
        other => Err(ToolFailure(format!("`{other}` is not a file tool"))),
    };
    result.unwrap_or_else(ToolOutcome::from)
}

fn resolve(ws: &Workspace, path: &str) -> Result<std::path::PathBuf, ToolFailure> {
    ws.resolve(path)
        .map_err(|e| ToolFailure(format!("refused: {e}")))
}

fn io_error(ws: &Workspace, path: &Path, e: &std::io::Error) -> ToolFailure {
    let shown = ws.display(path);
    match e.kind() {
        std::io::ErrorKind::NotFound => ToolFailure(format!(
            "{shown} does not exist; use list_dir or glob to find the right path"
        )),
        _ => ToolFailure(format!("cannot access {shown}: {e}")),
    }
}

/// Reads a text file, or explains why it is not one.
fn read_text(ws: &Workspace, path: &Path) -> Result<String, ToolFailure> {
    let bytes = std::fs::read(path).map_err(|e| io_error(ws, path, &e))?;
    if bytes.iter().take(8192).any(|b| *b == 0) {
        return Err(ToolFailure(format!(
            "{} is a binary file ({} bytes); it cannot be read or edited as text",
            ws.display(path),
            bytes.len()
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

fn read_file(
    ws: &Workspace,
    limits: &ToolLimits,
    a: &ReadArgs,
) -> Result<ToolOutcome, ToolFailure> {
    let path = resolve(ws, &a.path)?;
    if path.is_dir() {
        return Err(ToolFailure(format!(
            "{} is a directory; use list_dir",
            ws.display(&path)
        )));
    }
    let text = read_text(ws, &path)?;
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
    let shown = ws.display(&path);
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
    Ok(ToolOutcome::ok(
        out,
        format!("{shown}: lines {start}-{shown_end} of {total}"),
    ))
}

#[derive(Deserialize)]
struct ListArgs {
    #[serde(default)]
    path: Option<String>,
}

fn list_dir(ws: &Workspace, limits: &ToolLimits, a: &ListArgs) -> Result<ToolOutcome, ToolFailure> {
    let path = resolve(ws, a.path.as_deref().unwrap_or("."))?;
    let entries = std::fs::read_dir(&path).map_err(|e| io_error(ws, &path, &e))?;
    let mut rows: Vec<(bool, String, u64)> = entries
        .filter_map(Result::ok)
        .map(|e| {
            let meta = e.metadata().ok();
            let is_dir = meta.as_ref().is_some_and(std::fs::Metadata::is_dir);
            let size = meta.map_or(0, |m| m.len());
            (is_dir, e.file_name().to_string_lossy().into_owned(), size)
        })
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
struct GlobArgs {
    pattern: String,
    #[serde(default)]
    path: Option<String>,
}

/// Files under `base` that .gitignore does not exclude (hidden files included, `.git` not).
fn walk(base: &Path) -> impl Iterator<Item = std::path::PathBuf> {
    ignore::WalkBuilder::new(base)
        .hidden(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .map(ignore::DirEntry::into_path)
}

fn glob(ws: &Workspace, limits: &ToolLimits, a: &GlobArgs) -> Result<ToolOutcome, ToolFailure> {
    let base = resolve(ws, a.path.as_deref().unwrap_or("."))?;
    let matcher = globset::GlobBuilder::new(&a.pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| ToolFailure(format!("bad glob pattern `{}`: {e}", a.pattern)))?
        .compile_matcher();
    let mut found: Vec<String> = walk(&base)
        .filter(|p| p.strip_prefix(&base).is_ok_and(|rel| matcher.is_match(rel)))
        .map(|p| ws.display(&p))
        .collect();
    found.sort();
    let total = found.len();
    let mut out: String = found
        .iter()
        .take(limits.max_results)
        .map(|f| format!("{f}\n"))
        .collect();
    if total > limits.max_results {
        let _ = writeln!(
            out,
            "[cut: {total} files match, {} shown]",
            limits.max_results
        );
    }
    if total == 0 {
        out.push_str("[no files match]\n");
    }
    Ok(ToolOutcome::ok(
        out,
        format!("{}: {total} files", a.pattern),
    ))
}

#[derive(Deserialize)]
struct GrepArgs {
    pattern: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    glob: Option<String>,
    #[serde(default)]
    case_insensitive: bool,
}

fn grep(ws: &Workspace, limits: &ToolLimits, a: &GrepArgs) -> Result<ToolOutcome, ToolFailure> {
    let base = resolve(ws, a.path.as_deref().unwrap_or("."))?;
    let re = regex::RegexBuilder::new(&a.pattern)
        .case_insensitive(a.case_insensitive)
        .build()
        .map_err(|e| ToolFailure(format!("bad regular expression: {e}")))?;
    let filter = a
        .glob
        .as_deref()
        .map(|g| {
            globset::Glob::new(g)
                .map(|g| g.compile_matcher())
                .map_err(|e| ToolFailure(format!("bad glob `{g}`: {e}")))
        })
        .transpose()?;
    let files: Box<dyn Iterator<Item = std::path::PathBuf>> = if base.is_file() {
        Box::new(std::iter::once(base.clone()))
    } else {
        Box::new(walk(&base))
    };
    let mut out = String::new();
    let mut matches = 0usize;
    let mut files_with = 0usize;
    'files: for file in files {
        if let Some(f) = &filter {
            let name_matches = file.file_name().is_some_and(|n| f.is_match(n));
            let rel_matches = file.strip_prefix(&base).is_ok_and(|r| f.is_match(r));
            if !name_matches && !rel_matches {
                continue;
            }
        }
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        if bytes.iter().take(8192).any(|b| *b == 0) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        let mut any = false;
        for (i, line) in text.lines().enumerate() {
            if re.is_match(line) {
                any = true;
                matches += 1;
                if matches > limits.max_results {
                    break 'files;
                }
                let line: String = line.chars().take(GREP_LINE_CHARS).collect();
                let _ = writeln!(out, "{}:{}: {}", ws.display(&file), i + 1, line.trim_end());
            }
        }
        files_with += usize::from(any);
    }
    if matches > limits.max_results {
        let _ = writeln!(
            out,
            "[cut after {} matches; narrow the pattern or the path]",
            limits.max_results
        );
    } else if matches == 0 {
        out.push_str("[no matches]\n");
    }
    Ok(ToolOutcome::ok(
        out,
        format!(
            "/{}/: {} matches in {files_with} files",
            a.pattern,
            matches.min(limits.max_results)
        ),
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
    let path = resolve(ws, &a.path)?;
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
    if writes == Writes::Apply {
        atomic_write(&path, after.as_bytes()).map_err(|e| io_error(ws, &path, &e))?;
    }
    let change = FileChange::new(shown.clone(), Some(before), Some(after));
    let (added, removed) = change.line_counts();
    let verb = writes.verb("edited");
    Ok(ToolOutcome {
        ok: true,
        content: format!("{verb} {shown}: {count} replacement(s), +{added} -{removed} lines"),
        summary: format!("{shown} +{added} -{removed}"),
        change: Some(change),
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
    let path = resolve(ws, &a.path)?;
    let shown = ws.display(&path);
    if path.is_dir() {
        return Err(ToolFailure(format!("{shown} is a directory")));
    }
    let before = if path.exists() {
        Some(read_text(ws, &path)?)
    } else {
        None
    };
    if before.as_deref() == Some(a.content.as_str()) {
        return Ok(unchanged(&shown));
    }
    if writes == Writes::Apply {
        atomic_write(&path, a.content.as_bytes()).map_err(|e| io_error(ws, &path, &e))?;
    }
    let created = before.is_none();
    let change = FileChange::new(shown.clone(), before, Some(a.content.clone()));
    let (added, removed) = change.line_counts();
    let verb = writes.verb(if created { "created" } else { "wrote" });
    Ok(ToolOutcome {
        ok: true,
        content: format!("{verb} {shown} ({} bytes)", a.content.len()),
        summary: format!("{verb} {shown} +{added} -{removed}"),
        change: Some(change),
    })
}

#[derive(Deserialize)]
struct DeleteArgs {
    path: String,
}

fn delete_file(ws: &Workspace, a: &DeleteArgs, writes: Writes) -> Result<ToolOutcome, ToolFailure> {
    let path = resolve(ws, &a.path)?;
    let shown = ws.display(&path);
    if path.is_dir() {
        return Err(ToolFailure(format!(
            "{shown} is a directory; delete_file removes files only"
        )));
    }
    let before = read_text(ws, &path)?;
    if writes == Writes::Apply {
        std::fs::remove_file(&path).map_err(|e| io_error(ws, &path, &e))?;
    }
    let change = FileChange::new(shown.clone(), Some(before), None);
    let (_, removed) = change.line_counts();
    let verb = writes.verb("deleted");
    Ok(ToolOutcome {
        ok: true,
        content: format!("{verb} {shown} ({removed} lines)"),
        summary: format!("{verb} {shown} -{removed}"),
        change: Some(change),
    })
}

#[derive(Deserialize)]
struct MoveArgs {
    from: String,
    to: String,
}

fn move_file(ws: &Workspace, a: &MoveArgs, writes: Writes) -> Result<ToolOutcome, ToolFailure> {
    let from = resolve(ws, &a.from)?;
    let to = resolve(ws, &a.to)?;
    let (from_shown, to_shown) = (ws.display(&from), ws.display(&to));
    if from.is_dir() {
        return Err(ToolFailure(format!(
            "{from_shown} is a directory; move_file moves files only"
        )));
    }
    if to.exists() {
        return Err(ToolFailure(format!(
            "{to_shown} already exists; move_file does not overwrite"
        )));
    }
    let content = read_text(ws, &from)?;
    if writes == Writes::Apply {
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io_error(ws, dir, &e))?;
        }
        std::fs::rename(&from, &to).map_err(|e| io_error(ws, &from, &e))?;
    }
    let verb = writes.verb("moved");
    Ok(ToolOutcome {
        ok: true,
        content: format!("{verb} {from_shown} to {to_shown}"),
        summary: format!("{verb} {from_shown} → {to_shown}"),
        change: Some(FileChange::renamed(from_shown, to_shown, content)),
    })
}
