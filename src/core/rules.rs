//! Claude Code's modular memory: Markdown files under `.claude/rules/` (any depth) of the
//! repository, and of the user (`~/.claude/rules/`). A rule whose front matter names `paths:`
//! globs joins the context when the model first opens a file they match (relative to the
//! repository's root), as Claude Code does; a rule without is memory from the start.
//!
//! A repository's rule is read only where it really lies inside the repository (see
//! [`crate::provided`]); the user's are theirs to link anywhere.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use yaml_rust2::{Yaml, YamlLoader};

use crate::provided::{self, Party};

/// The largest rule file read.
const MAX_READ: u64 = 256 * 1024;
/// How deep under `rules/` files are looked for.
const MAX_DEPTH: usize = 4;

/// One rule file.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Its name in the context (`.claude/rules/api.md`, `~/.claude/rules/style.md`).
    pub shown: String,
    /// The files it applies to; `None`: every file (it is memory from the start).
    pub globs: Option<GlobSet>,
    /// Its text, without the front matter.
    pub text: String,
}

impl Rule {
    /// Whether the rule applies to `file` (relative to the repository's root).
    #[must_use]
    pub fn applies_to(&self, file: &Path) -> bool {
        self.globs.as_ref().is_some_and(|g| g.is_match(file))
    }
}

/// The user's rules, then the repository's (`root`), each folder's files sorted by name.
#[must_use]
pub fn discover(home: Option<&Path>, root: &Path) -> Vec<Rule> {
    let mut out = Vec::new();
    if let Some(home) = home {
        collect(
            &home.join(".claude/rules"),
            Party::User,
            "~/.claude/rules",
            &mut out,
            0,
        );
    }
    collect(
        &root.join(".claude/rules"),
        Party::Repository(root),
        ".claude/rules",
        &mut out,
        0,
    );
    out
}

fn collect(dir: &Path, party: Party<'_>, shown: &str, out: &mut Vec<Rule>, depth: usize) {
    if depth > MAX_DEPTH || provided::locate(dir, party).is_err() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().to_string()) else {
            continue;
        };
        let shown = format!("{shown}/{name}");
        if path.is_dir() {
            collect(&path, party, &shown, out, depth + 1);
        } else if name.ends_with(".md")
            && let Ok(text) = provided::read(&path, party, MAX_READ)
        {
            let (globs, body) = split(&text);
            out.push(Rule {
                shown,
                globs,
                text: body.to_string(),
            });
        }
    }
}

/// The `paths:` globs of a rule's front matter (a string or a list; none, or none valid:
/// `None`), and the text after it.
fn split(text: &str) -> (Option<GlobSet>, &str) {
    let Some(rest) = text.strip_prefix("---\n") else {
        return (None, text);
    };
    let Some(end) = rest.find("\n---") else {
        return (None, text);
    };
    let body = rest[end + 4..].trim_start_matches(['-', '\n', '\r']);
    let Ok(docs) = YamlLoader::load_from_str(&rest[..end]) else {
        return (None, body);
    };
    let patterns: Vec<String> = match docs.first().map(|d| &d["paths"]) {
        Some(Yaml::String(s)) => s.split(',').map(|p| p.trim().to_string()).collect(),
        Some(Yaml::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let mut set = GlobSetBuilder::new();
    let mut any = false;
    for p in patterns.iter().filter(|p| !p.is_empty()) {
        if let Ok(g) = Glob::new(p) {
            set.add(g);
            any = true;
        }
    }
    (any.then(|| set.build().ok()).flatten(), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn rules_with_paths_apply_to_matching_files_and_others_everywhere() {
        let repo = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        write(
            &repo.path().join(".claude/rules/api.md"),
            "---\npaths:\n  - \"src/api/**/*.ts\"\n---\n\n# API rules\n\nValidate every input.\n",
        );
        write(
            &repo.path().join(".claude/rules/frontend/react.md"),
            "---\npaths: src/components/**/*.tsx, src/hooks/*.ts\n---\nUse hooks.\n",
        );
        write(
            &repo.path().join(".claude/rules/general.md"),
            "Write tests first.\n",
        );
        write(
            &home.path().join(".claude/rules/me.md"),
            "Answer briefly.\n",
        );
        let rules = discover(Some(home.path()), repo.path());
        let names: Vec<&str> = rules.iter().map(|r| r.shown.as_str()).collect();
        assert_eq!(
            names,
            [
                "~/.claude/rules/me.md",
                ".claude/rules/api.md",
                ".claude/rules/frontend/react.md",
                ".claude/rules/general.md"
            ]
        );
        let api = &rules[1];
        assert!(api.applies_to(Path::new("src/api/v1/users.ts")));
        assert!(!api.applies_to(Path::new("src/lib.rs")));
        assert!(api.text.starts_with("# API rules"), "{}", api.text);
        assert!(rules[2].applies_to(Path::new("src/hooks/useX.ts")));
        assert!(rules[3].globs.is_none(), "no paths: everywhere");
    }

    #[test]
    fn a_repository_rule_linking_out_of_it_is_not_read() {
        let repo = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        write(&outside.path().join("secret.md"), "SECRET");
        std::fs::create_dir_all(repo.path().join(".claude/rules")).unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("secret.md"),
            repo.path().join(".claude/rules/x.md"),
        )
        .unwrap();
        assert!(discover(None, repo.path()).is_empty());
    }
}
