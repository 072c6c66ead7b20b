//! The session's system prompt holds the project memory (AGENTS.md, CLAUDE.md) and the skill
//! catalog as they were when its prefix began, and keeps them: an edit to AGENTS.md or a skill
//! installed mid-session arrives as a note in the conversation — the change, not the whole —
//! so the cached prefix (tools, system prompt, conversation so far) stays byte-identical and
//! the edit costs its own size. A compaction or a model switch starts a new prefix, which
//! takes the files as they are then. Pure: the actor reads the files and records the notes.

use crate::context::Category;

/// What the system prompt holds, and what the model has been told since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frozen {
    /// The memory sections of the system prompt.
    pub memory: String,
    /// The skill catalog of the system prompt.
    pub catalog: String,
    told_memory: String,
    told_catalog: String,
}

impl Frozen {
    /// A new prefix holding `memory` and `catalog`.
    #[must_use]
    pub fn new(memory: &str, catalog: &str) -> Frozen {
        Frozen {
            memory: memory.to_string(),
            catalog: catalog.to_string(),
            told_memory: memory.to_string(),
            told_catalog: catalog.to_string(),
        }
    }

    /// The notes saying what changed since the model was last told (each with what the
    /// context pane counts it as); afterwards the model knows `memory` and `catalog`.
    pub fn changes(&mut self, memory: &str, catalog: &str) -> Vec<(String, Category)> {
        let mut out = Vec::new();
        if memory != self.told_memory {
            out.push((
                note(
                    "The project instructions (AGENTS.md, CLAUDE.md) changed since the start \
                     of this session; this replaces what the system prompt says of them",
                    &self.told_memory,
                    memory,
                ),
                Category::Memory,
            ));
            self.told_memory = memory.to_string();
        }
        if catalog != self.told_catalog {
            out.push((
                note(
                    "The skills available changed since the start of this session; this \
                     replaces the system prompt's list",
                    &self.told_catalog,
                    catalog,
                ),
                // Counted with gearshift's own instructions: a note about the catalog, not a
                // loaded skill (which a compaction keeps verbatim).
                Category::System,
            ));
            self.told_catalog = catalog.to_string();
        }
        out
    }
}

/// A change as a unified diff, or the new text whole when that is shorter (or it was empty).
fn note(what: &str, old: &str, new: &str) -> String {
    let new_text = new.trim();
    if new_text.is_empty() {
        return format!("Note from gearshift: {what}. There are none now.");
    }
    let diff = similar::TextDiff::from_lines(old.trim(), new_text)
        .unified_diff()
        .context_radius(2)
        .header("before", "now")
        .to_string();
    if old.trim().is_empty() || diff.len() >= new_text.len() {
        format!("Note from gearshift: {what}. They now read:\n\n{new_text}")
    } else {
        format!(
            "Note from gearshift: {what}. The change:\n```diff\n{}\n```",
            diff.trim_end()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(lines: usize, changed: Option<usize>) -> String {
        let mut out = String::from("\n\n# Project instructions from AGENTS.md\n\n");
        for i in 0..lines {
            if Some(i) == changed {
                out.push_str("- Run `cargo nextest run` before you say it works.\n");
            } else {
                out.push_str(&format!(
                    "- Rule {i}: keep functions short and named for what they do.\n"
                ));
            }
        }
        out
    }

    #[test]
    fn an_edit_is_told_once_as_its_diff_and_the_prefix_keeps_the_old_text() {
        let old = memory(200, None);
        let mut f = Frozen::new(&old, "");
        assert!(
            f.changes(&old, "").is_empty(),
            "nothing changed, nothing said"
        );
        let new = memory(200, Some(120));
        let notes = f.changes(&new, "");
        assert_eq!(notes.len(), 1);
        let (text, category) = &notes[0];
        assert_eq!(*category, Category::Memory);
        assert!(text.contains("+- Run `cargo nextest run`"), "{text}");
        assert!(text.contains("-- Rule 120"), "{text}");
        assert!(
            text.len() < new.len() / 10,
            "the change, not the file: {}",
            text.len()
        );
        assert_eq!(
            f.memory, old,
            "the system prompt keeps what its prefix began with"
        );
        assert!(f.changes(&new, "").is_empty(), "told once");
    }

    #[test]
    fn a_new_skill_or_a_new_file_is_told_whole_and_removal_says_so() {
        let mut f = Frozen::new("", "");
        let catalog = "\n\n# Skills\n\n- review: reviews a change\n";
        let notes = f.changes("", catalog);
        assert_eq!(notes[0].1, Category::System);
        assert!(
            notes[0].0.ends_with("- review: reviews a change"),
            "{}",
            notes[0].0
        );
        let notes = f.changes("", "");
        assert!(notes[0].0.contains("There are none now"));
    }
}
