//! A command's writes sorted by the gate, through the snapshot (no kernel needed: the overlay
//! is tested through the real sandbox in `tests/gate.rs`), and the gate itself over generated
//! symlink layouts.

use std::path::PathBuf;

use proptest::prelude::*;

use super::*;

fn workspace(files: &[(&str, &str)]) -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let ws = Workspace::new(dir.path()).unwrap();
    (dir, ws)
}

fn snapshot(ws: &Workspace) -> Hold {
    let through = Ignores::new(ws).through();
    Hold::Snapshot {
        snapshot: Snapshot::take(ws.root(), through.clone()).unwrap(),
        through,
    }
}

fn read(ws: &Workspace, path: &str) -> Option<String> {
    std::fs::read_to_string(ws.root().join(path)).ok()
}

#[test]
fn a_snapshots_writes_are_kept_proposed_refused_or_written_as_ignored() {
    let (_dir, ws) = workspace(&[
        (".gitignore", "cache/\n"),
        ("src/a.rs", "a\n"),
        (".git/config", "[core]\n"),
        ("cache/old", "1"),
    ]);
    let hold = snapshot(&ws);
    let root = ws.root().to_path_buf();
    std::fs::write(root.join("src/a.rs"), "A\n").unwrap();
    std::fs::write(root.join(".env"), "KEY=1\n").unwrap();
    std::fs::write(root.join(".git/config"), "[core]\nfsmonitor = x\n").unwrap();
    std::fs::write(root.join("cache/new"), "2").unwrap();
    let got = gather(&ws, hold, Writes::Apply, &Secrets::default());
    // The plain write stays (vibe), named and undoable.
    assert_eq!(read(&ws, "src/a.rs").as_deref(), Some("A\n"));
    let applied: Vec<&str> = got
        .writes
        .iter()
        .filter(|w| w.applied)
        .map(|w| w.change.path.as_str())
        .collect();
    assert_eq!(applied, ["src/a.rs"]);
    // A secrets file waits for the human, and is not on disk meanwhile.
    let proposed: Vec<(&str, bool)> = got
        .writes
        .iter()
        .filter(|w| !w.applied)
        .map(|w| (w.change.path.as_str(), w.checkpoint.is_some()))
        .collect();
    assert_eq!(proposed, [(".env", true)]);
    assert_eq!(read(&ws, ".env"), None);
    // `.git` is never written: refused and put back.
    assert!(
        got.refused.iter().any(|r| r.contains(".git/config")),
        "{:?}",
        got.refused
    );
    assert_eq!(read(&ws, ".git/config").as_deref(), Some("[core]\n"));
    // An ignored build output is kept as it was written.
    assert_eq!(read(&ws, "cache/new").as_deref(), Some("2"));
    let report = got.report();
    assert!(
        report.contains("Files written (undoable): src/a.rs"),
        "{report}"
    );
    assert!(
        report.contains("held for the user's review, not on disk yet: .env"),
        "{report}"
    );
}

#[test]
fn in_a_reviewing_gear_every_write_is_proposed_and_put_back_until_decided() {
    let (_dir, ws) = workspace(&[("a.txt", "one\n"), ("b.bin", "x")]);
    let hold = snapshot(&ws);
    let root = ws.root().to_path_buf();
    std::fs::write(root.join("a.txt"), "two\n").unwrap();
    std::fs::write(root.join("b.bin"), [0u8, 1, 2]).unwrap();
    std::os::unix::fs::symlink("a.txt", root.join("link")).unwrap();
    let got = gather(&ws, hold, Writes::Propose, &Secrets::default());
    assert!(got.writes.iter().all(|w| !w.applied));
    let paths: Vec<&str> = got.writes.iter().map(|w| w.change.path.as_str()).collect();
    assert_eq!(paths, ["a.txt", "b.bin", "link"]);
    // Text is a hunk diff; a binary file and a link are decided whole.
    assert!(got.writes[0].change.special.is_none());
    assert!(got.writes[1].change.special.is_some() && got.writes[2].change.special.is_some());
    assert_eq!(read(&ws, "a.txt").as_deref(), Some("one\n"));
    assert_eq!(std::fs::read(root.join("b.bin")).unwrap(), b"x");
    assert!(root.join("link").symlink_metadata().is_err());
}

