//! Project memory as Claude Code and Codex read it: `AGENTS.md` and `CLAUDE.md` in every
//! folder from the repository's root down to the workspace, after the user's global files
//! (`~/.codex/AGENTS.md`, `~/.claude/CLAUDE.md`); `@path` imports in a CLAUDE.md expanded (a
//! few levels deep; a repository's files import only from the repository, the user's own from
//! the home too — a cloned repository cannot pull `~/.aws/credentials` into a request — and
//! never a `.env` file or anything under `.git`); the same file reached twice (a symlinked
//! pair) read once. Each file becomes its own section of the system prompt, and
//! its own item in the context pane.

pub mod rules;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A memory file's section of the system prompt: its heading (which the context pane splits
/// on) and its text.
#[must_use]
pub fn section(shown: &str, text: &str) -> String {
    format!("{HEADING}{shown}\n\n{}", text.trim())
}

/// `text` cut to [`MAX_BYTES`] (at a character boundary), the cut said with `shown`'s name.
#[must_use]
pub fn cut(text: String, shown: &str) -> String {
    if text.len() <= MAX_BYTES {
        return text;
    }
    let mut at = MAX_BYTES;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    format!(
        "{}\n[cut: {shown} is longer than {MAX_BYTES} bytes]",
        &text[..at]
    )
}

/// The file names a folder's memory may have: Codex's (`AGENTS.override.md` replaces
/// `AGENTS.md` in its folder), Claude Code's project file, its alternative place and its
/// personal one.
pub const FILES: [&str; 5] = [
    "AGENTS.override.md",
    "AGENTS.md",
    "CLAUDE.md",
    ".claude/CLAUDE.md",
    "CLAUDE.local.md",
];

/// The memory files of `dir`, in order: `AGENTS.override.md` if there is one, else
/// `AGENTS.md` (as Codex reads them), then `CLAUDE.md`, `.claude/CLAUDE.md` and
/// `CLAUDE.local.md` (as Claude Code does).
/// An override counts only where it could be read: one linking out of the repository (whose
/// root is `boundary`) does not hide `AGENTS.md`.
#[must_use]
pub fn folder_files(dir: &Path, boundary: &Path) -> Vec<PathBuf> {
    let party = if dir.starts_with(boundary) {
        crate::provided::Party::Repository(boundary)
    } else {
        crate::provided::Party::User
    };
    let readable = |p: &Path| crate::provided::locate(p, party).is_ok_and(|real| real.is_file());
    let agents = if readable(&dir.join(FILES[0])) {
        FILES[0]
    } else {
        FILES[1]
    };
    std::iter::once(agents)
        .chain(FILES[2..].iter().copied())
        .map(|name| dir.join(name))
        .collect()
}
/// More than this of one file is cut, so a huge file cannot crowd out the conversation.
const MAX_BYTES: usize = 64 * 1024;
/// A file larger than this is not read at all.
const MAX_READ: u64 = 4 * 1024 * 1024;
/// How deep `@path` imports are followed (Claude Code follows five).
const MAX_IMPORT_DEPTH: usize = 5;
/// The heading each file's section starts with; the context pane splits on it.
pub const HEADING: &str = "\n\n# Project instructions from ";

/// Where memory comes from.
#[derive(Debug, Clone, Copy)]
pub struct Roots<'a> {
    pub workspace: &'a Path,
    pub home: Option<&'a Path>,
}

/// Every memory file's section, in order, formatted for the system prompt.
#[must_use]
pub fn load(roots: Roots<'_>) -> String {
    let mut reader = Reader {
        roots,
        boundary: repository_root(roots.workspace),
        seen: HashSet::new(),
        out: String::new(),
    };
    if let Some(home) = roots.home {
        let codex = home.join(".codex");
        let global = if codex.join("AGENTS.override.md").is_file() {
            codex.join("AGENTS.override.md")
        } else {
            codex.join("AGENTS.md")
        };
        reader.file(&global, 0);
        reader.file(&home.join(".claude/CLAUDE.md"), 0);
    }
    for dir in folders(&reader.boundary, roots.workspace) {
        for path in folder_files(&dir, &reader.boundary) {
            reader.file(&path, 0);
        }
    }
    // Claude Code's `.claude/rules/`: those scoped to paths join when a matching file is
    // opened (`rules::matching`); the others are memory from the start.
    let boundary = reader.boundary.clone();
    for rule in rules::discover(roots.home, &boundary) {
        if rule.globs.is_none() && !reader.out.contains(&format!("{HEADING}{}\n", rule.shown)) {
            reader.out.push_str(&section(&rule.shown, &rule.text));
        }
    }
    reader.out
}

