//! Where sessions are kept: the database (read-only: integrity, size, schema) and the
//! free space beside it.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode};

use super::Check;

/// How long the check reads a large database before it stops and says so: a user's database
/// of thousands of sessions takes seconds to read whole, and the doctor answers at once
/// (`--full` reads every page).
const QUICK_LOOK: Duration = Duration::from_millis(150);

/// Below this size the database is always read whole: it takes a few milliseconds.
const SMALL: u64 = 32 << 20;

pub(super) fn database(out: &mut Vec<Check>, db: &Path, full: bool) {
    if !db.exists() {
        out.push(Check::ok(
            "database",
            format!(
                "{} does not exist yet (the first session makes it)",
                db.display()
            ),
        ));
        return;
    }
    let size = std::fs::metadata(db).map_or(0, |m| m.len());
    let quoted = gearshift_sandbox::quote(&db.display().to_string());
    let broken = gearshift_sandbox::quote(&format!("{}.broken", db.display()));
    let fix = format!(
        "move it aside (`mv {quoted} {broken}`) and gearshift starts a new one; `sqlite3 {broken} .recover` may save the sessions in it"
    );
    let conn = match Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY) {
        Ok(c) => c,
        Err(e) => {
            out.push(Check::broken(
                "database",
                format!("{} cannot be opened: {e}", db.display()),
                fix,
            ));
            return;
        }
    };
    let version: Result<i64, _> = conn.query_row("PRAGMA user_version", [], |r| r.get(0));
    let checked = quick_check(&conn, (!full && size > SMALL).then_some(QUICK_LOOK));
    let expected = crate::store::schema_version();
    let mb = size as f64 / 1_048_576.0;
    match (checked, version) {
        (_, Ok(v)) if usize::try_from(v).unwrap_or(0) > expected => out.push(Check::broken(
            "database",
            format!(
                "{}: schema {v} is newer than this gearshift's {expected}",
                db.display()
            ),
            "update gearshift (it never downgrades a database)",
        )),
        (Ok(Checked::Intact), Ok(v)) => out.push(Check::ok(
            "database",
            format!(
                "{}: intact, {mb:.1} MB, schema {v} of {expected}",
                db.display()
            ),
        )),
        (Ok(Checked::NotWhole), Ok(v)) => out.push(Check::warn(
            "database",
            format!(
                "{}: opens, {mb:.1} MB, schema {v} of {expected}; not checked whole (it takes \
                 longer than a moment)",
                db.display()
            ),
            "`gearshift doctor --full` reads every page for damage",
        )),
        (Ok(Checked::Damaged(said)), Ok(_)) => out.push(Check::broken(
            "database",
            format!(
                "{}: damaged ({})",
                db.display(),
                said.split_whitespace().collect::<Vec<_>>().join(" ")
            ),
            fix,
        )),
        (Err(e), _) | (_, Err(e)) => out.push(Check::broken(
            "database",
            format!("{}: not a readable database ({e})", db.display()),
            fix,
        )),
    }
}

/// What SQLite's `quick_check` found.
enum Checked {
    Intact,
    Damaged(String),
    /// The time allowed ran out before every page was read.
    NotWhole,
}

/// `PRAGMA quick_check`, interrupted after `budget` when there is one. The interrupt is
/// repeated every millisecond until the check ends: SQLite drops one that arrives before the
/// statement has started.
fn quick_check(conn: &Connection, budget: Option<Duration>) -> rusqlite::Result<Checked> {
    let (done, wait) = mpsc::channel::<()>();
    if let Some(budget) = budget {
        let handle = conn.get_interrupt_handle();
        std::thread::spawn(move || {
            let mut patience = budget;
            while wait.recv_timeout(patience) == Err(mpsc::RecvTimeoutError::Timeout) {
                handle.interrupt();
                patience = Duration::from_millis(1);
            }
        });
    }
    let said: rusqlite::Result<String> = conn.query_row("PRAGMA quick_check", [], |r| r.get(0));
    drop(done);
    match said {
        Ok(ok) if ok == "ok" => Ok(Checked::Intact),
        Ok(said) => Ok(Checked::Damaged(said)),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::OperationInterrupted => {
            Ok(Checked::NotWhole)
        }
        Err(e) => Err(e),
    }
}

pub(super) fn disk(out: &mut Vec<Check>, db: &Path) {
    let dir = db
        .parent()
        .and_then(|d| d.ancestors().find(|p| p.exists()))
        .unwrap_or(Path::new("/"));
    match nix::sys::statvfs::statvfs(dir) {
        Ok(s) => {
            let free = s.blocks_available() * s.fragment_size();
            let gb = free as f64 / 1e9;
            let what = format!(
                "{gb:.1} GB free where the database lives ({})",
                dir.display()
            );
            if free < 100_000_000 {
                out.push(Check::broken(
                    "disk",
                    what,
                    "free some space: a full disk stops sessions from being saved",
                ));
            } else if free < 1_000_000_000 {
                out.push(Check::warn(
                    "disk",
                    what,
                    "free some space before long sessions",
                ));
            } else {
                out.push(Check::ok("disk", what));
            }
        }
        Err(e) => out.push(Check::warn(
            "disk",
            format!("free space unknown: {e}"),
            "check with `df`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real database file of about `mb` megabytes.
    fn database(dir: &Path, mb: usize) -> std::path::PathBuf {
        let path = dir.join("big.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT); CREATE INDEX t_body ON t(body); BEGIN;")
            .unwrap();
        let row = "x".repeat(1000);
        for i in 0..mb * 1000 {
            conn.execute("INSERT INTO t (body) VALUES (?1)", [format!("{i}{row}")])
                .unwrap();
        }
        conn.execute_batch("COMMIT;").unwrap();
        path
    }

    #[test]
    fn a_large_database_is_looked_at_for_a_moment_and_said_to_be_not_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = database(dir.path(), 30);
        let conn =
            Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let started = std::time::Instant::now();
        let looked = quick_check(&conn, Some(Duration::ZERO)).unwrap();
        assert!(matches!(looked, Checked::NotWhole), "stopped at once");
        assert!(started.elapsed() < Duration::from_secs(2));
        // The connection is usable afterwards, and without a budget the check reads it all.
        assert!(matches!(quick_check(&conn, None).unwrap(), Checked::Intact));
        let mut out = Vec::new();
        super::database(&mut out, &path, true);
        assert!(out[0].what.contains("intact"), "{:?}", out[0]);
        // Under 32 MiB the default look reads it whole too.
        let mut out = Vec::new();
        super::database(&mut out, &path, false);
        assert!(out[0].what.contains("intact"), "{:?}", out[0]);
    }

    #[test]
    fn a_damaged_page_is_found_by_the_full_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = database(dir.path(), 2);
        // Overwrite a page in the middle of the index with garbage, past the header and
        // the schema, so the file still opens.
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2 / 4096 * 4096;
        bytes[middle..middle + 4096].fill(0x5a);
        std::fs::write(&path, bytes).unwrap();
        let mut out = Vec::new();
        super::database(&mut out, &path, true);
        assert_eq!(out[0].level, super::super::Level::Broken, "{:?}", out[0]);
        assert!(
            out[0].fix.as_deref().unwrap().contains(".recover"),
            "{:?}",
            out[0]
        );
        assert!(!out[0].what.contains('\n'), "one line: {:?}", out[0]);
    }
}
