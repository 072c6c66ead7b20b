//! Where sessions are kept: the database (read-only: integrity, size, schema) and the
//! free space beside it.

use std::path::Path;

use super::Check;

pub(super) fn database(out: &mut Vec<Check>, db: &Path) {
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
    let fix = format!(
        "move it aside (`mv {0} {0}.broken`) and gearshift starts a new one; `sqlite3 {0}.broken .recover` may save the sessions in it",
        db.display()
    );
    let opened =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY);
    let conn = match opened {
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
    let checked: Result<String, _> = conn.query_row("PRAGMA quick_check", [], |r| r.get(0));
    let version: Result<i64, _> = conn.query_row("PRAGMA user_version", [], |r| r.get(0));
    match (checked, version) {
        (Ok(ok), Ok(v)) if ok == "ok" => {
            let expected = crate::store::schema_version();
            let mb = size as f64 / 1_048_576.0;
            if usize::try_from(v).unwrap_or(0) > expected {
                out.push(Check::broken(
                    "database",
                    format!(
                        "{}: schema {v} is newer than this gearshift's {expected}",
                        db.display()
                    ),
                    "update gearshift (it never downgrades a database)",
                ));
            } else {
                out.push(Check::ok(
                    "database",
                    format!(
                        "{}: intact, {mb:.1} MB, schema {v} of {expected}",
                        db.display()
                    ),
                ));
            }
        }
        (Ok(said), Ok(_)) => out.push(Check::broken(
            "database",
            format!("{}: damaged ({said})", db.display()),
            fix,
        )),
        (Err(e), _) | (_, Err(e)) => out.push(Check::broken(
            "database",
            format!("{}: not a readable database ({e})", db.display()),
            fix,
        )),
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