/// The memory files of the folders from below the workspace's root down to `folder` (relative
/// to the workspace), the outermost first — what Claude Code adds when the model first reads a
/// file there — with their imports, leaving out the files named in `known` (already in the
/// context). Empty when there are none.
#[must_use]
pub fn nested(roots: Roots<'_>, folder: &Path, known: &HashSet<String>) -> String {
    if folder
        .components()
        .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return String::new();
    }
    let mut reader = Reader {
        roots,
        boundary: repository_root(roots.workspace),
        seen: HashSet::new(),
        out: String::new(),
    };
    let mut dir = roots.workspace.to_path_buf();
    for part in folder.components() {
        dir.push(part);
        for path in folder_files(&dir, &reader.boundary.clone()) {
            if !known.contains(&reader.shown(&path)) {
                reader.file(&path, 0);
            }
        }
    }
    // An import already in the context is not said twice either.
    let mut out = String::new();
    for (name, section) in sections(&reader.out) {
        if !known.contains(name) {
            out.push_str(HEADING);
            out.push_str(section);
        }
    }
    out
}

/// Whether `path` names a memory file (`AGENTS.md`, `AGENTS.override.md`, `CLAUDE.md`,
/// `CLAUDE.local.md` in any folder, or a Markdown file under `.claude/rules/`).
#[must_use]
pub fn is_memory_file(path: &str) -> bool {
    let p = Path::new(path);
    // Judged on the path as it leads: `.claude/rules/../../docs/x.md` is not a rule.
    if p.components().any(|c| {
        matches!(
            c,
            std::path::Component::ParentDir | std::path::Component::CurDir
        )
    }) {
        return false;
    }
    let named = p.file_name().is_some_and(|n| {
        FILES
            .iter()
            .filter_map(|f| Path::new(f).file_name())
            .any(|f| n.eq_ignore_ascii_case(f))
    });
    let rule = path.starts_with(".claude/rules/") && path.ends_with(".md");
    named || rule
}

/// The names of the files a memory text has sections for, in order.
#[must_use]
pub fn sections(memory: &str) -> Vec<(&str, &str)> {
    memory
        .split(HEADING)
        .skip(1)
        .map(|s| {
            let (name, _) = s.split_once("\n\n").unwrap_or((s, ""));
            (name, s)
        })
        .collect()
}

/// The repository's root above `workspace` (the nearest folder with `.git`), or the workspace.
#[must_use]
pub fn repository_root(workspace: &Path) -> PathBuf {
    workspace
        .ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(workspace)
        .to_path_buf()
}

/// The folders from `top` down to `workspace`, `top` first.
fn folders(top: &Path, workspace: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = workspace
        .ancestors()
        .take_while(|d| d.starts_with(top))
        .map(Path::to_path_buf)
        .collect();
    out.reverse();
    out
}

struct Reader<'a> {
    roots: Roots<'a>,
    /// Imports may not reach outside this (or the home).
    boundary: PathBuf,
    seen: HashSet<PathBuf>,
    out: String,
}

