//! Prompt history for the composer: Up at the first line goes back, Down at the last line
//! comes forward, and coming past the newest restores what was being typed.

#[derive(Debug, Clone, Default)]
pub struct PromptHistory {
    /// Oldest first.
    entries: Vec<String>,
    /// The entry being shown, when browsing.
    index: Option<usize>,
    /// What the composer held before browsing started.
    draft: String,
}

impl PromptHistory {
    #[must_use]
    pub fn new(entries: Vec<String>) -> PromptHistory {
        PromptHistory {
            entries,
            index: None,
            draft: String::new(),
        }
    }

    /// Records a submitted prompt (not twice in a row) and stops browsing.
    pub fn push(&mut self, prompt: String) {
        if self.entries.last() != Some(&prompt) {
            self.entries.push(prompt);
        }
        self.reset();
    }

    pub fn reset(&mut self) {
        self.index = None;
        self.draft.clear();
    }

    /// The previous prompt; `current` is kept as the draft when browsing starts.
    pub fn prev(&mut self, current: &str) -> Option<String> {
        let index = match self.index {
            None if self.entries.is_empty() => return None,
            None => {
                self.draft = current.to_string();
                self.entries.len() - 1
            }
            Some(0) => return None,
            Some(i) => i - 1,
        };
        self.index = Some(index);
        self.entries.get(index).cloned()
    }

    /// The next prompt, or the draft after the newest; `None` when not browsing.
    pub fn next(&mut self) -> Option<String> {
        let i = self.index?;
        if i + 1 < self.entries.len() {
            self.index = Some(i + 1);
            self.entries.get(i + 1).cloned()
        } else {
            self.index = None;
            Some(std::mem::take(&mut self.draft))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browses_back_and_restores_the_draft() {
        let mut h = PromptHistory::new(vec!["one".into(), "two".into()]);
        assert_eq!(h.next(), None, "not browsing");
        assert_eq!(h.prev("draft").as_deref(), Some("two"));
        assert_eq!(h.prev("ignored").as_deref(), Some("one"));
        assert_eq!(h.prev("ignored"), None, "stops at the oldest");
        assert_eq!(h.next().as_deref(), Some("two"));
        assert_eq!(h.next().as_deref(), Some("draft"));
        assert_eq!(h.next(), None);
        h.push("three".into());
        h.push("three".into());
        assert_eq!(h.prev("").as_deref(), Some("three"));
        assert_eq!(h.prev("").as_deref(), Some("two"), "no duplicate in a row");
    }
}
