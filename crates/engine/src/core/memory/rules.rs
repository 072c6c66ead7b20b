//! Claude Code's modular memory: Markdown files under `.claude/rules/` (any depth) of the
//! repository, and of the user (`~/.claude/rules/`). A rule whose front matter names `paths:`
//! globs joins the context when the model first opens a file they match (relative to the
//! repository's root), as Claude Code does; a rule without is memory from the start.
//!
//! A repository's rule is read only where it really lies inside the repository (see
//! [`crate::provided`]); the user's are theirs to link anywhere.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use yaml_rust2::{Yaml, YamlLoader};

use crate::provided::{self, Party};

/// The largest rule file read.
const MAX_READ: u64 = 256 * 1024;
/// All rules together stop here: a repository cannot fill the window with them.
const MAX_TOTAL: usize = 256 * 1024;
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
    let mut walk = Walk::default();
    if let Some(home) = home {
        walk.collect(
            &home.join(".claude/rules"),
            Party::User,
            "~/.claude/rules",
            0,
        );
    }
    walk.collect(
        &root.join(".claude/rules"),
        Party::Repository(root),
        ".claude/rules",
        0,
    );
    walk.rules
}

/// A walk of the rule folders: each folder and file read once, whatever links lead to it
/// again (a committed `a -> .` would otherwise multiply them), and the total bounded.
#[derive(Default)]
struct Walk {
    rules: Vec<Rule>,
    seen: std::collections::HashSet<PathBuf>,
    total: usize,
}

impl Walk {
    fn collect(&mut self, dir: &Path, party: Party<'_>, shown: &str, depth: usize) {
        let Ok(real) = provided::locate(dir, party) else {
            return;
        };
        if depth > MAX_DEPTH || !self.seen.insert(real) {
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
                self.collect(&path, party, &shown, depth + 1);
            } else if name.ends_with(".md") && self.total < MAX_TOTAL {
                self.file(&path, party, shown);
            }
        }
    }

    fn file(&mut self, path: &Path, party: Party<'_>, shown: String) {
        let Ok(real) = provided::locate(path, party) else {
            return;
        };
        if !self.seen.insert(real) {
            return;
        }
        let Ok(text) = provided::read(path, party, MAX_READ) else {
            return;
        };
        let Some((globs, body)) = split(&text) else {
            return;
        };
        // Cut as a memory file is.
        let body = super::cut(body.trim().to_string(), &shown);
        self.total += body.len();
        self.rules.push(Rule {
            shown,
            globs,
            text: body,
        });
    }
}

/// The `paths:` globs of a rule's front matter (a string or a list; `None`: no `paths`, the
/// rule applies everywhere), and the text after it; `None` when `paths` is there but none of
/// its globs is valid (the rule is left out rather than applied everywhere).
fn split(text: &str) -> Option<(Option<GlobSet>, &str)> {
    let text = text.trim_start_matches('\u{feff}');
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return Some((None, text));
    };
    let Some(end) = rest.find("\n---") else {
        return Some((None, text));
    };
    let after = &rest[end + 4..];
    let body = after.strip_prefix('\r').unwrap_or(after);
    let body = body.strip_prefix('\n').unwrap_or(body);
    let Ok(docs) = YamlLoader::load_from_str(&rest[..end]) else {
        return Some((None, body));
    };
    let patterns: Vec<String> = match docs.first().map(|d| &d["paths"]) {
        Some(Yaml::String(s)) => s.split(',').map(|p| p.trim().to_string()).collect(),
        Some(Yaml::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => return Some((None, body)),
    };
    // As Claude Code matches them: `*` stays within a folder, `**` crosses folders.
    let mut set = GlobSetBuilder::new();
    let mut any = false;
    for p in patterns.iter().filter(|p| !p.is_empty()) {
        if let Ok(g) = GlobBuilder::new(p).literal_separator(true).build() {
            set.add(g);
            any = true;
        }
    }
    let globs = set.build().ok().filter(|_| any)?;
    Some((Some(globs), body))
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
    fn links_back_into_the_rules_read_each_file_once() {
        let repo = tempfile::tempdir().unwrap();
        let rules = repo.path().join(".claude/rules");
        write(&rules.join("x.md"), &"rule text ".repeat(100));
        for l in ["a", "b", "c", "d", "e"] {
            std::os::unix::fs::symlink(".", rules.join(l)).unwrap();
        }
        let found = discover(None, repo.path());
        assert_eq!(
            found.len(),
            1,
            "{:?}",
            found.iter().map(|r| &r.shown).collect::<Vec<_>>()
        );
        // `*` stays within a folder, as Claude Code's globs do.
        write(&rules.join("y.md"), "---\npaths: src/*.ts\n---\nTS rule.\n");
        let y = discover(None, repo.path())
            .into_iter()
            .find(|r| r.shown.ends_with("y.md"))
            .unwrap();
        assert!(y.applies_to(Path::new("src/a.ts")));
        assert!(!y.applies_to(Path::new("src/deep/a.ts")));
        // Invalid globs leave the rule out rather than apply it everywhere.
        write(&rules.join("z.md"), "---\npaths: \"[\"\n---\nBroken.\n");
        assert!(
            !discover(None, repo.path())
                .iter()
                .any(|r| r.shown.ends_with("z.md"))
        );
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
