//! The layers hold: no two top-level modules of a crate reach each other, directly or round a
//! loop. The crate graph is the compiler's to enforce; inside a crate this test does it.
//!
//! A module's imports are read as text: every `crate::name` path in its non-test source (and
//! `crate::{a, b}` groups), and every `super::` chain that climbs to the crate root
//! (`super::name` in `app.rs`, `super::super::name` in `app/keys.rs`), comments removed. A full Rust parser (syn) would see the same
//! paths at the cost of another large build dependency; the project writes its paths this
//! way (rustfmt keeps `use` trees whole), and a miss would only hide an edge, never invent one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;

type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source a build without tests compiles: test files and a trailing `mod tests` cut,
/// comments removed.
fn non_test_source(rel: &str, text: &str) -> Option<String> {
    if rel.ends_with("/tests.rs") || rel == "tests.rs" || rel.contains("/tests/") {
        return None;
    }
    let body = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let comment = Regex::new(r"//[^\n]*").unwrap();
    Some(comment.replace_all(body, "").into_owned())
}

/// Which top-level module of the crate rooted at `src` names which, and in which files.
fn graph(src: &Path) -> Graph {
    let single = Regex::new(r"crate::(\w+)").unwrap();
    let group = Regex::new(r"crate::\{([^}]*)\}").unwrap();
    let head = Regex::new(r"(?:^|,)\s*(\w+)").unwrap();
    let up = Regex::new(r"((?:super::)+)(\w+|\{[^}]*\})").unwrap();
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut edges = Graph::new();
    for path in files {
        let rel = path
            .strip_prefix(src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let Some(code) = non_test_source(&rel, &text) else {
            continue;
        };
        let mut named: Vec<String> = single
            .captures_iter(&code)
            .map(|c| c[1].to_string())
            .collect();
        for g in group.captures_iter(&code) {
            named.extend(head.captures_iter(&g[1]).map(|c| c[1].to_string()));
        }
        // How deep the file's module is: `app.rs` and `app/mod.rs` 1, `app/keys.rs` 2.
        let depth = rel
            .trim_end_matches(".rs")
            .trim_end_matches("/mod")
            .split('/')
            .count();
        for u in up.captures_iter(&code) {
            if u[1].matches("super::").count() != depth {
                continue;
            }
            match u[2].strip_prefix('{') {
                Some(list) => named.extend(
                    head.captures_iter(list.trim_end_matches('}'))
                        .map(|c| c[1].to_string()),
                ),
                None => named.push(u[2].to_string()),
            }
        }
        let out = edges.entry(top.clone()).or_default();
        for to in named.into_iter().filter(|t| *t != top) {
            out.entry(to).or_default().insert(rel.clone());
        }
    }
    edges
}

/// A loop through `edges`, as the modules in order, if there is one.
fn find_loop(edges: &Graph) -> Option<Vec<String>> {
    fn visit(
        at: &str,
        edges: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|m| m == at) {
            let mut cycle = path[i..].to_vec();
            cycle.push(at.to_string());
            return Some(cycle);
        }
        if done.contains(at) {
            return None;
        }
        path.push(at.to_string());
        for next in edges.get(at).into_iter().flat_map(BTreeMap::keys) {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(at.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|m| visit(m, edges, &mut Vec::new(), &mut done))
}

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
fn no_crate_has_a_loop_among_its_top_level_modules() {
    let sources = crate_sources();
    assert!(
        sources.len() >= 3,
        "the root package and its crates: {sources:?}"
    );
    for src in sources {
        let edges = graph(&src);
        if let Some(cycle) = find_loop(&edges) {
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|w| format!("{} -> {} ({:?})", w[0], w[1], edges[&w[0]][&w[1]]))
                .collect();
            panic!(
                "{}: a module loop:\n  {}",
                src.display(),
                steps.join("\n  ")
            );
        }
    }
}

#[test]
fn the_reader_finds_edges_and_loops() {
    let dir = std::env::temp_dir().join(format!("layers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("a")).unwrap();
    let write = |rel: &str, text: &str| std::fs::write(dir.join(rel), text).unwrap();
    write("lib.rs", "pub mod a;\npub mod b;\npub mod c;\n");
    write(
        "a/mod.rs",
        "use crate::{b::X, c};\n// crate::d is a comment\n",
    );
    write(
        "b.rs",
        "pub struct X;\n#[cfg(test)]\nmod tests {\n    use crate::a;\n}\n",
    );
    write("c.rs", "pub fn f() -> crate::b::X { crate::b::X }\n");
    write(
        "a/inner.rs",
        "use super::super::{d, c::f};\nuse super::Y;\n",
    );
    write("d.rs", "");
    let edges = graph(&dir);
    let names = |m: &str| edges.get(m).map(|e| e.keys().cloned().collect::<Vec<_>>());
    assert_eq!(
        names("a"),
        Some(vec!["b".to_string(), "c".to_string(), "d".to_string()]),
        "`super::super::` from a/inner.rs is the root; `super::Y` stays in a"
    );
    assert_eq!(names("b"), Some(vec![]), "test code is not an edge");
    assert_eq!(names("c"), Some(vec!["b".to_string()]));
    assert_eq!(find_loop(&edges), None);
    write("b.rs", "use super::a;\n");
    let edges = graph(&dir);
    assert_eq!(
        find_loop(&edges),
        Some(vec!["a".to_string(), "b".to_string(), "a".to_string()])
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
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let code = non_test_source("lib.rs", &lib).unwrap();
    for banned in ["provider", "store"] {
        let named = Regex::new(&format!(
            r"\b{banned}::|gearshift_engine::\{{[^}}]*\b{banned}\b"
        ))
        .unwrap();
        assert!(
            !named.is_match(&code),
            "crates/tui/src/lib.rs names `{banned}`"
        );
        for (module, to) in &graph(&src) {
            assert!(
                !to.contains_key(banned),
                "the TUI's `{module}` reaches `{banned}` in {:?}",
                to[banned]
            );
        }
    }
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
            let text = std::fs::read_to_string(&path).unwrap();
            let shown = path.strip_prefix(root).unwrap().display().to_string();
            // Comments are kept here: they are part of a file's length.
            let code = match text.find("#[cfg(test)]\nmod tests") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            if non_test_source(&rel, "").is_some() {
                out.push((shown, code));
            }
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
