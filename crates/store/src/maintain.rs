//! Maintenance on the writer thread: deleting a session, forking one, importing sessions —
//! each one transaction.

use std::path::Path;

use rusqlite::{Connection, Transaction};

use super::StoreError;
use super::append::append_events;
use gearshift_protocol::{Event, default_title};

pub(super) enum Maintenance {
    Delete {
        id: String,
    },
    /// Copies `from`'s history into a new session `to`.
    Fork {
        from: String,
        to: String,
        now: i64,
        /// The workspace the fork works in (the one it was forked from).
        workspace: String,
    },
    /// Writes sessions' events with their original times, in one transaction: a session and
    /// its subagents' (each under its parent).
    Import(Vec<Imported>),
}

/// One session of an import.
pub(super) struct Imported {
    pub id: String,
    pub events: Vec<(i64, Event)>,
    /// The session of the same import that ran it as a subagent.
    pub parent: Option<String>,
}

pub(super) fn maintain(
    conn: &mut Connection,
    path: &Path,
    job: Maintenance,
) -> Result<(), StoreError> {
    let sql = |e| StoreError::from_sqlite(path, e);
    let tx = conn.transaction().map_err(sql)?;
    match job {
        Maintenance::Delete { id } => {
            // Events and messages go by cascade, the search index by trigger; its subagents'
            // sessions (what they read and were asked) go with it.
            tx.execute("DELETE FROM sessions WHERE parent = ?1", [&id])
                .map_err(sql)?;
            let n = tx
                .execute("DELETE FROM sessions WHERE id = ?1", [&id])
                .map_err(sql)?;
            if n == 0 {
                return Err(StoreError::UnknownSession(id));
            }
        }
        Maintenance::Fork {
            from,
            to,
            now,
            workspace,
        } => {
            let rows: Vec<(i64, String)> = tx
                .prepare("SELECT ts, payload FROM events WHERE session_id = ?1 ORDER BY seq")
                .and_then(|mut s| {
                    s.query_map([&from], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect()
                })
                .map_err(sql)?;
            if rows.is_empty() {
                return Err(StoreError::UnknownSession(from));
            }
            let mut first = true;
            let mut title = String::new();
            for (ts, payload) in rows {
                let event: Event =
                    serde_json::from_str(&payload).map_err(|e| StoreError::UndecodableEvent {
                        session: from.clone(),
                        seq: 0,
                        detail: e.to_string(),
                    })?;
                match &event {
                    Event::TitleChanged { title: t } => title.clone_from(t),
                    Event::UserMessage { text, .. } if title.is_empty() => {
                        title = default_title(text);
                    }
                    _ => {}
                }
                let event = match (first, event) {
                    (true, Event::SessionOpened { mut meta }) => {
                        meta.id.clone_from(&to);
                        // A fork is the human's own session, whatever it was forked from.
                        meta.subagent = None;
                        meta.created_at = now;
                        // The fork works here: a model told of another workspace would write
                        // in this one anyway.
                        meta.workspace.clone_from(&workspace);
                        append_events(&tx, &to, now, &[Event::SessionOpened { meta }])
                            .map_err(sql)?;
                        append_events(
                            &tx,
                            &to,
                            now,
                            &[Event::SessionForked { from: from.clone() }],
                        )
                        .map_err(sql)?;
                        first = false;
                        continue;
                    }
                    (_, e) => e,
                };
                append_events(&tx, &to, ts, std::slice::from_ref(&event)).map_err(sql)?;
            }
            // The copied requests were paid for once, by the session forked: stats count them
            // there only.
            tx.execute("DELETE FROM requests WHERE session_id = ?1", [&to])
                .map_err(sql)?;
            let title = if title.is_empty() {
                "fork".to_string()
            } else {
                format!("{title} (fork)")
            };
            append_events(&tx, &to, now, &[Event::TitleChanged { title }]).map_err(sql)?;
        }
        Maintenance::Import(sessions) => {
            for Imported { id, events, parent } in sessions {
                import_one(&tx, path, &id, &events, parent.as_deref())?;
            }
        }
    }
    tx.commit().map_err(sql)
}

/// Writes one imported session. It is the human's to read: what it granted is dropped, and it
/// is another's subagent only when `parent`, of the same import, ran it.
fn import_one(
    tx: &Transaction<'_>,
    path: &Path,
    id: &str,
    events: &[(i64, Event)],
    parent: Option<&str>,
) -> Result<(), StoreError> {
    let sql = |e| StoreError::from_sqlite(path, e);
    let exists: bool = tx
        .query_row(
            "SELECT EXISTS(SELECT 1 FROM sessions WHERE id = ?1)",
            [id],
            |r| r.get(0),
        )
        .map_err(sql)?;
    if exists {
        return Err(StoreError::AlreadyExists(id.to_string()));
    }
    // No event of a file is later than its import: a forged date cannot put it first.
    let now = crate::now_ms();
    // What is never stored live (a subagent's progress, a delta) is not taken from a file.
    for (ts, event) in events.iter().filter(|(_, e)| e.is_persisted()) {
        append_events(tx, id, (*ts).min(now), std::slice::from_ref(event)).map_err(sql)?;
    }
    // Last, so nothing in the file comes after it: what it granted is dropped.
    append_events(tx, id, now, &[Event::Imported { at: now }]).map_err(sql)?;
    tx.execute(
        "UPDATE sessions SET origin = 'imported', parent = ?2,
         agent = CASE WHEN ?2 IS NULL THEN NULL ELSE agent END WHERE id = ?1",
        rusqlite::params![id, parent],
    )
    .map_err(sql)?;
    Ok(())
}
