//! Custom commands: prompt templates the user keeps as Markdown files, invoked from the
//! composer as `/name args`, as Claude Code's custom commands are. Found in the user's
//! `<config dir>/commands/` and `~/.claude/commands/`, then the workspace's
//! `.claude/commands/` and `.gearshift/commands/` (a later place replaces an earlier command of
//! the same name). An optional frontmatter gives `description` and `argument-hint`; in the
//! body, `$ARGUMENTS` is everything after the name and `$1`…`$9` its words.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use yaml_rust2::YamlLoader;

/// A template file larger than this is not a command (it would be a prompt of its own).
const MAX_BYTES: u64 = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomCommand {
    pub name: String,
    pub description: String,
    pub hint: String,
    pub body: String,
    pub path: PathBuf,
}

/// Where commands are looked for, lowest precedence first.
#[must_use]
pub fn places(config_dir: Option<&Path>, home: Option<&Path>, workspace: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(dir) = config_dir {
        out.push(dir.join("commands"));
    }
    if let Some(home) = home {
        out.push(home.join(".claude/commands"));
    }
    out.push(workspace.join(".claude/commands"));
    out.push(workspace.join(".gearshift/commands"));
    out
}

/// Every command found in `places`, by name; those in `workspace` are the repository's.
#[must_use]
pub fn discover(places: &[PathBuf], workspace: &Path) -> BTreeMap<String, CustomCommand> {
    let mut out = BTreeMap::new();
    for dir in places {
        let party = if dir.starts_with(workspace) {
            crate::provided::Party::Repository(workspace)
        } else {
            crate::provided::Party::User
        };
        for path in crate::fsutil::files_in(dir, "md") {
            // A regular file of a sane size, where its party may put it: never a FIFO that
            // would block the start, nor a link out of the repository.
            let Ok(text) = crate::provided::read(&path, party, MAX_BYTES) else {
                continue;
            };
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.is_empty() {
                continue;
            }
            out.insert(name.clone(), parse(&name, &path, &text));
        }
    }
    out
}

fn parse(name: &str, path: &Path, text: &str) -> CustomCommand {
    let (front, body) = split_frontmatter(text);
    let field = |key: &str| {
        front
            .and_then(|f| YamlLoader::load_from_str(f).ok())
            .and_then(|docs| docs.into_iter().next())
            .and_then(|doc| doc[key].as_str().map(str::to_string))
            .unwrap_or_default()
    };
    let mut description = field("description");
    if description.is_empty() {
        // The body's first line says what it is, as Claude Code shows it.
        description = body
            .lines()
            .map(|l| l.trim().trim_start_matches('#').trim())
            .find(|l| !l.is_empty())
            .unwrap_or_default()
            .chars()
            .take(80)
            .collect();
    }
    CustomCommand {
        name: name.to_string(),
        description,
        hint: field("argument-hint"),
        body: body.trim().to_string(),
        path: path.to_path_buf(),
    }
}

/// The frontmatter (between a first line `---` and the next `---`) and the body.
fn split_frontmatter(text: &str) -> (Option<&str>, &str) {
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return (None, text);
    };
    match rest.find("\n---") {
        Some(end) => {
            let after = &rest[end + 4..];
            let body = after.split_once('\n').map_or("", |(_, b)| b);
            (Some(&rest[..end]), body)
        }
        None => (None, text),
    }
}

/// The prompt a command's template makes with `args`: `$ARGUMENTS` is all of them, `$1`…`$9`
/// each word; with no `$ARGUMENTS` in the template, non-empty arguments follow it.
#[must_use]
pub fn expand(body: &str, args: &str) -> String {
    let words: Vec<&str> = args.split_whitespace().collect();
    let mut out = body.replace("$ARGUMENTS", args);
    for i in (1..=9).rev() {
        out = out.replace(&format!("${i}"), words.get(i - 1).copied().unwrap_or(""));
    }
    if !body.contains("$ARGUMENTS") && !body.contains("$1") && !args.is_empty() {
        out.push_str("\n\n");
        out.push_str(args);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_from_every_place_later_ones_winning_with_arguments_filled_in() {
        let config = tempfile::tempdir().unwrap();
        let ws = tempfile::tempdir().unwrap();
        let write = |dir: &Path, name: &str, text: &str| {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(name), text).unwrap();
        };
        write(
            &config.path().join("commands"),
            "review.md",
            "Review the last commit.",
        );
        write(
            &config.path().join("commands"),
            "fix-issue.md",
            "---\ndescription: Fix an issue\nargument-hint: NUMBER\n---\nFix issue #$ARGUMENTS, tests first.\n",
        );
        write(
            &ws.path().join(".gearshift/commands"),
            "review.md",
            "# Review against our checklist\n\nUse docs/checklist.md on $1 then $2.",
        );
        write(
            &ws.path().join(".claude/commands"),
            "notes.txt",
            "not a command",
        );
        let found = discover(&places(Some(config.path()), None, ws.path()), ws.path());
        assert_eq!(found.keys().collect::<Vec<_>>(), ["fix-issue", "review"]);
        let fix = &found["fix-issue"];
        assert_eq!(
            (fix.description.as_str(), fix.hint.as_str()),
            ("Fix an issue", "NUMBER")
        );
        assert_eq!(expand(&fix.body, "123"), "Fix issue #123, tests first.");
        let review = &found["review"];
        assert_eq!(review.description, "Review against our checklist");
        assert!(expand(&review.body, "a.rs b.rs").ends_with("on a.rs then b.rs."));
        // No placeholder: the arguments follow the template.
        assert_eq!(expand("Tidy up.", "src/"), "Tidy up.\n\nsrc/");
        assert_eq!(expand("Tidy up.", ""), "Tidy up.");
    }
}
