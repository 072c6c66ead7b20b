//! `gearshift sessions …`: the stored sessions from the command line. IDs may be abbreviated
//! to any unique prefix.

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::process::ExitCode;

use anyhow::Context as _;

use super::{Context, SessionsCommand};
use crate::protocol::Event;
use crate::report::markdown;
use crate::store::{MATCH_END, MATCH_START, Reader, SessionExport, SessionSummary, Store};

/// Listing never needs more than this many rows on a terminal.
const LIST_LIMIT: usize = 10_000;
const SEARCH_LIMIT: usize = 50;

pub fn run(ctx: &Context, cmd: &SessionsCommand) -> anyhow::Result<ExitCode> {
    // Read-only commands on a home that has no database yet have nothing to show.
    let read_only = matches!(
        cmd,
        SessionsCommand::List { .. } | SessionsCommand::Search { .. }
    );
    if read_only && !ctx.paths.db_file.exists() {
        match cmd {
            SessionsCommand::List { json: true, .. }
            | SessionsCommand::Search { json: true, .. } => {
                outln!("[]");
            }
            _ => outln!("no sessions yet"),
        }
        return Ok(ExitCode::SUCCESS);
    }
    // Opening through the store migrates an older file first.
    let store = Store::open(&ctx.paths.db_file)?;
    let reader = store.reader()?;
    let workspace = ctx.workspace_str();
    match cmd {
        SessionsCommand::List { all, json } => {
            let sessions =
                reader.list_sessions((!all).then_some(workspace.as_str()), LIST_LIMIT)?;
            if *json {
                super::term::json(&serde_json::to_string_pretty(&sessions)?);
            } else {
                out!("{}", table(&sessions, *all));
            }
        }
        SessionsCommand::Search { query, here, json } => {
            search(&reader, query, here.then_some(workspace.as_str()), *json)?;
        }
        SessionsCommand::Show {
            id,
            changes,
            checkpoints,
        } => {
            let id = reader.resolve_id(id)?;
            let export = reader.export(&id)?;
            if *checkpoints {
                out!("{}", crate::report::checkpoint_audit(&export));
            } else if *changes {
                out!("{}", crate::report::change_audit(&export));
            } else {
                out!("{}", markdown(&export));
                subagents(&reader, &id)?;
            }
        }
        SessionsCommand::Export { id, format, output } => {
            export(&reader, id, format, output.as_deref())?;
        }
        SessionsCommand::Import { file } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let export: SessionExport = serde_json::from_str(&text).with_context(|| {
                format!(
                    "{} is not a session export (make one with `gearshift sessions export ID --format json`)",
                    file.display()
                )
            })?;
            let id = store.import_session(&export)?;
            outln!(
                "imported session {id} ({} events): its history only — nothing it approved is in \
                 force, and --continue does not pick it until you resume it by its ID",
                export.events.len()
            );
        }
        SessionsCommand::Rename { id, title } => {
            let id = reader.resolve_id(id)?;
            anyhow::ensure!(!title.trim().is_empty(), "the title is empty");
            store.append_blocking(
                &id,
                vec![Event::TitleChanged {
                    title: title.trim().to_string(),
                }],
            )?;
            outln!("renamed {}", &id[..8.min(id.len())]);
        }
        SessionsCommand::Rm { id, yes } => remove(ctx, &store, &reader, id, *yes)?,
    }
    drop(reader);
    store.close();
    Ok(ExitCode::SUCCESS)
}

/// The sessions of the subagents `id`'s model started, each after its parent's, oldest first.
fn subagents(reader: &Reader, id: &str) -> anyhow::Result<()> {
    for child in reader.children(id)? {
        let export = reader.export(&child.id)?;
        let agent = export
            .events
            .first()
            .and_then(|e| match &e.event {
                Event::SessionOpened { meta } => meta.subagent.as_ref().map(|s| s.agent.clone()),
                _ => None,
            })
            .unwrap_or_default();
        out!(
            "\n---\n\n## Subagent `{agent}` (session {})\n\n{}",
            &child.id[..8.min(child.id.len())],
            markdown(&export)
        );
    }
    Ok(())
}

