//! A crate's module graph, read from its source: at every level, which sibling modules name
//! each other.
//!
//! A module's imports are read as text: every path that starts at `crate`, `self` or a chain
//! of `super`, alone or in a `{…}` group, in its non-test source with comments removed; a name
//! a parent re-exports from a child (`pub use read::Reader;`) counts as the child. A full Rust
//! parser (syn) would see the same paths at the cost of another large build dependency; the
//! project writes its paths this way (rustfmt keeps `use` trees whole), and a miss would only
//! hide an edge, never invent one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;

/// From a module to the sibling modules it names, with the files that name them.
pub type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

pub fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
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

/// Whether a file (relative to its crate's `src`) holds only tests.
pub fn is_test_file(rel: &str) -> bool {
    rel.ends_with("/tests.rs") || rel == "tests.rs" || rel.contains("/tests/")
}

/// `text` without its trailing `mod tests`.
pub fn without_tests(text: &str) -> &str {
    match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    }
}

/// The source a build without tests compiles: test files and a trailing `mod tests` cut,
/// comments removed.
pub fn non_test_source(rel: &str, text: &str) -> Option<String> {
    if is_test_file(rel) {
        return None;
    }
    let comment = Regex::new(r"//[^\n]*").unwrap();
    Some(comment.replace_all(without_tests(text), "").into_owned())
}

/// The module a file is: `a/b.rs` and `a/b/mod.rs` are `[a, b]`; `lib.rs` is the root.
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// Every level's graph of the crate rooted at `src`, by the path of the level's module (`""`
/// for the root, `core`, `core/actor`, …).
pub fn graphs(src: &Path) -> BTreeMap<String, Graph> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let sources: Vec<(String, String)> = files
        .iter()
        .filter_map(|path| {
            let rel = path
                .strip_prefix(src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(path).unwrap();
            non_test_source(&rel, &text).map(|code| (rel, code))
        })
        .collect();
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|(rel, _)| module_of(rel)).collect();
    let aliases = aliases(&sources, &modules);
    let path =
        Regex::new(r"\b(crate|super|self)((?:::super)*)::(\w+(?:::\w+)*|\{[^}]*\})").unwrap();
    let word = Regex::new(r"\w+").unwrap();
    let mut out: BTreeMap<String, Graph> = BTreeMap::new();
    for (rel, code) in &sources {
        let here = module_of(rel);
        for c in path.captures_iter(code) {
            let base: Vec<String> = match &c[1] {
                "crate" => Vec::new(),
                "self" => here.clone(),
                _ => {
                    let up = 1 + c[2].matches("super").count();
                    if up > here.len() {
                        continue;
                    }
                    here[..here.len() - up].to_vec()
                }
            };
            let rest = &c[3];
            let targets: Vec<&str> = match rest.strip_prefix('{') {
                Some(list) => list.trim_end_matches('}').split(',').collect(),
                None => vec![rest],
            };
            for target in targets {
                let named = target.split(" as ").next().unwrap_or_default();
                let mut to = base.clone();
                to.extend(word.find_iter(named).map(|m| m.as_str().to_string()));
                let to = resolve(to, &modules, &aliases);
                add_edge(&mut out, &here, &to, &modules, rel);
            }
        }
    }
    out
}

/// Names each module re-exports from one of its children, as (module, name) → child.
fn aliases(
    sources: &[(String, String)],
    modules: &BTreeSet<Vec<String>>,
) -> BTreeMap<(Vec<String>, String), String> {
    let reexport =
        Regex::new(r"(?m)^\s*(?:pub(?:\([^)]*\))? )?use (?:self::)?(\w+)::(\{[^}]*\}|\w+)")
            .unwrap();
    let name = Regex::new(r"(\w+)(?:\s+as\s+(\w+))?").unwrap();
    let mut out = BTreeMap::new();
    for (rel, code) in sources {
        let scope = module_of(rel);
        for c in reexport.captures_iter(code) {
            let mut child = scope.clone();
            child.push(c[1].to_string());
            if !modules.contains(&child) {
                continue;
            }
            for n in name.captures_iter(c[2].trim_matches(|ch| ch == '{' || ch == '}')) {
                let shown = n.get(2).unwrap_or_else(|| n.get(1).unwrap()).as_str();
                if shown != "self" {
                    out.insert((scope.clone(), shown.to_string()), c[1].to_string());
                }
            }
        }
    }
    out
}

/// `to` with every re-exported name replaced by the child module it comes from.
fn resolve(
    mut to: Vec<String>,
    modules: &BTreeSet<Vec<String>>,
    aliases: &BTreeMap<(Vec<String>, String), String>,
) -> Vec<String> {
    let mut k = 0;
    while k < to.len() {
        let scope = to[..k].to_vec();
        let mut as_module = scope.clone();
        as_module.push(to[k].clone());
        if !modules.contains(&as_module)
            && let Some(child) = aliases.get(&(scope, to[k].clone()))
        {
            to.insert(k, child.clone());
        }
        k += 1;
    }
    to
}

/// The edge `here` → `to` at the level where their paths part, if both sides are modules.
fn add_edge(
    out: &mut BTreeMap<String, Graph>,
    here: &[String],
    to: &[String],
    modules: &BTreeSet<Vec<String>>,
    rel: &str,
) {
    let common = here.iter().zip(to).take_while(|(a, b)| a == b).count();
    if common >= here.len() || common >= to.len() {
        return;
    }
    let mut sibling = here[..common].to_vec();
    sibling.push(to[common].clone());
    if !modules.contains(&sibling) {
        return;
    }
    out.entry(here[..common].join("/"))
        .or_default()
        .entry(here[common].clone())
        .or_default()
        .entry(to[common].clone())
        .or_default()
        .insert(rel.to_string());
}

/// A loop through `edges`, as the modules in order, if there is one.
pub fn find_loop(edges: &Graph) -> Option<Vec<String>> {
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