impl Reader<'_> {
    /// Reads `path` (once, whatever the link that leads to it) and the files it imports.
    fn file(&mut self, path: &Path, depth: usize) {
        // A file in the repository is read only where it really lies inside it (a committed
        // `AGENTS.md -> /proc/self/environ` is not read); the user's own, wherever they link.
        let party = if path.starts_with(&self.boundary) {
            crate::provided::Party::Repository(&self.boundary)
        } else {
            crate::provided::Party::User
        };
        let Ok(real) = crate::provided::locate(path, party) else {
            return;
        };
        if !real.is_file() || !self.seen.insert(real.clone()) {
            return;
        }
        let Ok(text) = crate::provided::read(&real, party, MAX_READ) else {
            return;
        };
        let shown = self.shown(path);
        let text = cut(text, &shown);
        self.out.push_str(&section(&shown, &text));
        if depth < MAX_IMPORT_DEPTH {
            let dir = path.parent().unwrap_or(Path::new("."));
            let from_repository = self.inside_repository(&real);
            for import in imports(&text) {
                let target = match import.strip_prefix("~/") {
                    Some(rest) => match self.roots.home {
                        Some(home) => home.join(rest),
                        None => continue,
                    },
                    None => dir.join(import),
                };
                if self.allowed(&target, from_repository) {
                    self.file(&target, depth + 1);
                }
            }
        }
    }

    /// Whether `real` (canonical) is inside the repository.
    fn inside_repository(&self, real: &Path) -> bool {
        std::fs::canonicalize(&self.boundary).is_ok_and(|r| real.starts_with(r))
    }

    /// An import stays inside the repository (or, from the user's own files, the home),
    /// wherever its links lead, and is never a secrets file or part of `.git`.
    fn allowed(&self, target: &Path, from_repository: bool) -> bool {
        let Ok(real) = std::fs::canonicalize(target) else {
            return false;
        };
        let secret = real.components().any(|c| {
            let c = c.as_os_str().to_string_lossy();
            c == ".git" || c.starts_with(".env")
        });
        if secret {
            return false;
        }
        let in_home = self
            .roots
            .home
            .is_some_and(|h| std::fs::canonicalize(h).is_ok_and(|h| real.starts_with(h)));
        self.inside_repository(&real) || (!from_repository && in_home)
    }

    /// A file's name as the model and the context pane see it.
    fn shown(&self, path: &Path) -> String {
        if let Ok(rel) = path.strip_prefix(self.roots.workspace) {
            return rel.display().to_string();
        }
        if let Some(rel) = self.roots.home.and_then(|h| path.strip_prefix(h).ok()) {
            return format!("~/{}", rel.display());
        }
        path.display().to_string()
    }
}

