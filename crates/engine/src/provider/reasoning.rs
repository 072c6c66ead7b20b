//! What a model thought before it answered, in every wire form in use, and how it goes back.
//!
//! Reasoning arrives as `reasoning_content` deltas (DeepSeek, GLM, Kimi), `reasoning` and
//! `reasoning_details` (OpenRouter), Anthropic `thinking` blocks with a signature or
//! `redacted_thinking`, or `<think>…</think>` at the start of the content (R1-style models on
//! vLLM, Ollama, Together). [`Reasoning`](crate::protocol::reasoning::Reasoning) keeps the text
//! to show and the parts a provider needs back verbatim;
//! [`ReasoningStyle`](crate::protocol::reasoning::ReasoningStyle) names how a model is asked for
//! it and what it requires back. Those value types live in `protocol::reasoning`; this module
//! reads the wire forms.

/// Splits `<think>…</think>` at the start of a streamed content into reasoning and answer.
///
/// Hand-written because it is a four-state scanner over a stream whose tags may be cut
/// anywhere between chunks; no tag parser handles partial input that way.
#[derive(Debug, Default)]
pub struct ThinkTags {
    state: TagState,
    pending: String,
}

#[derive(Debug, Default, PartialEq, Eq)]
enum TagState {
    /// Nothing but whitespace yet: the content may still open with `<think>`.
    #[default]
    Start,
    Inside,
    /// Just after the closing tag: whitespace before the answer is dropped.
    Closed,
    /// After the closing tag, or content that never opened one.
    Answer,
}

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

/// Pieces of content split by [`ThinkTags`].
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub reasoning: String,
    pub text: String,
}

impl ThinkTags {
    /// Feeds one content delta.
    pub fn feed(&mut self, delta: &str) -> Split {
        let mut out = Split::default();
        self.pending.push_str(delta);
        loop {
            match self.state {
                TagState::Answer => {
                    out.text.push_str(&std::mem::take(&mut self.pending));
                    return out;
                }
                TagState::Closed => {
                    let lead = self.pending.len() - self.pending.trim_start().len();
                    self.pending.drain(..lead);
                    if self.pending.is_empty() {
                        return out;
                    }
                    self.state = TagState::Answer;
                }
                TagState::Start => {
                    let trimmed = self.pending.trim_start();
                    if trimmed.starts_with(OPEN) {
                        let at = self.pending.len() - trimmed.len() + OPEN.len();
                        self.pending.drain(..at);
                        self.state = TagState::Inside;
                    } else if OPEN.starts_with(trimmed) {
                        // Whitespace or a prefix of the tag: wait for more.
                        return out;
                    } else {
                        self.state = TagState::Answer;
                    }
                }
                TagState::Inside => {
                    if let Some(at) = self.pending.find(CLOSE) {
                        out.reasoning.push_str(&self.pending[..at]);
                        self.pending.drain(..at + CLOSE.len());
                        self.state = TagState::Closed;
                    } else {
                        // Keep what could be the start of the closing tag.
                        let keep = (1..CLOSE.len())
                            .rev()
                            .find(|n| self.pending.ends_with(&CLOSE[..*n]))
                            .unwrap_or(0);
                        let cut = self.pending.len() - keep;
                        out.reasoning.push_str(&self.pending[..cut]);
                        self.pending.drain(..cut);
                        return out;
                    }
                }
            }
        }
    }

    /// What is left when the stream ends: an unclosed think block is reasoning.
    pub fn finish(&mut self) -> Split {
        let rest = std::mem::take(&mut self.pending);
        match self.state {
            TagState::Inside => Split {
                reasoning: rest,
                text: String::new(),
            },
            TagState::Start | TagState::Closed | TagState::Answer => Split {
                reasoning: String::new(),
                text: rest,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&str]) -> (String, String) {
        let mut t = ThinkTags::default();
        let (mut r, mut a) = (String::new(), String::new());
        for c in chunks {
            let s = t.feed(c);
            r.push_str(&s.reasoning);
            a.push_str(&s.text);
        }
        let s = t.finish();
        r.push_str(&s.reasoning);
        a.push_str(&s.text);
        (r, a)
    }

    #[test]
    fn think_tags_split_wherever_the_chunks_cut_them() {
        let whole = "\n<think>\nweigh a and b</think>\n\nThe answer is b.";
        let expected = (
            "\nweigh a and b".to_string(),
            "The answer is b.".to_string(),
        );
        assert_eq!(run(&[whole]), expected);
        // Every two-way and three-way cut of the text.
        for i in 0..=whole.len() {
            for j in i..=whole.len() {
                if !whole.is_char_boundary(i) || !whole.is_char_boundary(j) {
                    continue;
                }
                let got = run(&[&whole[..i], &whole[i..j], &whole[j..]]);
                assert_eq!(got, expected, "cut at {i}, {j}");
            }
        }
    }

    #[test]
    fn content_without_an_opening_tag_is_all_answer() {
        assert_eq!(run(&["Hello ", "<think>not reasoning</think>"]).0, "");
        assert_eq!(
            run(&["  <thi", "nk-not>"]),
            (String::new(), "  <think-not>".to_string())
        );
        // A block never closed is reasoning.
        assert_eq!(
            run(&["<think>still going"]),
            ("still going".to_string(), String::new())
        );
        // Markup inside a think block stays in it; a partial closing tag is not lost.
        assert_eq!(
            run(&["<think>a </th", "ink-ish> b</think>c"]),
            ("a </think-ish> b".to_string(), "c".to_string())
        );
    }
}
