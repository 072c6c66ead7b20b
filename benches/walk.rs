//! The search tools and `@` completion on repositories of the sizes users have: 1,000, 30,000
//! and 300,000 files (30 crates of folders of 100 files, a third `.rs`, behind a .gitignore
//! that hides a `target/` of as many more). For each: `glob **/*.rs` (more matches than the
//! cap: it stops there), `glob` of one file's name (a whole walk), `grep` of a word in every
//! file (capped) and of a word in one (a whole walk, reading every file); then `@` completion
//! (see `mentions`). Median of 5 after a
//! warm-up, with the page cache warm. Run: `cargo bench --bench walk` (the 300,000-file tree
//! takes about 20 s to make, in the temp dir, removed at the end).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gearshift::provider::ToolCallRequest;
use gearshift::tools::{ToolLimits, Workspace, search};
use gearshift::tui::file_index::FileIndex;

fn make(root: &Path, files: usize) {
    std::fs::write(root.join(".gitignore"), "target/\n").unwrap();
    let per_folder = 100;
    for i in 0..files {
        let (crate_no, folder) = (i % 30, i / (30 * per_folder));
        let dir = root.join(format!("crate{crate_no}/src/mod{folder}"));
        if i % (30 * per_folder) < 30 {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::create_dir_all(root.join(format!("target/{crate_no}/{folder}"))).unwrap();
        }
        let ext = ["rs", "md", "txt"][i % 3];
        let text = format!("fn f{i}() {{}}\n// common marker\n");
        std::fs::write(dir.join(format!("file{i}.{ext}")), &text).unwrap();
        std::fs::write(
            root.join(format!("target/{crate_no}/{folder}/out{i}.o")),
            &text,
        )
        .unwrap();
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(ws: &Workspace, tool: &str, arguments: &str) -> (Duration, String) {
    let call = ToolCallRequest {
        id: "b".into(),
        name: tool.into(),
        arguments: arguments.into(),
    };
    let limits = ToolLimits::default();
    let _ = search::execute(&call, ws, &limits);
    let mut samples = Vec::new();
    let mut summary = String::new();
    for _ in 0..5 {
        let t = Instant::now();
        let out = search::execute(&call, ws, &limits);
        samples.push(t.elapsed());
        summary = out.summary;
    }
    (median(samples), summary)
}

/// `@` completion: from the first `@` to the popup's first rows, to the whole tree listed,
/// and to the last file made ranked first for its name (every file reachable). The event
/// loop's part is played by polling `tick` every millisecond.
fn mentions(root: &Path, last: usize) {
    let t = Instant::now();
    let (mut index, walk) = FileIndex::new(root, Arc::new(|| {}));
    let walker = std::thread::spawn(move || walk.run());
    let mut first = None;
    while !index.walked() {
        index.tick();
        if first.is_none() && !index.rows().is_empty() {
            first = Some(t.elapsed());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    walker.join().unwrap();
    index.settle();
    let whole = t.elapsed();
    let first = first.unwrap_or(whole);
    let t = Instant::now();
    let name = format!("file{last}.{}", ["rs", "md", "txt"][last % 3]);
    index.set_query(&name);
    while !index.rows().first().is_some_and(|r| r.ends_with(&name)) {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "file{last} never ranked"
        );
        std::thread::sleep(Duration::from_millis(1));
        index.tick();
    }
    println!(
        "  @ completion: first rows {first:.1?}, {} listed in {whole:.1?}, @{name} ranked first in {:.1?}",
        index.count(),
        t.elapsed()
    );
}

fn main() {
    for files in [1_000, 30_000, 300_000] {
        let dir = tempfile::tempdir().unwrap();
        let t = Instant::now();
        make(dir.path(), files);
        println!(
            "{files} files (+ {files} ignored), made in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let ws = Workspace::new(dir.path()).unwrap();
        let last = files - 3;
        for (tool, args) in [
            ("glob", r#"{"pattern":"**/*.rs"}"#.to_string()),
            ("glob", format!(r#"{{"pattern":"**/file{last}.rs"}}"#)),
            ("grep", r#"{"pattern":"common marker"}"#.to_string()),
            ("grep", format!(r#"{{"pattern":"fn f{last}\\("}}"#)),
        ] {
            let (took, summary) = time(&ws, tool, &args);
            println!("  {tool} {args}: {took:.1?} ({summary})");
        }
        mentions(dir.path(), last);
    }
}
