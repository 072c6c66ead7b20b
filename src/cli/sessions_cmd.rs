//! `gearshift sessions …`: the stored sessions from the command line.

use std::fmt::Write as _;
use std::process::ExitCode;

use super::{Context, SessionsCommand};
use crate::store::{Reader, SessionSummary, Store};

/// Listing never needs more than this many rows on a terminal.
const LIST_LIMIT: usize = 10_000;

pub fn run(ctx: &Context, cmd: &SessionsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        SessionsCommand::List { all, json } => {
            let sessions = list(ctx, *all)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&sessions)?);
            } else {
                print!("{}", table(&sessions, *all));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list(ctx: &Context, all: bool) -> anyhow::Result<Vec<SessionSummary>> {
    // A read-only command does not create the database.
    if !ctx.paths.db_file.exists() {
        return Ok(Vec::new());
    }
    // Opening through the store migrates an older file first.
    let store = Store::open(&ctx.paths.db_file)?;
    let reader: Reader = store.reader()?;
    let workspace = ctx.workspace.to_string_lossy();
    Ok(reader.list_sessions((!all).then_some(&*workspace), LIST_LIMIT)?)
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
        let title = if all {
            format!("{}  ({})", s.title, s.workspace)
        } else {
            s.title.clone()
        };
        let _ = writeln!(
            out,
            "{:<8}  {:<16}  {:<8}  {:>5}  {:>9}  {:>8}  {:<20}  {}",
            &s.id[..s.id.len().min(8)],
            updated,
            s.gear,
            s.message_count,
            s.input_tokens + s.output_tokens,
            format!("${:.4}", s.cost),
            s.model,
            title
        );
    }
    out
}
