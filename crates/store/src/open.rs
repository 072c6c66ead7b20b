//! Opening the database file safely: create it private, never touch a file that is not ours,
//! refuse a schema newer than this binary, and migrate the rest.
//!
//! Migrations use `rusqlite_migration` (which tracks the version in `PRAGMA user_version`);
//! its 2.6 release is built against rusqlite 0.40, the version we use.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};
use rusqlite_migration::{M, Migrations};

use super::StoreError;

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// How long a connection waits for another writer (another gearshift process) before giving up.
/// Writes are small transactions, so a long wait means something is wrong elsewhere.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
const MIGRATION_ATTEMPTS: u32 = 5;
/// About 5 s of retries for a lock held while another process opens the same file.
const OPEN_BUSY_RETRIES: u32 = 60;

/// Every migration, in order.
const MIGRATIONS: [&str; 6] = [
    include_str!("migrations/001_initial.sql"),
    include_str!("migrations/002_requests.sql"),
    include_str!("migrations/003_origin.sql"),
    include_str!("migrations/004_request_figures.sql"),
    include_str!("migrations/005_subagents.sql"),
    include_str!("migrations/006_agent.sql"),
];

pub(crate) fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect())
}

/// The schema version this binary writes: one per migration.
#[must_use]
pub fn schema_version() -> usize {
    MIGRATIONS.len()
}

/// Makes sure `path` is either absent (then created empty with mode 0600) or looks like a
/// SQLite database. Nothing is written to an existing file here.
pub(super) fn prepare_file(path: &Path) -> Result<(), StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Location {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    match std::fs::File::open(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
            {
                Ok(_) => Ok(()),
                // Another process created it between our two calls: fine.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                Err(source) => Err(StoreError::Location {
                    path: path.to_path_buf(),
                    source,
                }),
            }
        }
        Err(source) => Err(StoreError::Unreadable {
            path: path.to_path_buf(),
            source,
        }),
        Ok(mut file) => {
            let mut header = [0u8; 16];
            let mut read = 0;
            while read < header.len() {
                match file.read(&mut header[read..]) {
                    Ok(0) => break,
                    Ok(n) => read += n,
                    Err(source) => {
                        return Err(StoreError::Unreadable {
                            path: path.to_path_buf(),
                            source,
                        });
                    }
                }
            }
            if read == 0 || header == *SQLITE_MAGIC {
                Ok(())
            } else {
                Err(StoreError::Corrupt {
                    path: path.to_path_buf(),
                    detail: "it is not a SQLite database".into(),
                })
            }
        }
    }
}

/// Each connection's page cache, in KiB (a negative `cache_size` counts KiB).
const PAGE_CACHE_KIB: i64 = -512;

/// Opens a connection with the pragmas every gearshift connection uses.
pub(super) fn connect(path: &Path) -> Result<Connection, StoreError> {
    let wrap = |e| StoreError::from_sqlite(path, e);
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(wrap)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(wrap)?;
    // Reading the schema first surfaces a damaged file before any pragma could write to it.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(wrap)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(wrap)?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(%mode, "could not switch the database to WAL mode");
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(wrap)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(wrap)?;
    // SQLite's default page cache is 2 MB a connection, which a long session fills (the
    // writer's appends, a resume's read): the file is in the OS's page cache anyway.
    conn.pragma_update(None, "cache_size", PAGE_CACHE_KIB)
        .map_err(wrap)?;
    Ok(conn)
}

/// Whether an error is another connection holding a lock we need for a moment.
fn is_busy(e: &StoreError) -> bool {
    matches!(e, StoreError::Sqlite { source, .. }
        if matches!(source.sqlite_error_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)))
}

/// Runs `open`, retrying while another connection briefly holds a lock it needs. Switching a
/// new file to WAL takes an exclusive lock, and SQLite reports that conflict at once rather
/// than through the busy handler.
fn retry_busy<T>(mut open: impl FnMut() -> Result<T, StoreError>) -> Result<T, StoreError> {
    let mut attempt = 0u32;
    loop {
        match open() {
            Err(e) if is_busy(&e) && attempt < OPEN_BUSY_RETRIES => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(10 * u64::from(attempt.min(10))));
            }
            other => return other,
        }
    }
}

/// Opens the writer's connection and brings the schema up to date.
pub(super) fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    prepare_file(path)?;
    retry_busy(|| open_writer_once(path))
}

fn open_writer_once(path: &Path) -> Result<Connection, StoreError> {
    let mut conn = connect(path)?;
    // Every write transaction takes the write lock up front, so two processes queue on the busy
    // timeout instead of failing on a read-to-write upgrade.
    conn.set_transaction_behavior(TransactionBehavior::Immediate);
    let user_version = |conn: &Connection| -> Result<usize, StoreError> {
        Ok(conn
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .map_err(|e| StoreError::from_sqlite(path, e))?
            .try_into()
            .unwrap_or(0))
    };
    let found = user_version(&conn)?;
    if found > schema_version() {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            supported: schema_version(),
        });
    }
    // Two processes opening a new file together may both see version 0; the second's
    // migration then fails on what the first just created. The schema and its version are
    // committed in one transaction, so a failure followed by the current version is fine.
    for attempt in 1..=MIGRATION_ATTEMPTS {
        match migrations().to_latest(&mut conn) {
            Ok(()) => break,
            Err(_) if user_version(&conn)? >= schema_version() => break,
            Err(e) if attempt == MIGRATION_ATTEMPTS => {
                return Err(match e {
                    rusqlite_migration::Error::RusqliteError { err, .. } => {
                        StoreError::from_sqlite(path, err)
                    }
                    other => StoreError::Migration {
                        path: path.to_path_buf(),
                        detail: other.to_string(),
                    },
                });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20 * u64::from(attempt))),
        }
    }
    Ok(conn)
}

/// Opens a connection for reading. The file must already exist and be migrated.
pub(super) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    prepare_file(path)?;
    retry_busy(|| connect(path))
}

impl StoreError {
    pub(super) fn from_sqlite(path: &Path, e: rusqlite::Error) -> StoreError {
        let path = path.to_path_buf();
        if let rusqlite::Error::ToSqlConversionFailure(inner) = &e
            && let Some(big) = inner.downcast_ref::<super::append::EventTooLarge>()
        {
            return StoreError::TooLarge {
                kind: big.kind,
                bytes: big.bytes,
                limit: super::MAX_EVENT_BYTES,
            };
        }
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => StoreError::DiskFull { path },
            Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
                StoreError::ReadOnly {
                    path,
                    detail: e.to_string(),
                }
            }
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
                path,
                detail: e.to_string(),
            },
            _ => StoreError::Sqlite { path, source: e },
        }
    }
}
