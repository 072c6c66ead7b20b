//! The search tools, `glob` and `grep`: a parallel walk that honours .gitignore (the `ignore`
//! crate's, which ripgrep uses), stopped as soon as the result cap is passed or a time bound is
//! reached — and the result says which, so the model knows to narrow its search instead of
//! waiting on a walk of a whole monorepo. Blocking; run on the blocking pool. Every file is
//! read through the [`Workspace`] handle; the walk itself only lists names and does not follow
//! symlinks.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ignore::WalkState;
use serde::Deserialize;

use super::MAX_TEXT_BYTES;
use super::confine::Kind;
use super::{GLOB, GREP, ToolFailure, ToolLimits, ToolOutcome, Workspace, parse_args};
use crate::protocol::ToolCallRequest;

/// Longest matching line `grep` returns whole.
const GREP_LINE_CHARS: usize = 300;
/// How long a walk may take before it stops with what it found.
pub const WALK_TIME: Duration = Duration::from_secs(5);

/// Runs `glob` or `grep`.
#[must_use]
pub fn execute(call: &ToolCallRequest, ws: &Workspace, limits: &ToolLimits) -> ToolOutcome {
    let result = match call.name.as_str() {
        GLOB => parse_args(call).and_then(|a| glob(ws, limits, &a, WALK_TIME)),
        GREP => parse_args(call).and_then(|a| grep(ws, limits, &a, WALK_TIME)),
        other => Err(ToolFailure(format!("`{other}` is not a search tool"))),
    };
    result.unwrap_or_else(ToolOutcome::from)
}

/// How a walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// Every file was seen.
    Whole,
    /// The visitor had enough.
    Capped,
    /// The time bound passed first.
    TimedOut,
}

/// Visits the files under `base` (relative to the root) that .gitignore does not exclude
/// (hidden files included, `.git` not), in parallel, as paths relative to the root, until
/// `visit` returns `false` or `time` has passed.
fn walk(
    ws: &Workspace,
    base: &Path,
    time: Duration,
    visit: &(dyn Fn(PathBuf) -> bool + Sync),
) -> Ended {
    let root = ws.root();
    let deadline = Instant::now() + time;
    let capped = AtomicBool::new(false);
    let timed_out = AtomicBool::new(false);
    ignore::WalkBuilder::new(root.join(base))
        .hidden(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build_parallel()
        .run(|| {
            Box::new(|entry| {
                if Instant::now() > deadline {
                    timed_out.store(true, Ordering::Relaxed);
                    return WalkState::Quit;
                }
                let Ok(entry) = entry else {
                    return WalkState::Continue;
                };
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    return WalkState::Continue;
                }
                let Ok(rel) = entry.path().strip_prefix(root) else {
                    return WalkState::Continue;
                };
                if visit(rel.to_path_buf()) {
                    WalkState::Continue
                } else {
                    capped.store(true, Ordering::Relaxed);
                    WalkState::Quit
                }
            })
        });
    if capped.load(Ordering::Relaxed) {
        Ended::Capped
    } else if timed_out.load(Ordering::Relaxed) {
        Ended::TimedOut
    } else {
        Ended::Whole
    }
}

/// `path` relative to `base` (both relative to the root; `.` is the root).
fn below<'a>(base: &Path, path: &'a Path) -> Option<&'a Path> {
    if base == Path::new(".") {
        Some(path)
    } else {
        path.strip_prefix(base).ok()
    }
}

fn resolve(ws: &Workspace, path: &str) -> Result<PathBuf, ToolFailure> {
    ws.resolve(path)
        .map_err(|e| ToolFailure(format!("refused: {e}")))
}

/// What a walk that did not finish says.
fn stopped_early(time: Duration) -> String {
    format!(
        "[stopped after {} s: the walk did not finish, so more may match; narrow `path` or the \
         pattern]\n",
        time.as_secs()
    )
}

#[derive(Deserialize)]
struct GlobArgs {
    pattern: String,
    #[serde(default)]
    path: Option<String>,
}

