//! What a model thought before it answered, and what a request asks of its reasoning: value
//! types carried by events ([`Reasoning`]) and named in config ([`ReasoningStyle`],
//! [`Effort`]). The wire forms they arrive in are the providers' (`provider::reasoning`).

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