#[test]
fn a_content_checkpoint_reads_binary_files_and_links_too() {
    let (_dir, ws) = workspace(&[("a.sql", "select 1;\n")]);
    let rule = crate::config::CheckpointRule {
        name: "drops".into(),
        content: vec!["DROP TABLE".into()],
        ..crate::config::CheckpointRule::default()
    };
    let ws = ws.with_checkpoints(std::sync::Arc::new(
        crate::tools::checkpoints::Checkpoints::new(&[rule]).unwrap(),
    ));
    let hold = snapshot(&ws);
    let root = ws.root().to_path_buf();
    // One NUL byte makes the file binary; the words are still there for the database to run.
    std::fs::write(root.join("a.sql"), b"\0DROP TABLE users;\n").unwrap();
    std::os::unix::fs::symlink("DROP TABLE users", root.join("l")).unwrap();
    let got = gather(&ws, hold, Writes::Apply, &Secrets::default());
    let stopped: Vec<(&str, bool, bool)> = got
        .writes
        .iter()
        .map(|w| {
            let special = w.change.special.is_some();
            (
                w.change.path.as_str(),
                w.applied,
                special && w.checkpoint.is_some(),
            )
        })
        .collect();
    assert_eq!(stopped, [("a.sql", false, true), ("l", false, true)]);
    assert_eq!(read(&ws, "a.sql").as_deref(), Some("select 1;\n"));
}

/// A layout of folders and symlinks inside a workspace that holds protected and
/// checkpointed places: each link points at one of them, or at another link.
fn layout() -> impl Strategy<Value = Vec<(String, usize)>> {
    prop::collection::vec(("[a-e]{1,2}", 0..TARGETS.len()), 1..6)
}

const TARGETS: [&str; 9] = [
    ".git",
    ".git/hooks",
    ".claude",
    ".",
    "..",
    "src/auth",
    "src",
    ".gearshift",
    "a",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever links a repository holds, a write the gate clears as plain never lands on a
    /// protected or checkpointed file: checked by where the bytes really are afterwards.
    #[test]
    fn no_protected_or_checkpointed_file_is_written_without_its_decision(
        links in layout(),
        path in "[a-e]{1,2}(/[a-e.]{1,3}){0,3}/[a-z.]{1,8}",
    ) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        for d in [".git/hooks", ".claude", "src/auth", ".gearshift"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        for (name, target) in &links {
            let _ = std::os::unix::fs::symlink(TARGETS[*target], root.join(name));
        }
        let rule = crate::config::CheckpointRule {
            name: "auth".into(),
            paths: vec!["src/auth/**".into()],
            ..crate::config::CheckpointRule::default()
        };
        let checkpoints = std::sync::Arc::new(
            crate::tools::checkpoints::Checkpoints::new(&[rule]).unwrap(),
        );
        let ws = Workspace::new(&root).unwrap().with_checkpoints(checkpoints);
        let Ok(rel) = ws.resolve(&path) else { return Ok(()) };
        let Ok(gated) = ws.gate(&rel) else { return Ok(()) };
        if gated.protection.is_none() && ws.write(&gated.real, b"x", None, Clearance::Plain).is_ok() {
            // Where did the bytes go? The real file, found from the root without any link.
            let real = root.canonicalize().unwrap().join(&gated.real);
            let landed = real.canonicalize().unwrap();
            let rel_landed = landed.strip_prefix(root.canonicalize().unwrap()).unwrap();
            prop_assert_eq!(rel_landed, gated.real.as_path());
            prop_assert!(ws.protection(rel_landed).is_none(), "{} landed on {}", path, rel_landed.display());
        }
        // Nothing ever lands outside the workspace.
        let outside: Vec<PathBuf> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        prop_assert_eq!(outside, vec![root]);
    }
}