/// `sessions search`: the hits, best first, the match marked.
fn search(reader: &Reader, query: &str, workspace: Option<&str>, json: bool) -> anyhow::Result<()> {
    let hits = reader.search(query, workspace, SEARCH_LIMIT)?;
    if json {
        let hits: Vec<serde_json::Value> = hits
            .iter()
            .map(|h| {
                let mut v = serde_json::to_value(h).unwrap_or_default();
                v["snippet"] = h.snippet_marked("[", "]").into();
                v
            })
            .collect();
        super::term::json(&serde_json::to_string_pretty(&hits)?);
    } else if hits.is_empty() {
        outln!("no message matches `{query}`");
    } else {
        for h in &hits {
            // The title and snippet are the session's text and pass the sanitiser
            // between the marks (a mark in the title itself is taken out).
            let strip = |t: &str| t.replace([MATCH_START, MATCH_END], "");
            super::term::print_marked(
                &format!(
                    "{}  {:<9}  {}\n          {}\n",
                    &h.session_id[..h.session_id.len().min(8)],
                    h.role,
                    strip(&h.title),
                    h.snippet.replace('\n', " ")
                ),
                MATCH_START,
                MATCH_END,
            );
        }
    }
    Ok(())
}

/// `sessions export`: Markdown or JSON, to a file (the user's alone) or standard output.
fn export(
    reader: &Reader,
    id: &str,
    format: &str,
    output: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let id = reader.resolve_id(id)?;
    let export = reader.export(&id)?;
    let text = if format == "json" {
        serde_json::to_string_pretty(&export)?
    } else {
        markdown(&export)
    };
    match output {
        Some(path) => {
            // An export holds whatever the model read: the user's alone.
            crate::fsutil::write_private(path, text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            errln!(
                "exported session {} to {}",
                &id[..8.min(id.len())],
                path.display()
            );
        }
        None if format == "json" => super::term::json(&text),
        None => out!("{text}"),
    }
    Ok(())
}

/// `sessions rm`: asks first on a terminal, and takes the session's hook transcript too.
fn remove(
    ctx: &Context,
    store: &Store,
    reader: &Reader,
    id: &str,
    yes: bool,
) -> anyhow::Result<()> {
    // Deleting cannot be undone: a prefix as short as one letter is too easy to get
    // wrong.
    anyhow::ensure!(
        id.trim().len() >= MIN_RM_PREFIX,
        "give at least {MIN_RM_PREFIX} characters of the session's ID to delete it \
         (`gearshift sessions list` shows them)"
    );
    let id = reader.resolve_id(id)?;
    // Without a terminal there is no one to ask: a script must say -y.
    anyhow::ensure!(
        yes || std::io::stdin().is_terminal(),
        "not deleting session {id}: there is no terminal to ask on; add -y to delete it \
         without asking"
    );
    if !yes && !confirm_delete(reader, &id)? {
        outln!("kept session {id}");
        return Ok(());
    }
    store.delete_session(&id)?;
    // Its transcript for hooks goes with it (there is none without hooks).
    let transcript = ctx.paths.transcript_dir().join(format!("{id}.jsonl"));
    match std::fs::remove_file(&transcript) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => errln!("gearshift: could not remove {}: {e}", transcript.display()),
    }
    outln!("deleted session {id}");
    Ok(())
}

/// `sessions rm` needs at least this much of an ID.
const MIN_RM_PREFIX: usize = 4;

/// Asks on the terminal whether to delete the session, naming it; only "y" or "yes" deletes.
fn confirm_delete(reader: &Reader, id: &str) -> anyhow::Result<bool> {
    use std::io::Write as _;
    let title = reader
        .session(id)?
        .map(|s| format!(" \"{}\" ({} messages)", s.title, s.message_count))
        .unwrap_or_default();
    errout!("Delete session {id}{title}? It cannot be undone. [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

fn table(sessions: &[SessionSummary], all: bool) -> String {
    let mut out = String::new();
    if sessions.is_empty() {
        let scope = if all {
            ""
        } else {
            " in this workspace (try --all)"
        };
        let _ = writeln!(out, "no sessions{scope}");
        return out;
    }
    let _ = writeln!(
        out,
        "{:<8}  {:<16}  {:<8}  {:>5}  {:>9}  {:>8}  {:<20}  TITLE",
        "ID", "UPDATED", "GEAR", "MSGS", "TOKENS", "COST", "MODEL"
    );
    for s in sessions {
        let updated = chrono::DateTime::from_timestamp_millis(s.updated_at)
            .map(|t| {
                t.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default();
        let mark = if s.imported { "[imported] " } else { "" };
        let title = if all {
            format!("{mark}{}  ({})", s.title, s.workspace)
        } else {
            format!("{mark}{}", s.title)
        };
        let _ = writeln!(
            out,
            "{:<8}  {:<16}  {:<8}  {:>5}  {:>9}  {:>8}  {:<20}  {}",
            &s.id[..s.id.len().min(8)],
            updated,
            s.gear,
            s.message_count,
            s.input_tokens + s.output_tokens,
            crate::report::figures::cost_or_dash(s.cost),
            s.model,
            title
        );
    }
    out
}
