//! Read queries, on a connection of their own so they never wait behind the writer thread.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::{StoreError, open};
use gearshift_protocol::Event;

/// One row of the session list.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SessionSummary {
    pub id: String,
    pub title: String,
    pub workspace: String,
    pub gear: String,
    pub provider: String,
    pub model: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cached_tokens: i64,
    /// US dollars (rounded to a millionth in JSON); `None` when the session's models had no
    /// prices.
    #[serde(serialize_with = "crate::micro_dollars")]
    pub cost: Option<f64>,
    pub message_count: i64,
    pub status: String,
    /// Read from an export file (`sessions import`): its history is evidence, not authority.
    #[serde(default)]
    pub imported: bool,
}

/// An event as stored, with its place in the session.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub seq: i64,
    pub ts: i64,
    pub event: Event,
}

/// Events read at once by [`Reader::pages`].
const PAGE: i64 = 512;

/// A session's events, a page at a time (see [`Reader::pages`]).
pub struct Pages<'a> {
    reader: &'a Reader,
    session: &'a str,
    after: i64,
    page: std::collections::VecDeque<StoredEvent>,
    done: bool,
}

impl Iterator for Pages<'_> {
    type Item = Result<StoredEvent, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.page.is_empty() && !self.done {
            match self.reader.page(self.session, self.after) {
                Ok(page) => {
                    self.done = i64::try_from(page.len()).unwrap_or(0) < PAGE;
                    self.page = page.into();
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        let next = self.page.pop_front()?;
        self.after = next.seq;
        Some(Ok(next))
    }
}

pub struct Reader {
    pub(super) conn: Connection,
    path: PathBuf,
}

/// The cost is `NULL` when nothing of the session was priced but some request used tokens (a
/// model without prices): unknown, not $0.
const SUMMARY_COLUMNS: &str = "id, title, workspace, gear, provider, model, created_at, updated_at,
    input_tokens, output_tokens, cached_tokens,
    CASE WHEN cost = 0 AND EXISTS (SELECT 1 FROM requests q WHERE q.session_id = sessions.id
        AND q.cost IS NULL AND q.input + q.output > 0) THEN NULL ELSE cost END,
    message_count, status, origin";

fn summary(r: &Row<'_>) -> rusqlite::Result<SessionSummary> {
    Ok(SessionSummary {
        id: r.get(0)?,
        title: r.get(1)?,
        workspace: r.get(2)?,
        gear: r.get(3)?,
        provider: r.get(4)?,
        model: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
        input_tokens: r.get(8)?,
        output_tokens: r.get(9)?,
        cached_tokens: r.get(10)?,
        cost: r.get(11)?,
        message_count: r.get(12)?,
        status: r.get(13)?,
        imported: r.get::<_, String>(14)? != "local",
    })
}

impl Reader {
    /// Opens a read connection. Call after [`super::Store::open`] has migrated the file.
    pub fn open(path: &Path) -> Result<Reader, StoreError> {
        Ok(Reader {
            conn: open::open_reader(path)?,
            path: path.to_path_buf(),
        })
    }

    pub(super) fn err(&self, e: rusqlite::Error) -> StoreError {
        StoreError::from_sqlite(&self.path, e)
    }

    /// Sessions newest first; only `workspace`'s when given.
    pub fn list_sessions(
        &self,
        workspace: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SessionSummary>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = match workspace {
            Some(ws) => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {SUMMARY_COLUMNS} FROM sessions WHERE workspace = ?1 AND parent IS NULL
                     ORDER BY updated_at DESC, rowid DESC LIMIT ?2"
                ))
                .and_then(|mut s| s.query_map(params![ws, limit], summary)?.collect()),
            None => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {SUMMARY_COLUMNS} FROM sessions WHERE parent IS NULL
                     ORDER BY updated_at DESC, rowid DESC LIMIT ?1"
                ))
                .and_then(|mut s| s.query_map(params![limit], summary)?.collect()),
        };
        rows.map_err(|e| self.err(e))
    }

    /// The subagents' sessions `parent`'s model started, oldest first.
    pub fn children(&self, parent: &str) -> Result<Vec<SessionSummary>, StoreError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM sessions WHERE parent = ?1 ORDER BY created_at, rowid"
            ))
            .and_then(|mut s| s.query_map([parent], summary)?.collect())
            .map_err(|e| self.err(e))
    }

    pub fn session(&self, id: &str) -> Result<Option<SessionSummary>, StoreError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM sessions WHERE id = ?1"
            ))
            .and_then(|mut s| s.query_row([id], summary).optional())
            .map_err(|e| self.err(e))
    }

    /// The newest session of a workspace, for `--continue`.
    /// The newest session of `workspace` made here or opened by the human (never one only
    /// imported).
    pub fn latest_in_workspace(&self, workspace: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT id FROM sessions
                 WHERE workspace = ?1 AND origin != 'imported' AND parent IS NULL
                 ORDER BY updated_at DESC, rowid DESC LIMIT 1",
            )
            .and_then(|mut s| s.query_row([workspace], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    /// Expands a unique ID prefix to the full ID.
    pub fn resolve_id(&self, prefix: &str) -> Result<String, StoreError> {
        let prefix = prefix.trim();
        if prefix.is_empty() || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(StoreError::UnknownSession(prefix.to_string()));
        }
        // Session IDs are lowercase hex, so a range scan on the primary key finds the prefix.
        let low = prefix.to_ascii_lowercase();
        let high = format!("{low}g");
        let ids: Vec<String> = self
            .conn
            .prepare_cached("SELECT id FROM sessions WHERE id >= ?1 AND id < ?2 LIMIT 6")
            .and_then(|mut s| s.query_map(params![low, high], |r| r.get(0))?.collect())
            .map_err(|e| self.err(e))?;
        match ids.as_slice() {
            [] => Err(StoreError::UnknownSession(prefix.to_string())),
            [one] => Ok(one.clone()),
            many => Err(StoreError::AmbiguousSession {
                prefix: prefix.to_string(),
                candidates: many.to_vec(),
            }),
        }
    }

    /// Every persisted event of a session, in order. An event this binary cannot decode is an
    /// error (never skipped), naming the session and seq.
    pub fn events(&self, session: &str) -> Result<Vec<StoredEvent>, StoreError> {
        self.pages(session).collect()
    }

    /// The events of a session in order, read a page at a time: a long session is never all
    /// in memory at once, neither as JSON nor as events. An event this binary cannot decode
    /// is an error, naming the session and seq.
    pub fn pages<'a>(&'a self, session: &'a str) -> Pages<'a> {
        Pages {
            reader: self,
            session,
            after: i64::MIN,
            page: std::collections::VecDeque::new(),
            done: false,
        }
    }

    /// Up to [`PAGE`] events of `session` after `after`.
    fn page(&self, session: &str, after: i64) -> Result<Vec<StoredEvent>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, ts, payload FROM events WHERE session_id = ?1 AND seq > ?2 \
                 ORDER BY seq LIMIT ?3",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = stmt
            .query(params![session, after, PAGE])
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let seq: i64 = row.get(0).map_err(|e| self.err(e))?;
            let ts: i64 = row.get(1).map_err(|e| self.err(e))?;
            let text = row
                .get_ref(2)
                .and_then(|v| v.as_str().map_err(rusqlite::Error::from))
                .map_err(|e| self.err(e))?;
            let event = serde_json::from_str(text).map_err(|e| StoreError::UndecodableEvent {
                session: session.to_string(),
                seq,
                detail: e.to_string(),
            })?;
            out.push(StoredEvent { seq, ts, event });
        }
        Ok(out)
    }

    /// The text a tool call `call` of `session` gave back, as its latest result, held output
    /// or `!` command output says: for the chat, which keeps only short results itself.
    pub fn tool_output(&self, session: &str, call: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(i64, String)> = self
            .conn
            .prepare_cached(
                "SELECT seq, payload FROM events WHERE session_id = ?1 \
                 AND kind IN ('tool_result', 'tool_held', 'shell_ran') \
                 AND json_extract(payload, '$.id') = ?2 ORDER BY seq DESC LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row(params![session, call], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(|e| self.err(e))?;
        let Some((seq, payload)) = row else {
            return Ok(None);
        };
        let event: Event =
            serde_json::from_str(&payload).map_err(|e| StoreError::UndecodableEvent {
                session: session.to_string(),
                seq,
                detail: e.to_string(),
            })?;
        Ok(match event {
            Event::ToolResult { content, .. } | Event::ToolHeld { content, .. } => Some(content),
            Event::ShellRan { output, .. } => Some(output),
            _ => None,
        })
    }

    /// The user's most recent prompts in a workspace, oldest first, for composer history.
    pub fn recent_prompts(&self, workspace: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut prompts: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT m.text FROM sessions s JOIN messages m ON m.session_id = s.id
                 WHERE s.workspace = ?1 AND m.role = 'user' AND s.parent IS NULL
                 ORDER BY s.updated_at DESC, s.rowid DESC, m.seq DESC LIMIT ?2",
            )
            .and_then(|mut s| {
                s.query_map(params![workspace, limit], |r| r.get(0))?
                    .collect()
            })
            .map_err(|e| self.err(e))?;
        prompts.reverse();
        Ok(prompts)
    }
}

#[cfg(test)]
impl Reader {
    pub(super) fn conn_for_tests(&self) -> &Connection {
        &self.conn
    }
}
