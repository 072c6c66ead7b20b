//! The model catalog: per-model facts (context window, output limit, prices, how the model
//! reasons) looked up by the model's name, so `--model X` gets X's figures rather than the
//! provider preset's. The built-in catalog is `assets/models.toml`; `[models."NAME"]` in a
//! config file patches an entry or adds one.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::provider::{Effort, ReasoningStyle};

/// The built-in catalog, a TOML file users can read as a reference.
pub const CATALOG_TOML: &str = include_str!("../../assets/models.toml");

/// What is known of one model. Every field is optional: what a catalog entry leaves out comes
/// from the provider's settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u32>,
    /// US dollars per million input tokens (cache misses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_price: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_price: Option<f64>,
    /// US dollars per million input tokens read from the prompt cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_input_price: Option<f64>,
    /// US dollars per million input tokens written to the prompt cache (Anthropic).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_write_price: Option<f64>,
    /// How the model is asked to reason and what it needs back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_style: Option<ReasoningStyle>,
    /// How hard it should think (unset: the provider's default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Effort>,
    /// Anthropic: the thinking budget in tokens, overriding the effort's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_budget: Option<u32>,
    /// Send `max_completion_tokens` instead of `max_tokens` (OpenAI reasoning models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<bool>,
    /// Split `<think>…</think>` at the start of replies into reasoning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub think_tags: Option<bool>,
}

impl ModelFacts {
    /// `self` with every field `over` sets replaced.
    #[must_use]
    pub fn patched(&self, over: &ModelFacts) -> ModelFacts {
        ModelFacts {
            context_window: over.context_window.or(self.context_window),
            max_output_tokens: over.max_output_tokens.or(self.max_output_tokens),
            input_price: over.input_price.or(self.input_price),
            output_price: over.output_price.or(self.output_price),
            cached_input_price: over.cached_input_price.or(self.cached_input_price),
            cache_write_price: over.cache_write_price.or(self.cache_write_price),
            reasoning_style: over.reasoning_style.or(self.reasoning_style),
            reasoning: over.reasoning.or(self.reasoning),
            reasoning_budget: over.reasoning_budget.or(self.reasoning_budget),
            max_completion_tokens: over.max_completion_tokens.or(self.max_completion_tokens),
            think_tags: over.think_tags.or(self.think_tags),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    models: BTreeMap<String, ModelFacts>,
}

/// The built-in catalog, parsed once.
///
/// # Panics
/// Never at run time: the file is compiled in and a unit test parses it.
#[must_use]
pub fn builtin() -> &'static BTreeMap<String, ModelFacts> {
    static CATALOG: OnceLock<BTreeMap<String, ModelFacts>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        #[allow(clippy::expect_used)] // compiled in and tested
        toml::from_str::<CatalogFile>(CATALOG_TOML)
            .expect("assets/models.toml parses")
            .models
    })
}

/// Whether the catalog key `pattern` names `model`: the exact name, or a prefix ending in `*`.
fn matches(pattern: &str, model: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => model.starts_with(prefix),
        None => pattern == model,
    }
}

/// The most specific key of `table` naming `model`: an exact name before any pattern, a longer
/// pattern before a shorter one.
fn best<'a>(table: &'a BTreeMap<String, ModelFacts>, model: &str) -> Option<&'a str> {
    table
        .keys()
        .filter(|k| matches(k, model))
        .max_by_key(|k| (!k.ends_with('*'), k.len()))
        .map(String::as_str)
}

/// The facts for `model`: the catalog's entry patched by the user's `[models]` entry, looked up
/// by the full name and, for gateway names such as `anthropic/claude-sonnet-4.5`, by the part
/// after the last `/`. `None` when neither knows the model.
#[must_use]
pub fn lookup(user: &BTreeMap<String, ModelFacts>, model: &str) -> Option<ModelFacts> {
    let bare = model.rsplit('/').next().unwrap_or(model);
    let catalog = builtin();
    let mut found = None;
    for name in [model, bare] {
        let base = best(catalog, name).map(|k| &catalog[k]);
        let mine = best(user, name).map(|k| &user[k]);
        found = match (base, mine) {
            (Some(b), Some(m)) => Some(b.patched(m)),
            (Some(b), None) => Some(b.clone()),
            (None, Some(m)) => Some(m.clone()),
            (None, None) => None,
        };
        if found.is_some() {
            break;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_parses_and_knows_every_presets_model() {
        let defaults: crate::config::Config = toml::from_str(crate::config::DEFAULTS_TOML).unwrap();
        for (name, p) in &defaults.providers {
            if matches!(name.as_str(), "ollama" | "vllm" | "lmstudio" | "demo") {
                continue;
            }
            for model in p.model.iter().chain(&p.models) {
                let facts = lookup(&BTreeMap::new(), model)
                    .unwrap_or_else(|| panic!("{name}'s model {model} is not in the catalog"));
                assert!(facts.context_window.is_some(), "{model}");
                assert!(facts.max_output_tokens.is_some(), "{model}");
                assert!(facts.input_price.is_some(), "{model}");
            }
        }
        for facts in builtin().values() {
            if let (Some(w), Some(o)) = (facts.context_window, facts.max_output_tokens) {
                assert!(o <= w, "{facts:?}");
            }
        }
    }

    #[test]
    fn lookup_prefers_exact_names_then_longer_patterns_and_user_entries_patch() {
        let gpt5 = lookup(&BTreeMap::new(), "gpt-5").unwrap();
        assert_eq!(gpt5.reasoning_style, Some(ReasoningStyle::Openai));
        assert_eq!(gpt5.max_completion_tokens, Some(true));
        let mini = lookup(&BTreeMap::new(), "gpt-5-mini-2025-08-07").unwrap();
        assert!(mini.input_price < gpt5.input_price);
        // A dated snapshot matches its family's pattern.
        let sonnet = lookup(&BTreeMap::new(), "claude-sonnet-4-5-20250929").unwrap();
        assert_eq!(sonnet.context_window, Some(200_000));
        // Gateway names fall back to the part after the slash.
        let routed = lookup(&BTreeMap::new(), "deepseek/deepseek-v4-pro").unwrap();
        assert_eq!(routed.reasoning_style, Some(ReasoningStyle::Deepseek));
        assert!(lookup(&BTreeMap::new(), "my-local-finetune").is_none());

        let user: BTreeMap<String, ModelFacts> = toml::from_str(
            "[\"gpt-5\"]\ncontext_window = 100000\nreasoning = \"high\"\n\
             [\"my-local-*\"]\ncontext_window = 16384\nthink_tags = true\n",
        )
        .unwrap();
        let mine = lookup(&user, "gpt-5").unwrap();
        assert_eq!(mine.context_window, Some(100_000));
        assert_eq!(mine.reasoning, Some(Effort::High));
        assert_eq!(mine.input_price, gpt5.input_price, "unpatched fields stay");
        let local = lookup(&user, "my-local-finetune").unwrap();
        assert_eq!(local.think_tags, Some(true));
    }
}
