//! `gearshift models import`: the models.dev catalog (`https://models.dev/api.json`, the one
//! opencode uses) read into `[models."NAME"]` entries, so prices and limits can be updated
//! without a release of gearshift.
//!
//! The file maps a provider id to `{id, name, models: {model id → model}}`; a model has
//! `limit {context, output}`, `cost {input, output, cache_read, cache_write}` in US dollars per
//! million tokens, and `reasoning`. What it does not say (how a model reasons, which
//! API serves it) is left to the built-in catalog, which the imported entries only patch.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::models::ModelFacts;
use crate::protocol::reasoning::ReasoningStyle;

/// The providers read when none are named, in the order a model id found under several is
/// taken: the vendors first, then the gateways whose ids name the vendor (`openai/gpt-5`).
pub const DEFAULT_PROVIDERS: &[&str] = &[
    "openai",
    "anthropic",
    "deepseek",
    "zai",
    "zhipuai",
    "moonshotai",
    "alibaba",
    "openrouter",
];

#[derive(Debug, Deserialize)]
struct Provider {
    #[serde(default)]
    models: BTreeMap<String, Model>,
}

#[derive(Debug, Deserialize)]
struct Model {
    #[serde(default)]
    reasoning: bool,
    #[serde(default)]
    limit: Option<Limit>,
    #[serde(default)]
    cost: Option<Cost>,
}

