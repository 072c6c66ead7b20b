//! Project memory of nested folders, as Claude Code reads it: when the model first opens a file
//! in a folder below the workspace's root, that folder's `AGENTS.md` / `CLAUDE.md` (and those of
//! the folders between) join the context before its next request, and so do the
//! `.claude/rules/` files whose `paths:` match the file — recorded, so a resumed session has
//! them and never says them twice.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Actor;
use crate::protocol::Event;
use crate::provider::ChatMessage;
use crate::tools;

/// The file tools whose `path` opens a folder.
const OPENING: [&str; 3] = [tools::READ_FILE, tools::EDIT_FILE, tools::WRITE_FILE];

impl Actor {
    /// Adds the memory files of the folders the model opened files in since the last request.
    /// False when the store failed.
    pub(super) async fn tell_nested_memory(&mut self) -> bool {
        let root = self.deps.tools.workspace.root().to_path_buf();
        let len = self.state.conversation.len();
        let from = std::mem::replace(&mut self.memory_scan, len).min(len);
        let files = opened_files(&self.state.conversation[from..], &root);
        if files.is_empty() {
            return true;
        }
        let mut folders: Vec<PathBuf> = Vec::new();
        for folder in files
            .iter()
            .filter_map(|f| f.parent().filter(|p| !p.as_os_str().is_empty()))
        {
            if self.folders_seen.insert(folder.to_path_buf()) {
                folders.push(folder.to_path_buf());
            }
        }
        let mut known = self.memory_in_context();
        let roots = crate::core::memory::Roots {
            workspace: &root,
            home: self.deps.home_dir.as_deref(),
        };
        let mut text = String::new();
        for folder in folders {
            let found = crate::core::memory::nested(roots, &folder, &known);
            known.extend(
                crate::core::memory::sections(&found)
                    .into_iter()
                    .map(|(n, _)| n.to_string()),
            );
            text.push_str(&found);
        }
        // The rules scoped to the files opened (paths relative to the repository's root).
        let boundary = crate::core::memory::repository_root(&root);
        let below = root.strip_prefix(&boundary).unwrap_or(Path::new(""));
        for rule in crate::core::memory::rules::discover(self.deps.home_dir.as_deref(), &boundary) {
            if rule.globs.is_some()
                && !known.contains(&rule.shown)
                && files.iter().any(|f| rule.applies_to(&below.join(f)))
            {
                text.push_str(&crate::core::memory::section(&rule.shown, &rule.text));
                known.insert(rule.shown);
            }
        }
        if text.is_empty() {
            return true;
        }
        self.record(vec![Event::Instructed {
            text: crate::core::prompts::nested_memory(&text),
            category: Some(crate::context::Category::Memory),
        }])
        .await
    }

    /// The memory files already in the context: the system prompt's, and those added since.
    fn memory_in_context(&self) -> HashSet<String> {
        let added = self
            .state
            .stage_messages
            .iter()
            .filter(|(_, c)| **c == crate::context::Category::Memory)
            .filter_map(
                |(i, _)| match self.state.conversation.get(*i).map(|m| &**m) {
                    Some(ChatMessage::User { text }) => Some(text.as_str()),
                    _ => None,
                },
            );
        std::iter::once(self.memory.as_str())
            .chain(added)
            .flat_map(crate::core::memory::sections)
            .map(|(name, _)| name.to_string())
            .collect()
    }
}

/// The files (relative to `root`, below it) the model's file tools named in `messages`, in
/// the order first named.
fn opened_files(messages: &[Arc<ChatMessage>], root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for m in messages {
        let ChatMessage::Assistant { tool_calls, .. } = &**m else {
            continue;
        };
        for call in tool_calls
            .iter()
            .filter(|c| OPENING.contains(&c.name.as_str()))
        {
            let Some(path) = tools::paths_of(call).into_iter().next().map(PathBuf::from) else {
                continue;
            };
            let relative = match path.strip_prefix(root) {
                Ok(r) => r.to_path_buf(),
                Err(_) if path.is_relative() => path,
                Err(_) => continue,
            };
            if relative
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)))
                && !out.contains(&relative)
            {
                out.push(relative);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ToolCallRequest;

    fn call(name: &str, path: &str) -> ToolCallRequest {
        ToolCallRequest {
            id: "c".into(),
            name: name.into(),
            arguments: serde_json::json!({ "path": path }).to_string(),
        }
    }

    #[test]
    fn the_files_opened_below_the_root_once_each() {
        let m = ChatMessage::Assistant {
            text: String::new(),
            tool_calls: vec![
                call(tools::READ_FILE, "src/a/x.rs"),
                call(tools::EDIT_FILE, "/w/src/a/y.rs"),
                call(tools::WRITE_FILE, "top.md"),
                call(tools::READ_FILE, "/elsewhere/z.rs"),
                call(tools::GREP, "lib"),
                call(tools::READ_FILE, "docs/b.md"),
            ],
            reasoning: None,
        };
        assert_eq!(
            opened_files(&[m.into()], Path::new("/w")),
            [
                PathBuf::from("src/a/x.rs"),
                PathBuf::from("src/a/y.rs"),
                PathBuf::from("top.md"),
                PathBuf::from("docs/b.md")
            ]
        );
    }
}
