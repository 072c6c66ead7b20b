//! The model catalog: per-model facts (context window, output limit, prices, how the model
//! reasons) looked up by the model's name, so `--model X` gets X's figures rather than the
//! provider preset's. The built-in catalog is `assets/models.toml`; `[models."NAME"]` in a
//! config file patches an entry or adds one.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::protocol::reasoning::{Effort, ReasoningStyle};

/// The built-in catalog, a TOML file users can read as a reference.
pub const CATALOG_TOML: &str = include_str!("../../../../assets/models.toml");

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
    /// OpenAI: the API that serves the model (the codex models: the Responses API only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<Api>,
    /// When the figures were checked (`2026-11`, `2026-11-30`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
}

/// Which OpenAI API serves a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Api {
    /// Chat Completions (`/chat/completions`).
    Chat,
    /// The Responses API (`/responses`) only.
    Responses,
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
            api: over.api.or(self.api),
            as_of: over.as_of.clone().or_else(|| self.as_of.clone()),
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

/// How an entry was found for a model name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// By its exact name, or as a dated snapshot of it (`gpt-4o-2024-08-06`).
    Exact,
    /// By the longest entry the name begins with: its figures are a guess.
    Inferred,
}

/// What the catalog says of a model, and how sure it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub facts: ModelFacts,
    /// The entry the figures came from (the catalog's or the user's key).
    pub entry: String,
    pub how: Match,
    /// Found by the part after the last `/` of a gateway name: the gateway, not the model's
    /// vendor, serves it (so its own API choice stands).
    pub via_gateway: bool,
}

/// Whether `rest` (what follows an entry's name) makes the name a dated snapshot of it:
/// `-20250929`, `-2024-08-06`.
fn is_date_suffix(rest: &str) -> bool {
    let Some(date) = rest.strip_prefix('-') else {
        return false;
    };
    let digits: String = date.chars().filter(char::is_ascii_digit).collect();
    digits.len() == 8
        && date.chars().all(|c| c.is_ascii_digit() || c == '-')
        && (date.len() == 8 || date.len() == 10)
}

/// The key of `table` naming `model`, and how: the exact name (or a user's `prefix*`
/// pattern, which says what it covers), a dated snapshot of an entry, else the longest entry
/// the name begins with at a word boundary (`-`, `.`, `:`, `@`, `/`).
fn best<'a>(table: &'a BTreeMap<String, ModelFacts>, model: &str) -> Option<(&'a str, Match)> {
    if let Some((k, _)) = table.get_key_value(model) {
        return Some((k, Match::Exact));
    }
    let mut exact: Option<&str> = None;
    let mut inferred: Option<&str> = None;
    for key in table.keys() {
        if let Some(prefix) = key.strip_suffix('*') {
            if model.starts_with(prefix) && exact.is_none_or(|e| e.len() < key.len()) {
                exact = Some(key);
            }
            continue;
        }
        let Some(rest) = model.strip_prefix(key.as_str()) else {
            continue;
        };
        if is_date_suffix(rest) {
            if exact.is_none_or(|e| e.len() < key.len()) {
                exact = Some(key);
            }
        } else if rest.starts_with(['-', '.', ':', '@', '/'])
            && inferred.is_none_or(|e| e.len() < key.len())
        {
            inferred = Some(key);
        }
    }
    exact
        .map(|k| (k, Match::Exact))
        .or_else(|| inferred.map(|k| (k, Match::Inferred)))
}

