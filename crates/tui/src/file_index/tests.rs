use std::fs;

use super::*;

/// The index of `root`, walked to the end and ranked.
fn walked(root: &Path) -> FileIndex {
    let (mut index, walk) = FileIndex::new(root, Arc::new(|| {}));
    walk.run();
    assert!(index.walked());
    index.settle();
    index
}

fn ranked(index: &mut FileIndex, query: &str) -> Vec<String> {
    index.set_query(query);
    index.settle();
    index.rows().to_vec()
}

#[test]
fn the_walk_respects_gitignore_and_names_folders() {
    let ws = tempfile::tempdir().unwrap();
    fs::create_dir_all(ws.path().join("src/core")).unwrap();
    fs::create_dir_all(ws.path().join("target/debug")).unwrap();
    fs::write(ws.path().join("src/main.rs"), "").unwrap();
    fs::write(ws.path().join("src/core/lib.rs"), "").unwrap();
    fs::write(ws.path().join("target/debug/x"), "").unwrap();
    fs::write(ws.path().join(".gitignore"), "target/\n").unwrap();
    // Not a git repository yet: its .gitignore counts all the same.
    let mut index = walked(ws.path());
    let mut all = ranked(&mut index, "");
    all.sort();
    assert_eq!(all, ["src/", "src/core/", "src/core/lib.rs", "src/main.rs"]);
    assert_eq!(index.count(), 4);
    // In a repository, .git is never listed.
    fs::create_dir_all(ws.path().join(".git/objects")).unwrap();
    fs::write(ws.path().join(".git/HEAD"), "").unwrap();
    assert_eq!(walked(ws.path()).count(), 4);
}

#[test]
fn every_file_of_a_big_tree_is_reachable() {
    // Past the 20,000 entries the list used to stop at, with no notice.
    let ws = tempfile::tempdir().unwrap();
    for d in 0..250 {
        let dir = ws.path().join(format!("d{d:03}"));
        fs::create_dir(&dir).unwrap();
        for f in 0..100 {
            fs::write(dir.join(format!("file{:05}.txt", d * 100 + f)), "").unwrap();
        }
    }
    let mut index = walked(ws.path());
    assert_eq!(index.count(), 250 + 25_000);
    assert_eq!(ranked(&mut index, "file24999")[0], "d249/file24999.txt");
    assert_eq!(ranked(&mut index, "file00000")[0], "d000/file00000.txt");
    assert_eq!(
        ranked(&mut index, "").len(),
        ROWS,
        "the popup's rows at most"
    );
    assert!(index.contains("d137/file13742.txt"));
}

#[test]
fn narrowing_and_widening_the_query_ranks_again() {
    let mut index = FileIndex::of(&["src/", "src/main.rs", "src/mail.rs", "README.md"]);
    assert_eq!(ranked(&mut index, "main"), ["src/main.rs"]);
    // Widening after narrowing finds what the narrower query dropped.
    let wider = ranked(&mut index, "mai");
    assert!(wider.contains(&"src/mail.rs".to_string()), "{wider:?}");
    assert!(ranked(&mut index, "zzz").is_empty());
    assert_eq!(ranked(&mut index, "READ"), ["README.md"], "smart case");
}

#[test]
fn a_listed_path_is_known_as_written_and_a_folder_without_its_slash() {
    let index = FileIndex::of(&["src/", "src/main.rs", "docs/café/ñ.md"]);
    assert!(index.contains("src/main.rs"));
    assert!(index.contains("src"));
    assert!(index.contains("src/"));
    assert!(index.contains("docs/café/ñ.md"), "a path that is not ASCII");
    assert!(!index.contains("src/main"));
    assert!(!index.contains("docs"));
    let mut index = index;
    assert_eq!(
        ranked(&mut index, "ñ"),
        ["docs/café/ñ.md"],
        "given back exactly"
    );
}

#[test]
fn a_walk_stops_once_its_index_is_gone() {
    let ws = tempfile::tempdir().unwrap();
    for f in 0..50 {
        fs::write(ws.path().join(format!("f{f}")), "").unwrap();
    }
    let (index, walk) = FileIndex::new(ws.path(), Arc::new(|| {}));
    drop(index);
    let injector = walk.injector.clone();
    walk.run();
    assert_eq!(injector.injected_items(), 0, "nothing listed for nobody");
}

#[test]
fn rows_of_an_older_query_are_never_offered_for_a_newer_one() {
    let mut index = FileIndex::of(&["src/main.rs", "src/mail.rs"]);
    assert_eq!(ranked(&mut index, "main"), ["src/main.rs"]);
    // The query moved on and the matcher has not answered yet: nothing to pick from.
    index.query = "mail".into();
    assert!(!index.ranked());
    assert!(index.rows().is_empty(), "not main's rows for mail");
    index.query = "main".into();
    assert_eq!(index.rows(), ["src/main.rs"]);
}

#[test]
fn a_tick_reports_the_end_of_the_walk() {
    let ws = tempfile::tempdir().unwrap();
    fs::write(ws.path().join("a.rs"), "").unwrap();
    let (mut index, walk) = FileIndex::new(ws.path(), Arc::new(|| {}));
    let walked = Arc::clone(&walk.walked);
    index.settle();
    index.tick();
    walked.store(true, Ordering::Release);
    assert!(index.tick(), "the popup's 'listing…' must go");
    assert!(!index.tick(), "and only once");
    drop(walk);
}
