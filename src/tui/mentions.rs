//! `@` mentions in the composer: the word being typed after `@` is completed from the
//! workspace's files and folders (`.gitignore` respected), and the mentions of a prompt that
//! name one of them become its attachments (the core reads them, confined to the workspace).

use std::path::Path;

/// The workspace is listed once, up to this many entries.
pub const MAX_FILES: usize = 20_000;

/// The workspace's files and folders as relative paths (folders end in `/`), `.gitignore`d
/// ones, hidden ones and `.git` left out, in walk order.
#[must_use]
pub fn workspace_files(root: &Path, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let walk = ignore::WalkBuilder::new(root)
        .hidden(true)
        .max_depth(Some(16))
        .build();
    for entry in walk.flatten() {
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        if rel.as_os_str().is_empty() {
            continue;
        }
        let rel = rel.to_string_lossy().into_owned();
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            out.push(format!("{rel}/"));
        } else {
            out.push(rel);
        }
        if out.len() >= max {
            break;
        }
    }
    out
}

/// The `@word` the cursor is at the end of, on `line` at byte `col`: where the `@` is and what
/// follows it (the query).
#[must_use]
pub fn at_cursor(line: &str, col: usize) -> Option<(usize, &str)> {
    let before = line.get(..col)?;
    let start = before.rfind(char::is_whitespace).map_or(0, |i| {
        i + before[i..].chars().next().map_or(1, char::len_utf8)
    });
    let word = &before[start..];
    word.strip_prefix('@').map(|q| (start, q))
}

/// The paths a prompt mentions as `@path` that are in `files` (a trailing `.`, `,`, `:`, `;`,
/// `)` or `?` is punctuation, not part of the path), each once, in order.
#[must_use]
pub fn mentioned(text: &str, files: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let Some(path) = word.strip_prefix('@') else {
            continue;
        };
        let path = path.trim_end_matches(['.', ',', ':', ';', ')', '?', '!']);
        let known = files
            .iter()
            .any(|f| f == path || f.strip_suffix('/') == Some(path));
        if known && !path.is_empty() && !out.iter().any(|p| p == path) {
            out.push(path.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_respects_gitignore_and_names_folders() {
        let ws = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(ws.path().join("src/core")).unwrap();
        std::fs::create_dir_all(ws.path().join("target/debug")).unwrap();
        std::fs::create_dir_all(ws.path().join(".git")).unwrap();
        std::fs::write(ws.path().join("src/main.rs"), "").unwrap();
        std::fs::write(ws.path().join("src/core/lib.rs"), "").unwrap();
        std::fs::write(ws.path().join("target/debug/x"), "").unwrap();
        std::fs::write(ws.path().join(".gitignore"), "target/\n").unwrap();
        let mut files = workspace_files(ws.path(), 100);
        files.sort();
        assert_eq!(
            files,
            ["src/", "src/core/", "src/core/lib.rs", "src/main.rs"]
        );
        assert_eq!(workspace_files(ws.path(), 2).len(), 2, "capped");
    }

    #[test]
    fn the_mention_at_the_cursor_and_the_ones_a_prompt_names() {
        assert_eq!(at_cursor("look at @src/ma", 15), Some((8, "src/ma")));
        assert_eq!(at_cursor("@", 1), Some((0, "")));
        assert_eq!(at_cursor("mail me@x", 9), None);
        assert_eq!(at_cursor("look at @src now", 16), None);
        let files = vec!["src/".to_string(), "src/main.rs".to_string()];
        assert_eq!(
            mentioned(
                "fix @src/main.rs, then @src and @nope and @src/main.rs.",
                &files
            ),
            ["src/main.rs", "src"]
        );
    }
}
