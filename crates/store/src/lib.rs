//! The SQLite session store.
//!
//! Event-sourced: each session is an append-only log of [`Event`]s in the `events` table, the
//! source of truth; the `sessions` and `messages` tables (and the FTS5 index) are summaries
//! updated in the same transaction as each append. One writer thread owns the write connection
//! ([`Store`]); reads use their own connection ([`Reader`]). SQLite runs in WAL mode with
//! `synchronous=NORMAL`, a busy timeout and foreign keys on, so several gearshift processes
//! can share one file.

mod append;
mod export;
mod maintain;
mod open;
mod read;
mod search;
pub mod stats;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crossbeam_channel::Sender;
use tokio::sync::oneshot;

pub use export::{EXPORT_FORMAT, EXPORT_VERSION, ExportedEvent, SessionExport};
pub use gearshift_protocol::default_title;
pub use open::schema_version;
pub use read::{Reader, SessionSummary, StoredEvent};
pub use search::{MATCH_END, MATCH_START, SearchHit};

use gearshift_protocol::Event;
use maintain::{Imported, Maintenance};
use writer::Request;

/// Store failures a user can act on; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create or open {path}: {source}")]
    Location {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the session database {path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the session database {path} is damaged ({detail}); it was left untouched. Move it aside \
         to start afresh, or use --home to point gearshift elsewhere"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "the session database {path} has schema version {found}, but this gearshift knows only \
         up to version {supported}; upgrade gearshift (the file was left untouched)"
    )]
    TooNew {
        path: PathBuf,
        found: usize,
        supported: usize,
    },
    #[error("cannot migrate the session database {path}: {detail}")]
    Migration { path: PathBuf, detail: String },
    #[error("the disk holding {path} is full; free some space (nothing was lost before this)")]
    DiskFull { path: PathBuf },
    #[error("cannot write the session database {path}: {detail}; check its permissions")]
    ReadOnly { path: PathBuf, detail: String },
    #[error("database error in {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("no session matches `{0}`; `gearshift sessions list --all` shows them")]
    UnknownSession(String),
    #[error("`{prefix}` matches several sessions ({}); type more of the ID", candidates.join(", "))]
    AmbiguousSession {
        prefix: String,
        candidates: Vec<String>,
    },
    #[error("session {session} event {seq} cannot be read by this gearshift: {detail}")]
    UndecodableEvent {
        session: String,
        seq: i64,
        detail: String,
    },
    #[error("the store's writer has stopped")]
    Closed,
    #[error(
        "an event of {bytes} bytes ({kind}) is over the store's limit of {limit} bytes; it was \
         not saved"
    )]
    TooLarge {
        kind: &'static str,
        bytes: usize,
        limit: usize,
    },
    #[error("a session with ID {0} already exists here; it was not overwritten")]
    AlreadyExists(String),
    #[error("{0}")]
    BadImport(String),
}

/// The write side: a handle to the writer thread. Cheap to clone.
/// The largest single event the store accepts: the biggest legitimate ones (a 16 MB file's
/// before and after) fit; anything larger is refused with a message instead of growing the
/// database without bound.
pub const MAX_EVENT_BYTES: usize = 48 * 1024 * 1024;

#[derive(Clone)]
pub struct Store {
    tx: Sender<Request>,
    path: PathBuf,
    last_error: Arc<Mutex<Option<String>>>,
}

/// A pending acknowledgement: resolves once the events are committed.
pub type Ack = oneshot::Receiver<Result<Vec<i64>, StoreError>>;