fn glob(
    ws: &Workspace,
    limits: &ToolLimits,
    a: &GlobArgs,
    time: Duration,
) -> Result<ToolOutcome, ToolFailure> {
    let base = resolve(ws, a.path.as_deref().unwrap_or("."))?;
    ws.check_inside(&base)?;
    let matcher = globset::GlobBuilder::new(&a.pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| ToolFailure(format!("bad glob pattern `{}`: {e}", a.pattern)))?
        .compile_matcher();
    let found = Mutex::new(Vec::new());
    let ended = walk(ws, &base, time, &|path| {
        if !below(&base, &path).is_some_and(|rel| matcher.is_match(rel)) {
            return true;
        }
        let Ok(mut found) = found.lock() else {
            return false;
        };
        found.push(ws.display(&path));
        // One more than are shown: enough to know the list is cut.
        found.len() <= limits.max_results
    });
    let mut found = found.into_inner().unwrap_or_default();
    found.sort();
    let total = found.len();
    let mut out: String = found
        .iter()
        .take(limits.max_results)
        .map(|f| format!("{f}\n"))
        .collect();
    match ended {
        Ended::Capped => {
            let _ = writeln!(
                out,
                "[cut: more than {} files match; narrow the pattern or the path]",
                limits.max_results
            );
        }
        Ended::TimedOut => out.push_str(&stopped_early(time)),
        Ended::Whole if total == 0 => out.push_str("[no files match]\n"),
        Ended::Whole => {}
    }
    let shown = total.min(limits.max_results);
    let more = if ended == Ended::Whole { "" } else { "+" };
    Ok(ToolOutcome::ok(
        out,
        format!("{}: {shown}{more} files", a.pattern),
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

/// One file's matching lines: number and text (cut to [`GREP_LINE_CHARS`]).
type Hits = (PathBuf, Vec<(usize, String)>);

fn grep(
    ws: &Workspace,
    limits: &ToolLimits,
    a: &GrepArgs,
    time: Duration,
) -> Result<ToolOutcome, ToolFailure> {
    let base = resolve(ws, a.path.as_deref().unwrap_or("."))?;
    ws.check_inside(&base)?;
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
    let matches = AtomicUsize::new(0);
    let hits: Mutex<Vec<Hits>> = Mutex::new(Vec::new());
    let search = |file: PathBuf| -> bool {
        if let Some(f) = &filter {
            let name_matches = file.file_name().is_some_and(|n| f.is_match(n));
            let rel_matches = below(&base, &file).is_some_and(|r| f.is_match(r));
            if !name_matches && !rel_matches {
                return true;
            }
        }
        // Unreadable, special, hard-linked or huge files are skipped, never waited on.
        let Ok((bytes, _)) = ws.read(&file, MAX_TEXT_BYTES) else {
            return true;
        };
        if bytes.iter().take(8192).any(|b| *b == 0) {
            return true;
        }
        let text = String::from_utf8_lossy(&bytes);
        let mut lines = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if re.is_match(line) {
                lines.push((i + 1, line.chars().take(GREP_LINE_CHARS).collect()));
                // One more than are shown: enough to know the list is cut.
                if matches.fetch_add(1, Ordering::Relaxed) >= limits.max_results {
                    break;
                }
            }
        }
        if !lines.is_empty()
            && let Ok(mut hits) = hits.lock()
        {
            hits.push((file, lines));
        }
        matches.load(Ordering::Relaxed) <= limits.max_results
    };
    let ended = if ws.kind(&base)? == Kind::File {
        search(base.clone());
        if matches.load(Ordering::Relaxed) > limits.max_results {
            Ended::Capped
        } else {
            Ended::Whole
        }
    } else {
        walk(ws, &base, time, &search)
    };
    let mut hits = hits.into_inner().unwrap_or_default();
    hits.sort();
    let mut out = String::new();
    let mut shown = 0;
    let files_with = hits.len();
    'files: for (file, lines) in &hits {
        for (number, line) in lines {
            if shown == limits.max_results {
                break 'files;
            }
            shown += 1;
            let _ = writeln!(out, "{}:{number}: {}", ws.display(file), line.trim_end());
        }
    }
    match ended {
        Ended::Capped => {
            let _ = writeln!(
                out,
                "[cut after {} matches; narrow the pattern or the path]",
                limits.max_results
            );
        }
        Ended::TimedOut => out.push_str(&stopped_early(time)),
        Ended::Whole if shown == 0 => out.push_str("[no matches]\n"),
        Ended::Whole => {}
    }
    Ok(ToolOutcome::ok(
        out,
        format!("/{}/: {shown} matches in {files_with} files", a.pattern),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace(files: usize) -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..files {
            let d = dir.path().join(format!("d{}", i % 10));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(format!("f{i}.rs")), format!("fn f{i}() {{}}\n")).unwrap();
        }
        let ws = Workspace::new(dir.path()).unwrap();
        (dir, ws)
    }

    #[test]
    fn a_walk_stops_at_the_cap_and_says_so_and_a_whole_one_is_sorted() {
        let (_dir, ws) = workspace(200);
        let limits = ToolLimits {
            max_results: 20,
            ..ToolLimits::default()
        };
        let args = GlobArgs {
            pattern: "**/*.rs".into(),
            path: None,
        };
        let out = glob(&ws, &limits, &args, WALK_TIME).unwrap();
        assert_eq!(out.content.lines().count(), 21, "{}", out.content);
        assert!(out.content.contains("[cut: more than 20 files match"));
        let args = GrepArgs {
            pattern: r"fn f1\d*\(".into(),
            path: None,
            glob: None,
            case_insensitive: false,
        };
        let out = grep(&ws, &limits, &args, WALK_TIME).unwrap();
        assert!(
            out.content.contains("[cut after 20 matches"),
            "{}",
            out.content
        );
        assert_eq!(out.content.lines().count(), 21);
        // Under the cap, the whole result, in order.
        let args = GlobArgs {
            pattern: "d3/*.rs".into(),
            path: None,
        };
        let out = glob(&ws, &ToolLimits::default(), &args, WALK_TIME).unwrap();
        let lines: Vec<&str> = out.content.lines().collect();
        let mut sorted = lines.clone();
        sorted.sort_unstable();
        assert_eq!(lines.len(), 20);
        assert_eq!(lines, sorted);
    }

    #[test]
    fn a_walk_past_its_time_stops_with_what_it_found_and_says_why() {
        let (_dir, ws) = workspace(50);
        let args = GlobArgs {
            pattern: "**/*.rs".into(),
            path: None,
        };
        let out = glob(&ws, &ToolLimits::default(), &args, Duration::ZERO).unwrap();
        assert!(
            out.content.contains("[stopped after 0 s"),
            "{}",
            out.content
        );
        assert!(out.summary.ends_with("+ files"), "{}", out.summary);
    }
}
