//! Providers as configured (`[providers.NAME]`), and the one a session uses: resolved with
//! its preset, the catalog's facts about its model, and its key variable.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::models::{self, ModelFacts};
use super::{Config, ConfigError};
use crate::protocol::reasoning::{ReasoningRequest, ReasoningStyle};

/// The wire format a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// OpenAI-compatible Chat Completions.
    #[default]
    Openai,
    /// Anthropic Messages.
    Anthropic,
    /// OpenAI's Responses API (`POST /responses`): the codex models, and any model a user
    /// sends there.
    #[serde(rename = "openai-responses")]
    OpenaiResponses,
    /// A scripted conversation played from a file (tests, bug reports, the demo).
    Script,
}

impl ProviderKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Openai => "openai",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::OpenaiResponses => "openai-responses",
            ProviderKind::Script => "script",
        }
    }
}

/// A `[providers.NAME]` table. Read by `provider_table`, which says why by hand.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The environment variable holding the API key (never the key itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// The default model for this provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Other models it serves, offered by the model picker (`/model`) besides `model`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    /// What it says of every model it serves (figures, prices, reasoning), where the
    /// catalog does not know better: a catalog entry's facts, read beside the settings above
    /// (see `provider_table`).
    #[serde(flatten)]
    pub facts: ModelFacts,
    /// For `kind = "script"`: the script file to play (the built-in demo when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<PathBuf>,
    /// Seconds to wait for a connection (default 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_timeout: Option<f64>,
    /// Seconds from sending a request to the response headers (default 120).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_timeout: Option<f64>,
    /// Seconds of silence after which a stream is abandoned (default 90).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<f64>,
    /// Retries on 429, 5xx and connection errors before any output (default 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
}

/// The provider gearshift will talk to, with everything filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveProvider {
    pub name: String,
    pub kind: ProviderKind,
    pub base_url: Option<String>,
    pub api_key_env: Option<String>,
    pub model: String,
    pub context_window: u32,
    pub max_output_tokens: u32,
    pub settings: ProviderConfig,
    /// True for the offline demo, which the UI labels DEMO.
    pub is_demo: bool,
    /// Prices in US dollars per million tokens, the model's where the catalog knows them.
    pub prices: Prices,
    /// What requests ask of the model's reasoning and how they carry it back.
    pub reasoning: ReasoningRequest,
    pub think_tags: bool,
    /// Whether the catalog (or `[models]`) knows the model; if not, the provider's figures
    /// stand in, and the session says so once.
    pub in_catalog: bool,
    /// The catalog entry the figures were inferred from, when the model's own name is not in
    /// it (`gpt-5` for `gpt-5.7`): said once.
    pub inferred_from: Option<String>,
}

/// US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Prices {
    pub input: Option<f64>,
    pub output: Option<f64>,
    pub cached_input: Option<f64>,
    pub cache_write: Option<f64>,
}

/// The model name of the guided tour's provider (`gearshift demo`): the workbench greets it
/// with the tour's first step instead of the plain demo's notice.
pub const TOUR_MODEL: &str = "tour";

impl ActiveProvider {
    /// The guided tour's scripted model (`gearshift demo`).
    #[must_use]
    pub fn is_tour(&self) -> bool {
        self.is_demo && self.model == TOUR_MODEL
    }

    /// `provider/model`, which reasoning is tagged with.
    #[must_use]
    pub fn source(&self) -> String {
        format!("{}/{}", self.name, self.model)
    }

    /// One line for a model the catalog does not know, naming the figures used instead.
    #[must_use]
    pub fn unknown_model_notice(&self) -> Option<String> {
        if self.kind == ProviderKind::Script {
            return None;
        }
        if let Some(entry) = &self.inferred_from {
            return Some(format!(
                "model `{}` is not in gearshift's catalog by its own name: its figures (context \
                 window {}, max output {}, prices) are inferred from `{entry}`; correct them \
                 with [models.\"{}\"] in config.toml, or `gearshift models import`",
                self.model, self.context_window, self.max_output_tokens, self.model
            ));
        }
        if self.in_catalog {
            return None;
        }
        Some(format!(
            "model `{}` is not in gearshift's catalog: using {}'s figures (context window {}, \
             max output {}, {}); correct them with [models.\"{}\"] in config.toml",
            self.model,
            self.name,
            self.context_window,
            self.max_output_tokens,
            if self.prices.input.is_some() {
                "its prices"
            } else {
                "no prices, so its cost shows as —"
            },
            self.model
        ))
    }
}

