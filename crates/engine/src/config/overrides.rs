//! The layers above the files: `GEARSHIFT_*` variables and command-line flags, each made a
//! table that patches the merged configuration like a file would.

use std::collections::BTreeMap;

use toml::{Table, Value};

use super::ConfigError;
use super::layer::Flags;
use crate::protocol::Gear;

fn set_path(table: &mut Table, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = table;
    for p in parents {
        let entry = cur
            .entry((*p).to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        if !entry.is_table() {
            *entry = Value::Table(Table::new());
        }
        let Value::Table(t) = entry else { return };
        cur = t;
    }
    cur.insert((*last).to_string(), value);
}

pub(super) fn env_layer(
    env: &BTreeMap<String, String>,
) -> Result<(Table, Vec<String>), ConfigError> {
    let mut table = Table::new();
    let mut names = Vec::new();
    let vars: [(&str, &[&str]); 6] = [
        ("GEARSHIFT_PROVIDER", &["provider"]),
        ("GEARSHIFT_MODEL", &["model"]),
        ("GEARSHIFT_GEAR", &["gear"]),
        ("GEARSHIFT_THEME", &["theme"]),
        ("OPENAI_BASE_URL", &["providers", "openai", "base_url"]),
        (
            "ANTHROPIC_BASE_URL",
            &["providers", "anthropic", "base_url"],
        ),
    ];
    for (var, path) in vars {
        let Some(value) = env.get(var).filter(|v| !v.is_empty()) else {
            continue;
        };
        if var == "GEARSHIFT_GEAR" {
            value
                .parse::<Gear>()
                .map_err(|e| ConfigError::Invalid(format!("{var}: {e}")))?;
        }
        set_path(&mut table, path, Value::String(value.clone()));
        names.push(var.to_string());
    }
    // Telemetry's switches, by gearshift's name and by the OpenTelemetry names Claude Code
    // reads for the same opt-ins.
    let switches: [(&str, &[&str]); 3] = [
        ("GEARSHIFT_ENABLE_TELEMETRY", &["telemetry", "enabled"]),
        ("OTEL_LOG_USER_PROMPTS", &["telemetry", "log_user_prompts"]),
        ("OTEL_LOG_TOOL_DETAILS", &["telemetry", "log_tool_details"]),
    ];
    for (var, path) in switches {
        let Some(value) = env.get(var).filter(|v| !v.is_empty()) else {
            continue;
        };
        let on = match value.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => true,
            "0" | "false" | "no" | "off" => false,
            _ => {
                return Err(ConfigError::Invalid(format!(
                    "{var}: `{}` is not 1 or 0",
                    crate::safe_text::visible(value)
                )));
            }
        };
        set_path(&mut table, path, Value::Boolean(on));
        names.push(var.to_string());
    }
    Ok((table, names))
}

/// `--base-url` applies to the chosen provider; with none chosen it defines an
/// OpenAI-compatible provider named `custom` (a local vLLM or LM Studio, say).
pub(super) fn flag_layer(flags: &Flags, below: &Table) -> (Table, Vec<String>) {
    let mut table = Table::new();
    let mut names = Vec::new();
    let mut set = |path: &[&str], value: &str, name: &str| {
        set_path(&mut table, path, Value::String(value.to_string()));
        names.push(name.to_string());
    };
    if let Some(v) = &flags.provider {
        set(&["provider"], v, "--provider");
    }
    if let Some(v) = &flags.model {
        set(&["model"], v, "--model");
    }
    if let Some(v) = flags.gear {
        set(&["gear"], v.as_str(), "--gear");
    }
    if let Some(v) = &flags.theme {
        set(&["theme"], v, "--theme");
    }
    if let Some(url) = &flags.base_url {
        let provider = flags
            .provider
            .clone()
            .or_else(|| {
                below
                    .get("provider")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .filter(|p| p != "demo");
        let provider = provider.unwrap_or_else(|| {
            set_path(
                &mut table,
                &["providers", "custom", "kind"],
                Value::String("openai".into()),
            );
            set_path(&mut table, &["provider"], Value::String("custom".into()));
            "custom".into()
        });
        set_path(
            &mut table,
            &["providers", &provider, "base_url"],
            Value::String(url.clone()),
        );
        names.push("--base-url".into());
    }
    (table, names)
}
