//! Large pastes stand in the composer as a short token — `[pasted 1,024 lines #1]` — and are put
//! back whole when the prompt is sent. A megabyte of text in the editing widget would make every
//! keystroke re-lay it out; the token keeps typing instant and the prompt exact.

use super::contextview::thousands;

/// A paste this long (in lines, or bytes) becomes a token.
const MAX_LINES: usize = 20;
const MAX_BYTES: usize = 8 * 1024;

/// The pastes the composer holds as tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pastes {
    items: Vec<(String, String)>,
}

impl Pastes {
    /// What to insert for `text`: itself when short, else a token standing for it.
    pub fn admit(&mut self, text: String) -> String {
        let lines = text.lines().count();
        if lines <= MAX_LINES && text.len() <= MAX_BYTES {
            return text;
        }
        let n = self.items.len() + 1;
        let token = if lines > 1 {
            format!("[pasted {} lines #{n}]", thousands(lines as u64))
        } else {
            format!(
                "[pasted {} KB #{n}]",
                thousands(text.len().div_ceil(1024) as u64)
            )
        };
        self.items.push((token.clone(), text));
        token
    }

    /// `composed` with every token still in it replaced by its paste.
    #[must_use]
    pub fn expand(&self, composed: &str) -> String {
        let mut out = composed.to_string();
        for (token, text) in &self.items {
            if let Some(at) = out.find(token.as_str()) {
                out.replace_range(at..at + token.len(), text);
            }
        }
        out
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_pastes_become_tokens_that_expand_whole() {
        let mut p = Pastes::default();
        assert_eq!(p.admit("short".into()), "short");
        let big: String = (0..1500).map(|i| format!("line {i}\n")).collect();
        let token = p.admit(big.clone());
        assert_eq!(token, "[pasted 1,500 lines #1]");
        let wide = "x".repeat(20_000);
        assert_eq!(p.admit(wide.clone()), "[pasted 20 KB #2]");
        let composed = format!("look at this: {token} and [pasted 20 KB #2]!");
        assert_eq!(
            p.expand(&composed),
            format!("look at this: {big} and {wide}!")
        );
        // A token the user edited away is not expanded.
        assert_eq!(p.expand("[pasted 1,500 lin #1]"), "[pasted 1,500 lin #1]");
    }
}
