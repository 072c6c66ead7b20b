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

/// A full-text search hit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub session_id: String,
    pub title: String,
    pub workspace: String,
    pub updated_at: i64,
    pub seq: i64,
    pub role: String,
    /// The matching passage; matched words are between [`MATCH_START`] and [`MATCH_END`].
    pub snippet: String,
}

/// Marks where a matched word starts in a snippet (a control character no message contains).
pub const MATCH_START: char = '\u{2}';
/// Marks where a matched word ends.
pub const MATCH_END: char = '\u{3}';

impl SearchHit {
    /// The snippet with matches between `open` and `close` (e.g. `[` `]`).
    #[must_use]
    pub fn snippet_marked(&self, open: &str, close: &str) -> String {
        self.snippet
            .replace(MATCH_START, open)
            .replace(MATCH_END, close)
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
                    "SELECT {SUMMARY_COLUMNS} FROM sessions WHERE workspace = ?1
                     ORDER BY updated_at DESC LIMIT ?2"
                ))
                .and_then(|mut s| s.query_map(params![ws, limit], summary)?.collect()),
            None => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {SUMMARY_COLUMNS} FROM sessions ORDER BY updated_at DESC LIMIT ?1"
                ))
                .and_then(|mut s| s.query_map(params![limit], summary)?.collect()),
        };
        rows.map_err(|e| self.err(e))
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
                "SELECT id FROM sessions WHERE workspace = ?1 AND origin != 'imported'
                 ORDER BY updated_at DESC LIMIT 1",
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
                 WHERE s.workspace = ?1 AND m.role = 'user'
                 ORDER BY s.updated_at DESC, m.seq DESC LIMIT ?2",
            )
            .and_then(|mut s| {
                s.query_map(params![workspace, limit], |r| r.get(0))?
                    .collect()
            })
            .map_err(|e| self.err(e))?;
        prompts.reverse();
        Ok(prompts)
    }

    /// Full-text search over message text; only `workspace`'s sessions when given.
    ///
    /// Hits are ranked by BM25 among the newest [`SEARCH_CANDIDATES`] matching messages: a
    /// word in half a million messages would otherwise make every search rank them all. FTS5
    /// walks its index newest first without sorting, so the cost is bounded by the candidate
    /// count, not by how common the words are. Snippets are cut here from the message text
    /// rather than by FTS5's `snippet()`, which would need the whole match set too.
    pub fn search(
        &self,
        query: &str,
        workspace: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let terms: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        let fts = fts_query(query);
        if fts.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, String, String, i64, i64, String, String)> = self
            .conn
            .prepare_cached(
                "SELECT m.session_id, s.title, s.workspace, s.updated_at, m.seq, m.role, m.text
                 FROM (SELECT f.rowid AS id, f.rank AS r
                       FROM messages_fts f
                       JOIN messages mm ON mm.id = f.rowid
                       JOIN sessions ss ON ss.id = mm.session_id
                       WHERE f.messages_fts MATCH ?1 AND (?2 IS NULL OR ss.workspace = ?2)
                       ORDER BY f.rowid DESC LIMIT ?4) AS c
                 JOIN messages m ON m.id = c.id
                 JOIN sessions s ON s.id = m.session_id
                 ORDER BY c.r LIMIT ?3",
            )
            .and_then(|mut st| {
                st.query_map(params![fts, workspace, limit, SEARCH_CANDIDATES], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })?
                .collect()
            })
            .map_err(|e| self.err(e))?;
        Ok(rows
            .into_iter()
            .map(
                |(session_id, title, workspace, updated_at, seq, role, text)| SearchHit {
                    snippet: snippet(&text, &terms),
                    session_id,
                    title,
                    workspace,
                    updated_at,
                    seq,
                    role,
                },
            )
            .collect())
    }
}

/// Matching messages ranked per search; see [`Reader::search`].
pub const SEARCH_CANDIDATES: i64 = 1000;
/// Words of context a snippet shows.
const SNIPPET_WORDS: usize = 16;

/// A window of `text` around the first matched word, matches marked with [`MATCH_START`] and
/// [`MATCH_END`]. A word matches a term when it begins with it, ignoring case, as FTS5's
/// `unicode61` tokenizer matched them (every term is a prefix query).
fn snippet(text: &str, terms: &[String]) -> String {
    let terms: Vec<String> = terms
        .iter()
        .map(|t| {
            t.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|t| !t.is_empty())
        .collect();
    // A token's word, without the punctuation around it.
    let core = |w: &str| -> (usize, usize) {
        let start = w.find(char::is_alphanumeric).unwrap_or(w.len());
        let end = w.rfind(char::is_alphanumeric).map_or(start, |i| {
            i + w[i..].chars().next().map_or(1, char::len_utf8)
        });
        (start, end.max(start))
    };
    let matches = |w: &str| {
        let (a, b) = core(w);
        let word = w[a..b].to_lowercase();
        terms.iter().any(|t| {
            word.starts_with(t.as_str())
                || word
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|p| p.starts_with(t.as_str()))
        })
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    let first = words.iter().position(|w| matches(w)).unwrap_or(0);
    let start = first.saturating_sub(SNIPPET_WORDS / 4);
    let end = (start + SNIPPET_WORDS).min(words.len());
    let mut out = String::new();
    if start > 0 {
        out.push_str("… ");
    }
    for (i, w) in words[start..end].iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if matches(w) {
            let (a, b) = core(w);
            out.push_str(&w[..a]);
            out.push(MATCH_START);
            out.push_str(&w[a..b]);
            out.push(MATCH_END);
            out.push_str(&w[b..]);
        } else {
            out.push_str(w);
        }
    }
    if end < words.len() {
        out.push_str(" …");
    }
    out
}

#[cfg(test)]
#[test]
fn snippets_mark_words_not_their_punctuation() {
    let s = snippet(
        "Done; the tokenizer now keeps (offsets).",
        &["offsets".into(), "TOKENIZER".into()],
    );
    assert_eq!(
        s,
        "Done; the \u{2}tokenizer\u{3} now keeps (\u{2}offsets\u{3})."
    );
    let long: String = (0..60).map(|i| format!("w{i} ")).collect();
    let s = snippet(&long, &["w30".into()]);
    assert!(
        s.starts_with("… w26") && s.ends_with(" …") && s.contains("\u{2}w30\u{3}"),
        "{s}"
    );
}

/// Turns what a user types into an FTS5 query that cannot be a syntax error: every word is
/// quoted, so `foo-bar` or `"` search for text rather than failing.
fn fts_query(input: &str) -> String {
    input
        .split_whitespace()
        .map(|w| w.trim_end_matches('*'))
        .filter(|w| w.chars().any(char::is_alphanumeric))
        // A word matches the words it begins (`discount` finds "discounts"): FTS5's prefix.
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
impl Reader {
    pub(super) fn conn_for_tests(&self) -> &Connection {
        &self.conn
    }
}