/// Used when neither the preset nor the user names a context window.
const FALLBACK_CONTEXT_WINDOW: u32 = 128_000;
const FALLBACK_MAX_OUTPUT: u32 = 8_192;

impl Config {
    /// Resolves the provider to use, or says what to fix.
    pub fn active_provider(&self) -> Result<ActiveProvider, ConfigError> {
        let name = self.provider.clone().unwrap_or_else(|| "demo".to_string());
        self.provider_named(&name, self.model.as_deref())
    }

    /// The provider `name` with `model` (its configured model when `None`), with the
    /// catalog's figures — what a switch of model mid-session resolves.
    pub fn provider_named(
        &self,
        name: &str,
        model: Option<&str>,
    ) -> Result<ActiveProvider, ConfigError> {
        let name = name.to_string();
        let settings = self.providers.get(&name).cloned().ok_or_else(|| {
            let known: Vec<&str> = self.providers.keys().map(String::as_str).collect();
            ConfigError::Invalid(format!(
                "provider `{name}` is not defined; known providers: {}. Add a [providers.{name}] \
                 section to your config.toml or pick one of those",
                known.join(", ")
            ))
        })?;
        let model = model
            .map(str::to_string)
            .or_else(|| settings.model.clone())
            .ok_or_else(|| {
                ConfigError::Invalid(format!(
                    "no model set for provider `{name}`; set `model = \"…\"` in config.toml, \
                     [providers.{name}] model, or pass --model"
                ))
            })?;
        if settings.kind != ProviderKind::Script && settings.base_url.is_none() {
            return Err(ConfigError::Invalid(format!(
                "provider `{name}` has no base_url; set [providers.{name}] base_url or pass --base-url"
            )));
        }
        let found = models::lookup(&self.models, &model);
        let in_catalog = found.is_some();
        let inferred_from = found
            .as_ref()
            .filter(|f| f.how == models::Match::Inferred)
            .map(|f| f.entry.clone());
        // A model OpenAI serves by the Responses API only goes there, unless a gateway
        // serves it under its own name; so does a codex model the catalog only guesses at
        // (`gpt-5.4-codex` inferred from `gpt-5.4`): every codex model is served there only.
        let kind = match &found {
            Some(f)
                if settings.kind == ProviderKind::Openai
                    && !f.via_gateway
                    && (f.facts.api == Some(models::Api::Responses)
                        || (f.how == models::Match::Inferred && model.contains("codex"))) =>
            {
                ProviderKind::OpenaiResponses
            }
            _ => settings.kind,
        };
        // The catalog's figures for the model, else what the provider says of its models —
        // except how to ask for reasoning, which is the provider API's form when it sets one.
        let f = match found {
            Some(found) => settings.facts.patched(&found.facts),
            None => settings.facts.clone(),
        };
        let style = match kind {
            ProviderKind::Anthropic => match settings.facts.reasoning_style.or(f.reasoning_style) {
                Some(ReasoningStyle::AnthropicAdaptive) => ReasoningStyle::AnthropicAdaptive,
                _ => ReasoningStyle::Anthropic,
            },
            ProviderKind::Script => ReasoningStyle::None,
            ProviderKind::Openai | ProviderKind::OpenaiResponses => {
                match settings.facts.reasoning_style.or(f.reasoning_style) {
                    // Anthropic's forms need the Messages API.
                    Some(ReasoningStyle::Anthropic | ReasoningStyle::AnthropicAdaptive) | None => {
                        ReasoningStyle::None
                    }
                    Some(s) => s,
                }
            }
        };
        Ok(ActiveProvider {
            is_demo: name == "demo" && settings.kind == ProviderKind::Script,
            kind,
            base_url: settings.base_url.clone(),
            api_key_env: settings.api_key_env.clone(),
            context_window: f.context_window.unwrap_or(FALLBACK_CONTEXT_WINDOW),
            max_output_tokens: f.max_output_tokens.unwrap_or(FALLBACK_MAX_OUTPUT),
            prices: Prices {
                input: f.input_price,
                output: f.output_price,
                cached_input: f.cached_input_price,
                cache_write: f.cache_write_price,
            },
            reasoning: ReasoningRequest {
                style,
                effort: f.reasoning,
                budget: f.reasoning_budget,
                max_completion_tokens: f.max_completion_tokens.unwrap_or(false),
            },
            think_tags: f.think_tags.unwrap_or(false),
            in_catalog,
            inferred_from,
            model,
            settings,
            name,
        })
    }
}