#[derive(Debug, Deserialize)]
struct Limit {
    context: Option<f64>,
    output: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Cost {
    input: Option<f64>,
    output: Option<f64>,
    cache_read: Option<f64>,
    cache_write: Option<f64>,
}

/// What an import read.
#[derive(Debug, Default, PartialEq)]
pub struct Imported {
    pub models: BTreeMap<String, ModelFacts>,
    /// Providers of the file that were read.
    pub providers: Vec<String>,
    /// Entries left out, each with why.
    pub skipped: Vec<String>,
}

/// Reads `text` (models.dev's `api.json`), taking the models of `providers` in that order;
/// `as_of` is the date the figures were fetched (models.dev's `last_updated` dates the model,
/// not its price).
pub fn read(text: &str, providers: &[&str], as_of: &str) -> Result<Imported, String> {
    let file: BTreeMap<String, serde_json::Value> = serde_json::from_str(text).map_err(|e| {
        format!("not the models.dev api.json format (a JSON object of providers): {e}")
    })?;
    let mut out = Imported::default();
    for id in providers {
        let Some(value) = file.get(*id) else {
            continue;
        };
        let provider: Provider =
            serde_json::from_value(value.clone()).map_err(|e| format!("provider `{id}`: {e}"))?;
        out.providers.push((*id).to_string());
        for (name, model) in provider.models {
            if out.models.contains_key(&name) {
                continue;
            }
            match facts(id, &model, as_of) {
                Ok(f) => {
                    out.models.insert(name, f);
                }
                Err(why) => out.skipped.push(format!("{id}/{name}: {why}")),
            }
        }
    }
    if out.providers.is_empty() {
        return Err(format!(
            "none of the providers {} is in the file",
            providers.join(", ")
        ));
    }
    Ok(out)
}

/// A whole number of tokens in `range`, or why not.
fn tokens(
    v: Option<f64>,
    what: &str,
    range: std::ops::RangeInclusive<f64>,
) -> Result<Option<u32>, String> {
    match v {
        None => Ok(None),
        Some(n) if n.fract() == 0.0 && range.contains(&n) => {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // in range
            Ok(Some(n as u32))
        }
        Some(n) => Err(format!("{what} {n} is out of range")),
    }
}

fn price(v: Option<f64>, what: &str) -> Result<Option<f64>, String> {
    match v {
        Some(p) if !(0.0..=100_000.0).contains(&p) => {
            Err(format!("{what} price {p} is out of range"))
        }
        p => Ok(p),
    }
}

fn facts(provider: &str, m: &Model, as_of: &str) -> Result<ModelFacts, String> {
    let limit = m.limit.as_ref();
    let cost = m.cost.as_ref();
    let context_window = tokens(
        limit.and_then(|l| l.context),
        "context",
        1024.0..=100_000_000.0,
    )?;
    // models.dev writes 0 for an output limit it does not know.
    let max_output_tokens = tokens(
        limit.and_then(|l| l.output).filter(|o| *o > 0.0),
        "output limit",
        1.0..=10_000_000.0,
    )?
    .map(|o| context_window.map_or(o, |w| o.min(w)));
    let style = match provider {
        "openai" => Some(ReasoningStyle::Openai),
        // Claude's form (a budget, or adaptive for Opus 4.7, which refuses a budget) is not in
        // the file: the built-in entry, or the provider's kind, decides it.
        "deepseek" => Some(ReasoningStyle::Deepseek),
        "zai" | "zhipuai" => Some(ReasoningStyle::Zhipu),
        "moonshotai" => Some(ReasoningStyle::Kimi),
        _ => None,
    }
    .filter(|_| m.reasoning);
    Ok(ModelFacts {
        context_window,
        max_output_tokens,
        input_price: price(cost.and_then(|c| c.input), "input")?,
        output_price: price(cost.and_then(|c| c.output), "output")?,
        cached_input_price: price(cost.and_then(|c| c.cache_read), "cache read")?,
        cache_write_price: price(cost.and_then(|c| c.cache_write), "cache write")?,
        reasoning_style: style,
        max_completion_tokens: (style == Some(ReasoningStyle::Openai)).then_some(true),
        as_of: Some(as_of.to_string()),
        ..ModelFacts::default()
    })
}

/// The `models.toml` gearshift reads: a header saying where it came from, then the entries.
pub fn to_toml(imported: &Imported, source: &str) -> Result<String, String> {
    #[derive(serde::Serialize)]
    struct File<'a> {
        models: &'a BTreeMap<String, ModelFacts>,
    }
    let body = toml::to_string(&File {
        models: &imported.models,
    })
    .map_err(|e| e.to_string())?;
    Ok(format!(
        "# Written by `gearshift models import` from {source} ({} models of {}).\n\
         # These entries patch the built-in catalog; your config.toml's [models] patch them.\n\
         # Import again to update, or delete this file to go back to the built-in figures.\n\n{body}",
        imported.models.len(),
        imported.providers.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../../../tests/fixtures/models_dev_api.json");

    #[test]
    fn the_published_catalog_is_read_into_entries_vendors_first() {
        let got = read(FIXTURE, DEFAULT_PROVIDERS, "2026-12-06").unwrap();
        assert!(got.skipped.is_empty(), "{:?}", got.skipped);
        let mini = &got.models["gpt-4o-mini"];
        assert_eq!(mini.input_price, Some(0.15));
        assert_eq!(mini.cached_input_price, Some(0.075));
        assert_eq!(mini.context_window, Some(128_000));
        assert_eq!(mini.reasoning_style, None);
        let codex = &got.models["gpt-5.1-codex"];
        assert_eq!(codex.reasoning_style, Some(ReasoningStyle::Openai));
        assert_eq!(codex.max_completion_tokens, Some(true));
        let opus = &got.models["claude-opus-4-7"];
        assert_eq!(opus.cache_write_price, Some(6.25));
        assert_eq!(
            opus.reasoning_style, None,
            "how Claude thinks is not the file's to say"
        );
        let patched = super::super::models::lookup(&got.models, "claude-opus-4-7").unwrap();
        assert_eq!(
            patched.facts.reasoning_style,
            Some(ReasoningStyle::AnthropicAdaptive),
            "an import keeps Opus 4.7 adaptive"
        );
        assert_eq!(opus.context_window, Some(1_000_000));
        assert_eq!(
            opus.as_of.as_deref(),
            Some("2026-12-06"),
            "the day they were fetched"
        );
        // A gateway's name for a vendor's model is its own entry.
        assert!(got.models.contains_key("anthropic/claude-sonnet-4.5"));
        assert_eq!(got.providers[0], "openai");
    }

    #[test]
    fn what_gearshift_writes_reads_back_as_the_same_entries() {
        let got = read(FIXTURE, &["openai"], "2026-12-06").unwrap();
        let text = to_toml(&got, "api.json").unwrap();
        #[derive(Deserialize)]
        struct File {
            models: BTreeMap<String, ModelFacts>,
        }
        let back: File = toml::from_str(&text).unwrap();
        assert_eq!(back.models, got.models);
        assert!(text.starts_with("# Written by `gearshift models import` from api.json"));
    }

    #[test]
    fn a_file_of_another_shape_or_out_of_range_figures_is_refused_or_skipped() {
        assert!(read("[1, 2]", DEFAULT_PROVIDERS, "d").is_err());
        assert!(read(r#"{"cohere": {"models": {}}}"#, DEFAULT_PROVIDERS, "d").is_err());
        let odd = r#"{"openai": {"models": {
            "tiny": {"limit": {"context": 10, "output": 5}},
            "free": {"limit": {"context": 8192, "output": 0}, "cost": {"input": 0, "output": 0}},
            "dear": {"cost": {"input": -3}}
        }}}"#;
        let got = read(odd, DEFAULT_PROVIDERS, "d").unwrap();
        assert_eq!(got.skipped.len(), 2, "{:?}", got.skipped);
        assert_eq!(
            got.models["free"].max_output_tokens, None,
            "0 means unknown"
        );
        assert_eq!(got.models["free"].input_price, Some(0.0));
    }
}
