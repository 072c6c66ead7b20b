//! What a model thought before it answered, in every wire form in use, and how it goes back.
//!
//! Reasoning arrives as `reasoning_content` deltas (DeepSeek, GLM, Kimi), `reasoning` and
//! `reasoning_details` (OpenRouter), Anthropic `thinking` blocks with a signature or
//! `redacted_thinking`, or `<think>…</think>` at the start of the content (R1-style models on
//! vLLM, Ollama, Together). [`Reasoning`] keeps the text to show and the parts a provider needs
//! back verbatim; [`ReasoningStyle`] names how a model is asked for it and what it requires back.

use serde::{Deserialize, Serialize};

/// One reply's reasoning.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reasoning {
    /// What the model thought, as shown to the user.
    pub text: String,
    /// What must go back to the provider exactly as it came: signed thinking blocks, redacted
    /// blocks, OpenRouter's `reasoning_details`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<ReasoningPart>,
    /// `provider/model` that produced it: a signature or a reasoning trace goes back only to
    /// the model that wrote it.
    #[serde(default)]
    pub source: String,
}

impl Reasoning {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && self.parts.is_empty()
    }

    /// Whether this reasoning may be sent to `source`.
    #[must_use]
    pub fn from_source(&self, source: &str) -> bool {
        self.source == source
    }
}

/// A piece of reasoning a provider wants back verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReasoningPart {
    /// An Anthropic `thinking` block and the signature that authenticates it.
    Thinking { thinking: String, signature: String },
    /// An Anthropic `redacted_thinking` block: encrypted, only `data` travels.
    Redacted { data: String },
    /// One OpenRouter `reasoning_details` entry, as JSON text (kept opaque: its shape varies by
    /// upstream and is sent back unchanged).
    Detail { json: String },
    /// One Responses API `reasoning` output item with its `encrypted_content`, as JSON text:
    /// sent back as an input item (nothing is stored on OpenAI's side).
    Item { json: String },
}

/// How a model is asked to reason and what it requires back, by the API it is reached through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasoningStyle {
    /// No reasoning controls; nothing is passed back.
    #[default]
    None,
    /// OpenAI o-series and GPT-5: `reasoning_effort`, `max_completion_tokens`; the reasoning
    /// itself stays on OpenAI's side.
    Openai,
    /// DeepSeek: `thinking: {type}` and `reasoning_effort`; every assistant message that made
    /// tool calls carries its `reasoning_content` back (an empty one if it had none), or the
    /// next request is refused with HTTP 400.
    Deepseek,
    /// Zhipu GLM: `thinking: {type}`; `reasoning_content` goes back where there was one.
    Zhipu,
    /// Kimi thinking models: `reasoning_content` goes back where there was one.
    Kimi,
    /// OpenRouter: `reasoning: {effort}`; `reasoning_details` go back unchanged.
    Openrouter,
    /// Anthropic extended thinking: `thinking: {type, budget_tokens}`; thinking blocks go back
    /// with their signatures, first in their assistant turn.
    Anthropic,
    /// Anthropic adaptive thinking (Claude Opus 4.7, which refuses `budget_tokens`; Opus and
    /// Sonnet 4.6): `thinking: {type: "adaptive"}` with `output_config: {effort}`; thinking
    /// blocks go back as for [`ReasoningStyle::Anthropic`].
    AnthropicAdaptive,
}

impl ReasoningStyle {
    /// Whether assistant messages carry `reasoning_content` back.
    #[must_use]
    pub fn passes_reasoning_content(self) -> bool {
        matches!(
            self,
            ReasoningStyle::Deepseek | ReasoningStyle::Zhipu | ReasoningStyle::Kimi
        )
    }
}

/// How hard the model should think.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effort {
    Off,
    Minimal,
    Low,
    Medium,
    High,
    Max,
}

impl Effort {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Effort::Off => "off",
            Effort::Minimal => "minimal",
            Effort::Low => "low",
            Effort::Medium => "medium",
            Effort::High => "high",
            Effort::Max => "max",
        }
    }

    /// Anthropic's thinking budget for this effort, in tokens (`None`: thinking off).
    #[must_use]
    pub fn anthropic_budget(self) -> Option<u32> {
        match self {
            Effort::Off => None,
            Effort::Minimal => Some(1024),
            Effort::Low => Some(4096),
            Effort::Medium => Some(16_384),
            Effort::High => Some(32_768),
            Effort::Max => Some(63_999),
        }
    }
}

/// What a request asks of the model's reasoning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReasoningRequest {
    pub style: ReasoningStyle,
    /// `None`: the provider's default (Anthropic: no thinking).
    pub effort: Option<Effort>,
    /// Anthropic: an explicit thinking budget, overriding the effort's.
    pub budget: Option<u32>,
    /// Send `max_completion_tokens` rather than `max_tokens` (OpenAI reasoning models).
    pub max_completion_tokens: bool,
}

impl ReasoningRequest {
    /// Whether requests carry `reasoning` back (so it fills the context window).
    #[must_use]
    pub fn carries(&self, reasoning: &Reasoning, source: &str) -> bool {
        if !reasoning.from_source(source) {
            return false;
        }
        let has = |f: fn(&ReasoningPart) -> bool| reasoning.parts.iter().any(f);
        match self.style {
            ReasoningStyle::Deepseek | ReasoningStyle::Zhipu | ReasoningStyle::Kimi => {
                !reasoning.text.is_empty()
            }
            ReasoningStyle::Openrouter => has(|p| matches!(p, ReasoningPart::Detail { .. })),
            // Signed thinking goes back whether or not it was asked for (a gateway may turn
            // thinking on).
            ReasoningStyle::Anthropic | ReasoningStyle::AnthropicAdaptive => has(|p| {
                matches!(
                    p,
                    ReasoningPart::Thinking { .. } | ReasoningPart::Redacted { .. }
                )
            }),
            // What only a provider that wants it back sends: OpenRouter's details, signed
            // thinking from a model the catalog does not know.
            ReasoningStyle::None => !reasoning.parts.is_empty(),
            // The Responses API's encrypted reasoning items go back; Chat Completions keeps
            // reasoning on OpenAI's side.
            ReasoningStyle::Openai => has(|p| matches!(p, ReasoningPart::Item { .. })),
        }
    }
}

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
