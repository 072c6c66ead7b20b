//! `gearshift models`: the model catalog as gearshift uses it (built-in, imported, and your
//! config's `[models]`), each entry with its window, output limit, prices, how it reasons,
//! the API that serves it and the date of its figures; `gearshift models import FILE` reads
//! the models.dev catalog into your overrides.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use serde::Serialize;

use super::Context;
use crate::config::models::{self, ModelFacts};
use crate::config::models_dev;

/// One row of the list.
#[derive(Debug, Serialize)]
struct Entry {
    model: String,
    /// `built-in`, `imported` (models.toml) or `config` (your config.toml).
    from: &'static str,
    #[serde(flatten)]
    facts: ModelFacts,
}

/// The keys of `[models]` in the TOML file at `path` (none when it is absent or unreadable:
/// a broken file was already said by the config loader).
fn keys_of(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .and_then(|t| t.get("models").and_then(|m| m.as_table()).cloned())
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn entries(ctx: &Context) -> Vec<Entry> {
    let mine = &ctx.loaded.config.models;
    let imported = keys_of(&ctx.paths.models_file());
    let configured = keys_of(&ctx.paths.config_file);
    let mut names: Vec<&String> = models::builtin().keys().chain(mine.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let facts = match (models::builtin().get(name), mine.get(name)) {
                (Some(b), Some(m)) => b.patched(m),
                (Some(f), None) | (None, Some(f)) => f.clone(),
                (None, None) => ModelFacts::default(),
            };
            let from = if configured.contains(name) {
                "config"
            } else if imported.contains(name) {
                "imported"
            } else {
                "built-in"
            };
            Entry {
                model: name.clone(),
                from,
                facts,
            }
        })
        .collect()
}

fn tokens(n: Option<u32>) -> String {
    match n {
        None => "-".into(),
        Some(n) if n >= 1_000_000 && n % 1_000 == 0 => format!("{:.2}M", f64::from(n) / 1e6),
        Some(n) => format!("{}k", n / 1_000),
    }
}

fn price(p: Option<f64>) -> String {
    p.map_or_else(|| "-".into(), |p| format!("{p}"))
}

/// The catalog as a table.
fn table(entries: &[Entry]) -> String {
    let width = entries
        .iter()
        .map(|e| e.model.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut out = format!(
        "{:<width$}  {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}  {:<18} {:<9} {:<10} {}\n",
        "model",
        "window",
        "output",
        "$ in",
        "$ out",
        "$ cache",
        "$ write",
        "reasoning",
        "api",
        "as of",
        "from"
    );
    for e in entries {
        let f = &e.facts;
        let style = f.reasoning_style.map_or_else(
            || "-".into(),
            |s| {
                serde_json::to_value(s)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            },
        );
        let api = match f.api {
            Some(models::Api::Responses) => "responses",
            _ => "chat",
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}  {:<18} {:<9} {:<10} {}",
            e.model,
            tokens(f.context_window),
            tokens(f.max_output_tokens),
            price(f.input_price),
            price(f.output_price),
            price(f.cached_input_price),
            price(f.cache_write_price),
            style,
            api,
            f.as_of.as_deref().unwrap_or("-"),
            e.from,
        );
    }
    out.push_str(
        "\nPrices in US dollars per million tokens. A model not listed by its exact name gets \
         the figures of the longest entry its name begins with, and gearshift says so. Correct \
         an entry with [models.\"NAME\"] in config.toml, or update them all with `gearshift \
         models import api.json` (https://models.dev/api.json).\n",
    );
    out
}

pub fn list(ctx: &Context, json: bool) -> anyhow::Result<ExitCode> {
    let entries = entries(ctx);
    if json {
        super::term::json(&serde_json::to_string_pretty(&entries)?);
    } else {
        out!("{}", table(&entries));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn import(ctx: &Context, file: &Path, providers: &[String]) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let wanted: Vec<&str> = if providers.is_empty() {
        models_dev::DEFAULT_PROVIDERS.to_vec()
    } else {
        providers.iter().map(String::as_str).collect()
    };
    let today = crate::store::stats::local_date(crate::store::now_ms());
    let imported = models_dev::read(&text, &wanted, &today)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let before: BTreeMap<String, ModelFacts> = ctx.loaded.config.models.clone();
    let toml =
        models_dev::to_toml(&imported, &file.display().to_string()).map_err(anyhow::Error::msg)?;
    let path = ctx.paths.models_file();
    let tmp = path.with_extension("toml.tmp");
    crate::fsutil::write_private(&tmp, toml.as_bytes())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    let changed = imported
        .models
        .iter()
        .filter(|(name, f)| {
            let known = models::lookup(&before, name).filter(|l| l.how == models::Match::Exact);
            known.is_some_and(|k| {
                k.facts.input_price != f.input_price || k.facts.output_price != f.output_price
            })
        })
        .count();
    outln!(
        "imported {} models of {} into {}; {changed} of the models gearshift knew by name have \
         new prices",
        imported.models.len(),
        imported.providers.join(", "),
        path.display()
    );
    for s in &imported.skipped {
        outln!("  skipped {s}");
    }
    Ok(ExitCode::SUCCESS)
}