/// The facts for `model`: the catalog's entry patched by the user's `[models]` entry, looked up
/// by the full name and, for gateway names such as `anthropic/claude-sonnet-4.5`, by the part
/// after the last `/`. `None` when neither knows the model nor any entry it begins with.
#[must_use]
pub fn lookup(user: &BTreeMap<String, ModelFacts>, model: &str) -> Option<Found> {
    let bare = model.rsplit('/').next().unwrap_or(model);
    let catalog = builtin();
    let mut guess = None;
    for (name, via_gateway) in [(model, false), (bare, bare != model)] {
        let base = best(catalog, name);
        let mine = best(user, name);
        // The user's entry decides how sure the match is when it is at least as sure.
        let found = match (base, mine) {
            (Some((bk, bm)), Some((mk, mm))) => {
                let facts = catalog[bk].patched(&user[mk]);
                let (entry, how) = if mm == Match::Exact || bm == Match::Inferred {
                    (mk, mm)
                } else {
                    (bk, bm)
                };
                Some((facts, entry, how))
            }
            (Some((bk, bm)), None) => Some((catalog[bk].clone(), bk, bm)),
            (None, Some((mk, mm))) => Some((user[mk].clone(), mk, mm)),
            (None, None) => None,
        };
        if let Some((facts, entry, how)) = found {
            let found = Found {
                facts,
                entry: entry.to_string(),
                how,
                via_gateway,
            };
            // A sure match by the bare name beats a guess by the whole one.
            if found.how == Match::Exact {
                return Some(found);
            }
            guess.get_or_insert(found);
        }
    }
    guess
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(model: &str) -> ModelFacts {
        lookup(&BTreeMap::new(), model).unwrap().facts
    }

    #[test]
    fn the_catalog_parses_and_knows_every_presets_model_exactly() {
        let defaults: crate::config::Config = toml::from_str(crate::config::DEFAULTS_TOML).unwrap();
        for (name, p) in &defaults.providers {
            if matches!(name.as_str(), "ollama" | "vllm" | "lmstudio" | "demo") {
                continue;
            }
            for model in p.model.iter().chain(&p.models) {
                let found = lookup(&BTreeMap::new(), model)
                    .unwrap_or_else(|| panic!("{name}'s model {model} is not in the catalog"));
                assert_eq!(found.how, Match::Exact, "{model}");
                let f = &found.facts;
                assert!(f.context_window.is_some(), "{model}");
                assert!(f.max_output_tokens.is_some(), "{model}");
                assert!(f.input_price.is_some(), "{model}");
            }
        }
        for (name, f) in builtin() {
            assert!(
                !name.ends_with('*'),
                "{name}: the catalog names models exactly"
            );
            assert!(
                f.as_of.is_some(),
                "{name} says when its figures were checked"
            );
            if let (Some(w), Some(o)) = (f.context_window, f.max_output_tokens) {
                assert!(o <= w, "{name}");
            }
        }
    }

    #[test]
    fn every_entry_the_issue_named_is_priced_by_its_own_name() {
        // (name, input price, output price): the ones a prefix used to misprice.
        for (model, input, output) in [
            ("gpt-4o-mini", 0.15, 0.6),
            ("o3-pro", 20.0, 80.0),
            ("gpt-5-pro", 15.0, 120.0),
            ("gpt-5.5", 5.0, 30.0),
            ("gpt-5.4-nano", 0.2, 1.25),
            ("claude-opus-4-7", 5.0, 25.0),
            ("claude-sonnet-4-6", 3.0, 15.0),
            ("glm-5.1", 1.4, 4.4),
            ("kimi-k2.6", 0.95, 4.0),
            ("qwen3-coder-plus", 1.0, 5.0),
        ] {
            let found = lookup(&BTreeMap::new(), model).unwrap();
            assert_eq!(found.how, Match::Exact, "{model}");
            assert_eq!(found.entry, model);
            assert_eq!(found.facts.input_price, Some(input), "{model}");
            assert_eq!(found.facts.output_price, Some(output), "{model}");
        }
        assert_eq!(facts("claude-opus-4-6").context_window, Some(1_000_000));
        assert_eq!(facts("claude-opus-4-7").max_output_tokens, Some(128_000));
        assert_eq!(
            facts("claude-opus-4-7").reasoning_style,
            Some(ReasoningStyle::AnthropicAdaptive)
        );
        assert_eq!(facts("gpt-5.1-codex").api, Some(Api::Responses));
        assert_eq!(facts("gpt-5.1").api, None);
        for retired in ["deepseek-chat", "deepseek-reasoner"] {
            assert!(lookup(&BTreeMap::new(), retired).is_none(), "{retired}");
        }
    }

    #[test]
    fn snapshots_are_exact_other_names_are_inferred_from_the_longest_entry() {
        let gpt5 = facts("gpt-5");
        assert_eq!(gpt5.reasoning_style, Some(ReasoningStyle::Openai));
        assert_eq!(gpt5.max_completion_tokens, Some(true));
        for (model, entry) in [
            ("gpt-5-mini-2025-08-07", "gpt-5-mini"),
            ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
            ("gpt-4o-2024-08-06", "gpt-4o"),
        ] {
            let found = lookup(&BTreeMap::new(), model).unwrap();
            assert_eq!((found.entry.as_str(), found.how), (entry, Match::Exact));
        }
        for (model, entry) in [
            ("gpt-5.7", "gpt-5"),
            ("gpt-4o-mini-search-preview", "gpt-4o-mini"),
            ("claude-opus-4-7-fast", "claude-opus-4-7"),
        ] {
            let found = lookup(&BTreeMap::new(), model).unwrap();
            assert_eq!((found.entry.as_str(), found.how), (entry, Match::Inferred));
        }
        // Not at a word boundary: no guess.
        assert!(lookup(&BTreeMap::new(), "gpt-4ox").is_none());
        // Gateway names fall back to the part after the slash.
        let routed = lookup(&BTreeMap::new(), "deepseek/deepseek-v4-pro").unwrap();
        assert!(routed.via_gateway);
        assert_eq!(routed.facts.reasoning_style, Some(ReasoningStyle::Deepseek));
        assert!(lookup(&BTreeMap::new(), "my-local-finetune").is_none());
    }

    #[test]
    fn user_entries_patch_the_catalog_and_their_patterns_are_theirs() {
        let user: BTreeMap<String, ModelFacts> = toml::from_str(
            "[\"gpt-5\"]\ncontext_window = 100000\nreasoning = \"high\"\n\
             [\"my-local-*\"]\ncontext_window = 16384\nthink_tags = true\n\
             [\"gpt-5.7\"]\ninput_price = 2.0\n",
        )
        .unwrap();
        let mine = lookup(&user, "gpt-5").unwrap().facts;
        assert_eq!(mine.context_window, Some(100_000));
        assert_eq!(mine.reasoning, Some(Effort::High));
        assert_eq!(
            mine.input_price,
            facts("gpt-5").input_price,
            "unpatched fields stay"
        );
        let local = lookup(&user, "my-local-finetune").unwrap();
        assert_eq!(
            local.how,
            Match::Exact,
            "the user's pattern says what it covers"
        );
        assert_eq!(local.facts.think_tags, Some(true));
        // A user's exact entry for a name the catalog only guesses at makes it sure.
        let named = lookup(&user, "gpt-5.7").unwrap();
        assert_eq!((named.entry.as_str(), named.how), ("gpt-5.7", Match::Exact));
        assert_eq!(named.facts.input_price, Some(2.0));
        assert_eq!(named.facts.output_price, facts("gpt-5").output_price);
    }
}