impl Store {
    /// Opens (creating with mode 0600, and migrating) the database at `path`, and starts the
    /// writer thread.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = open::open_writer(path)?;
        let last_error = Arc::new(Mutex::new(None));
        let tx =
            writer::spawn(conn, path.to_path_buf(), Arc::clone(&last_error)).map_err(|source| {
                StoreError::Location {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
        Ok(Store {
            tx,
            path: path.to_path_buf(),
            last_error,
        })
    }

    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A read connection to the same file.
    pub fn reader(&self) -> Result<Reader, StoreError> {
        Reader::open(&self.path)
    }

    /// Queues events for a session without waiting. Failures are logged and reported by
    /// [`Store::take_error`].
    pub fn append(&self, session: &str, events: Vec<Event>) {
        let _ = self.tx.send(Request::Append {
            session: session.to_string(),
            ts: now_ms(),
            events,
            reply: None,
        });
    }

    /// Queues events and returns a receiver that resolves once they are committed. Use it for
    /// what must be durable before it is acted on (user input, approvals).
    pub fn append_acked(&self, session: &str, events: Vec<Event>) -> Ack {
        let (reply, rx) = oneshot::channel();
        let sent = self.tx.send(Request::Append {
            session: session.to_string(),
            ts: now_ms(),
            events,
            reply: Some(reply),
        });
        if let Err(crossbeam_channel::SendError(Request::Append {
            reply: Some(reply), ..
        })) = sent
        {
            let _ = reply.send(Err(StoreError::Closed));
        }
        rx
    }

    /// Appends and blocks until committed. Not for use on an async runtime thread.
    pub fn append_blocking(
        &self,
        session: &str,
        events: Vec<Event>,
    ) -> Result<Vec<i64>, StoreError> {
        self.append_acked(session, events)
            .blocking_recv()
            .map_err(|_| StoreError::Closed)?
    }

    fn maintain(&self, job: Maintenance) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Maintain { job, reply })
            .map_err(|_| StoreError::Closed)?;
        rx.blocking_recv().map_err(|_| StoreError::Closed)?
    }

    /// Deletes a session and everything of it (events, messages, search index).
    pub fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        self.maintain(Maintenance::Delete { id: id.to_string() })
    }

    /// Copies a session's history into a new session; returns the new ID.
    pub fn fork_session(&self, id: &str, workspace: &str) -> Result<String, StoreError> {
        let to = new_session_id();
        self.maintain(Maintenance::Fork {
            from: id.to_string(),
            to: to.clone(),
            now: now_ms(),
            workspace: workspace.to_string(),
        })?;
        Ok(to)
    }

    /// Writes an exported session here, keeping its ID, times and events.
    pub fn import_session(&self, export: &SessionExport) -> Result<String, StoreError> {
        let id = export.session.id.clone();
        let mut sessions = vec![imported(export, None)?];
        for sub in &export.subagents {
            // A subagent's session is imported under the parent it names, which must be this
            // one: a file cannot slip a session of its own under another of yours.
            let belongs = matches!(
                sub.events.first().map(|e| &e.event),
                Some(Event::SessionOpened { meta })
                    if meta.subagent.as_ref().is_some_and(|s| s.parent == id)
            );
            if !belongs || !sub.subagents.is_empty() {
                return Err(StoreError::BadImport(format!(
                    "the subagent session {} in the export is not one of this session's",
                    sub.session.id
                )));
            }
            sessions.push(imported(sub, Some(&id))?);
        }
        self.maintain(Maintenance::Import(sessions))?;
        Ok(id)
    }

    /// Waits until everything queued so far is committed.
    pub fn flush_blocking(&self) {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Request::Flush(reply)).is_ok() {
            let _ = rx.blocking_recv();
        }
    }

    /// The last write failure not yet reported, if any.
    #[must_use]
    pub fn take_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|mut e| e.take())
    }

    /// Commits everything queued. The writer thread ends when the last clone is dropped.
    pub fn close(self) {
        self.flush_blocking();
    }
}

/// Unix time in milliseconds.
#[must_use]
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A fresh session ID: 32 lowercase hex digits, random so short prefixes are unique.
#[must_use]
pub fn new_session_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A cost rounded to a millionth of a dollar (float sums print `0.2274000000000001`).
#[allow(clippy::ref_option)] // serde's serialize_with takes a reference
pub(crate) fn micro_dollars<S: serde::Serializer>(
    cost: &Option<f64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match cost {
        Some(c) => s.serialize_f64((c * 1e6).round() / 1e6),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests;

/// One session of an export, checked, as the writer imports it.
fn imported(export: &SessionExport, parent: Option<&str>) -> Result<Imported, StoreError> {
    let id = export.session.id.clone();
    match export.events.first().map(|e| &e.event) {
        Some(Event::SessionOpened { meta }) if meta.id == id => {}
        _ => {
            return Err(StoreError::BadImport(
                "the export does not start with this session's opening event".into(),
            ));
        }
    }
    if export.format != EXPORT_FORMAT || export.version > EXPORT_VERSION {
        return Err(StoreError::BadImport(format!(
            "not a gearshift session export this version can read (format `{}` version {})",
            export.format, export.version
        )));
    }
    Ok(Imported {
        id,
        events: export
            .events
            .iter()
            .map(|e| (e.ts, e.event.clone()))
            .collect(),
        parent: parent.map(str::to_string),
    })
}
