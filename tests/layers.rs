//! The layers hold: inside each crate, at every level, no two modules reach each other,
//! directly or round a loop (the crate graph is the compiler's to enforce); the TUI names
//! neither the store nor a provider; no source file is over 500 lines and no function over
//! 120. How a module's imports are read is in `layers/modgraph.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "layers/modgraph.rs"]
mod modgraph;

use std::path::{Path, PathBuf};

use modgraph::{find_loop, graphs, is_test_file, non_test_source, rust_files, without_tests};
use regex::Regex;

fn crate_sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = vec![root.join("src")];
    let mut crates: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    crates.sort();
    out.extend(crates);
    out
}

#[test]
fn no_crate_has_a_loop_among_its_modules_at_any_level() {
    let sources = crate_sources();
    assert!(
        sources.len() >= 6,
        "the root package and its crates: {sources:?}"
    );
    let mut levels = 0;
    for src in sources {
        for (scope, edges) in graphs(&src) {
            levels += 1;
            if let Some(cycle) = find_loop(&edges) {
                let steps: Vec<String> = cycle
                    .windows(2)
                    .map(|w| format!("{} -> {} ({:?})", w[0], w[1], edges[&w[0]][&w[1]]))
                    .collect();
                panic!(
                    "{} `{scope}`: a module loop:\n  {}",
                    src.display(),
                    steps.join("\n  ")
                );
            }
        }
    }
    assert!(levels > 20, "every level was read: {levels}");
}