/// The `@path` imports of a memory file: `@` starting a word, outside code spans and blocks,
/// followed by a path. Hand-written: Claude Code's rule is this one, and no crate parses it.
fn imports(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut in_code = false;
        let mut prev = ' ';
        for (i, c) in line.char_indices() {
            if c == '`' {
                in_code = !in_code;
            } else if c == '@' && !in_code && prev.is_whitespace() {
                let rest = &line[i + 1..];
                let end = rest
                    .find(|ch: char| ch.is_whitespace() || ch == ',' || ch == ')')
                    .unwrap_or(rest.len());
                let path = rest[..end].trim_end_matches(['.', ';', ':']);
                if path.contains('/') || path.contains('.') {
                    out.push(path);
                }
            }
            prev = c;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn parent_files_to_the_repository_root_then_the_workspace_and_the_users_global_ones() {
        let repo = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(repo.path().join(".git")).unwrap();
        let ws = repo.path().join("services/api");
        write(&repo.path().join("AGENTS.md"), "Repository rule.");
        write(&repo.path().join("services/CLAUDE.md"), "Services rule.");
        write(&ws.join("AGENTS.md"), "API rule.");
        write(&home.path().join(".claude/CLAUDE.md"), "My own rule.");
        // Above the repository: not read.
        let m = load(Roots {
            workspace: &ws,
            home: Some(home.path()),
        });
        let names: Vec<&str> = sections(&m).into_iter().map(|(n, _)| n).collect();
        let repo_agents = repo.path().join("AGENTS.md").display().to_string();
        let services = repo.path().join("services/CLAUDE.md").display().to_string();
        assert_eq!(
            names,
            [
                "~/.claude/CLAUDE.md",
                repo_agents.as_str(),
                services.as_str(),
                "AGENTS.md"
            ]
        );
        let order = [
            "My own rule.",
            "Repository rule.",
            "Services rule.",
            "API rule.",
        ];
        let at: Vec<usize> = order.iter().map(|t| m.find(t).unwrap()).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{m}");
    }

    #[test]
    fn imports_are_followed_inside_the_repository_and_a_symlinked_pair_is_read_once() {
        let ws = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        write(&outside.path().join("secret.md"), "SECRET");
        write(&ws.path().join("docs/style.md"), "Use tabs. @nested.md");
        write(&ws.path().join("docs/nested.md"), "Nested rule. @../.env");
        write(&ws.path().join(".env"), "KEY=1");
        write(
            &ws.path().join("AGENTS.md"),
            &format!(
                "See @docs/style.md and @{}.\n`@docs/not-an-import.md`\n```\n@docs/nor-this.md\n```\n",
                outside.path().join("secret.md").display()
            ),
        );
        std::os::unix::fs::symlink("AGENTS.md", ws.path().join("CLAUDE.md")).unwrap();
        let m = load(Roots {
            workspace: ws.path(),
            home: None,
        });
        assert!(m.contains("Use tabs.") && m.contains("Nested rule."), "{m}");
        assert!(!m.contains("SECRET"), "an import outside is not read: {m}");
        assert!(!m.contains("KEY=1"), "nor a secrets file: {m}");
        assert_eq!(m.matches("See @docs/style.md").count(), 1, "read once: {m}");
        let names: Vec<&str> = sections(&m).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["AGENTS.md", "docs/style.md", "docs/nested.md"]);
        assert_eq!(imports("a @x.md b `@y.md` c@z.md"), ["x.md"]);
    }

    #[test]
    fn a_repositorys_file_cannot_import_from_the_home_but_the_users_own_can() {
        let ws = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        write(&home.path().join(".aws/credentials"), "AWS_SECRET");
        write(&home.path().join("notes/style.md"), "My style.");
        write(
            &home.path().join(".claude/CLAUDE.md"),
            "Mine: @~/notes/style.md",
        );
        write(&ws.path().join("CLAUDE.md"), "Repo: @~/.aws/credentials");
        let m = load(Roots {
            workspace: ws.path(),
            home: Some(home.path()),
        });
        assert!(m.contains("My style."), "{m}");
        assert!(!m.contains("AWS_SECRET"), "{m}");
    }

    #[test]
    fn a_nested_folders_files_are_read_outermost_first_and_once() {
        let ws = tempfile::tempdir().unwrap();
        std::fs::create_dir(ws.path().join(".git")).unwrap();
        write(&ws.path().join("AGENTS.md"), "Root rule.");
        write(
            &ws.path().join("crates/AGENTS.md"),
            "Crates rule. See @NOTES.md",
        );
        write(&ws.path().join("crates/NOTES.md"), "Imported note.");
        write(&ws.path().join("crates/core/CLAUDE.md"), "Core rule.");
        write(&ws.path().join("crates/core/src/lib.rs"), "");
        let roots = Roots {
            workspace: ws.path(),
            home: None,
        };
        let at_start = load(roots);
        let mut known: HashSet<String> = sections(&at_start)
            .into_iter()
            .map(|(n, _)| n.to_string())
            .collect();
        assert_eq!(known, HashSet::from(["AGENTS.md".to_string()]));
        let first = nested(roots, Path::new("crates/core/src"), &known);
        let names: Vec<&str> = sections(&first).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "crates/AGENTS.md",
                "crates/NOTES.md",
                "crates/core/CLAUDE.md"
            ]
        );
        assert!(first.contains("Core rule.") && !first.contains("Root rule."));
        known.extend(names.iter().map(ToString::to_string));
        // Once in the context, never again; a folder with none says nothing.
        assert_eq!(nested(roots, Path::new("crates/core"), &known), "");
        assert_eq!(nested(roots, Path::new("crates/other"), &known), "");
        // Nothing outside the workspace, whatever the path says.
        assert_eq!(nested(roots, Path::new("../x"), &HashSet::new()), "");
        assert_eq!(nested(roots, Path::new("/etc"), &HashSet::new()), "");
    }

    #[test]
    fn nothing_without_files() {
        let ws = tempfile::tempdir().unwrap();
        assert_eq!(
            load(Roots {
                workspace: ws.path(),
                home: None
            }),
            ""
        );
    }
}