#[test]
fn the_reader_finds_edges_and_loops_at_every_level() {
    let dir = std::env::temp_dir().join(format!("layers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("a")).unwrap();
    let write = |rel: &str, text: &str| std::fs::write(dir.join(rel), text).unwrap();
    write(
        "lib.rs",
        "pub mod a;\npub mod b;\npub mod c;\npub mod d;\npub use d::Thing;\n",
    );
    write(
        "a/mod.rs",
        "mod x;\nmod y;\nuse crate::{b::X, c};\n// crate::d is a comment\n",
    );
    write("a/x.rs", "use super::super::{d, c::f};\nuse super::y::Z;\n");
    write("a/y.rs", "pub struct Z;\n");
    write(
        "b.rs",
        "pub struct X;\n#[cfg(test)]\nmod tests {\n    use crate::a;\n}\n",
    );
    write("c.rs", "pub fn f() -> crate::b::X { crate::b::X }\n");
    write("d.rs", "pub struct Thing;\n");
    let g = graphs(&dir);
    let names = |scope: &str, m: &str| {
        g.get(scope)
            .and_then(|e| e.get(m))
            .map(|e| e.keys().cloned().collect::<Vec<_>>())
    };
    assert_eq!(
        names("", "a"),
        Some(vec!["b".to_string(), "c".to_string(), "d".to_string()]),
        "`super::super::` from a/x.rs is the root"
    );
    assert_eq!(
        names("a", "x"),
        Some(vec!["y".to_string()]),
        "a level below"
    );
    assert_eq!(names("", "b"), None, "test code is not an edge");
    assert_eq!(names("", "c"), Some(vec!["b".to_string()]));
    assert!(g.values().all(|e| find_loop(e).is_none()));
    // A loop through a name the root re-exports from a child, and one a level below.
    write("d.rs", "pub struct Thing;\nuse crate::a;\n");
    write("a/y.rs", "pub struct Z;\nuse super::x;\n");
    write("c.rs", "use crate::Thing;\n");
    let g = graphs(&dir);
    assert_eq!(
        find_loop(&g[""]),
        Some(vec![
            "a".to_string(),
            "c".to_string(),
            "d".to_string(),
            "a".to_string()
        ])
    );
    assert_eq!(
        find_loop(&g["a"]),
        Some(vec!["x".to_string(), "y".to_string(), "x".to_string()])
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_tui_reaches_neither_providers_nor_the_store() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/tui/src");
    let manifest = std::fs::read_to_string(src.parent().unwrap().join("Cargo.toml")).unwrap();
    assert!(
        !manifest.contains("gearshift-store"),
        "the TUI crate depends on the store crate"
    );
    // A path through the engine's modules (`crate::provider::…` through the root's import,
    // `gearshift_engine::provider::…`), an import of the module, or the store crate itself.
    let banned = Regex::new(
        r"\b(?:provider|store)::|\bgearshift_store\b|gearshift_engine::\{[^}]*\b(?:provider|store)\b|use gearshift_engine::(?:provider|store)\b",
    )
    .unwrap();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut checked = 0;
    for path in files {
        let rel = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        if let Some(code) = non_test_source(&rel, &text) {
            checked += 1;
            if let Some(m) = banned.find(&code) {
                panic!("crates/tui/src/{rel} names `{}`", m.as_str());
            }
        }
    }
    assert!(checked > 40, "the TUI's sources were read: {checked}");
}

/// Every source file of the workspace's crates, relative to its crate's `src`, with its
/// non-test text.
fn non_test_files() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for src in crate_sources() {
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for path in files {
            let rel = path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if is_test_file(&rel) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let shown = path.strip_prefix(root).unwrap().display().to_string();
            // Comments are kept here: they are part of a file's length.
            out.push((shown, without_tests(&text).to_string()));
        }
    }
    out
}

/// Functions of `code` longer than `max` lines, as (name, first line, length). A function
/// ends at the first line that is its opening line's indentation and `}` — how rustfmt
/// closes every item.
fn long_functions(code: &str, max: usize) -> Vec<(String, usize, usize)> {
    let open = Regex::new(r"^(\s*)(?:pub(?:\([^)]*\))? )?(?:const )?(?:async )?fn (\w+)").unwrap();
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(c) = open.captures(line) else {
            continue;
        };
        let close = format!("{}}}", &c[1]);
        if let Some(end) = lines[i + 1..].iter().position(|l| *l == close) {
            let len = end + 2;
            if len > max {
                out.push((c[2].to_string(), i + 1, len));
            }
        }
    }
    out
}

#[test]
fn no_source_file_is_over_500_lines_nor_a_function_over_120() {
    let files = non_test_files();
    assert!(files.len() > 100, "the sources were found: {}", files.len());
    let mut problems = Vec::new();
    for (path, code) in &files {
        let lines = code.lines().count();
        if lines > 500 {
            problems.push(format!("{path}: {lines} lines"));
        }
        for (name, line, len) in long_functions(code, 120) {
            problems.push(format!("{path}:{line}: fn {name} is {len} lines"));
        }
    }
    assert!(
        problems.is_empty(),
        "too long:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn the_length_reader_measures_functions_and_methods() {
    let long_body = "    x();\n".repeat(130);
    let code = format!(
        "fn short() {{\n}}\n\nimpl A {{\n    pub(crate) async fn long(&self) {{\n{long_body}    }}\n}}\n"
    );
    assert_eq!(
        long_functions(&code, 120),
        vec![("long".to_string(), 5, 132)]
    );
    assert!(long_functions(&code, 200).is_empty());
}

/// A room of a module names what it takes from its parent: a glob of the parent would take
/// everything the parent imports, so a file's dependencies could not be read from its head.
#[test]
fn no_source_file_takes_its_parent_whole() {
    let files = non_test_files();
    let globs: Vec<&str> = files
        .iter()
        .filter(|(_, code)| {
            code.lines().any(|l| {
                let l = l.trim();
                let l = l.strip_prefix("pub ").unwrap_or(l);
                l.starts_with("use super::*")
            })
        })
        .map(|(path, _)| path.as_str())
        .collect();
    assert!(
        globs.is_empty(),
        "`use super::*;` in:\n  {}",
        globs.join("\n  ")
    );
}
