//! Range checks for every numeric setting, with the file, line and key of a bad value.
//!
//! The schema (serde) checks types; this checks meaning: a timeout that is negative, zero, NaN,
//! infinite or astronomically large, a fraction outside 0–1, a limit of zero. Each rule is a row
//! of [`RULES`], so the documented range (docs/, `assets/default-config.toml`) and the check are
//! the same table. Checks run on each file's own TOML table — only on what that file sets — and
//! the cross-field rule (`compact_at` ≥ `warn_at`) on the layers merged so far, reported at the
//! line of the file that broke it.

use std::ops::RangeInclusive;
use std::path::Path;

use toml::{Table, Value};

use super::toml_file::parse_file;
use super::{Config, ConfigError};

/// One numeric setting and the values it accepts.
struct Rule {
    /// Dotted key; `*` stands for any one name (a provider's).
    key: &'static str,
    range: RangeInclusive<f64>,
    /// Whether zero is accepted besides the range (it means "off").
    zero_means_off: bool,
    /// What the value is, for the message.
    unit: &'static str,
}

const fn rule(key: &'static str, min: f64, max: f64, unit: &'static str) -> Rule {
    Rule {
        key,
        range: min..=max,
        zero_means_off: false,
        unit,
    }
}

/// Every numeric setting. Seconds stay below a day so no duration can overflow or panic.
const RULES: &[Rule] = &[
    rule(
        "providers.*.context_window",
        1024.0,
        100_000_000.0,
        "tokens",
    ),
    rule("providers.*.max_output_tokens", 1.0, 10_000_000.0, "tokens"),
    rule(
        "providers.*.input_price",
        0.0,
        100_000.0,
        "dollars per million tokens",
    ),
    rule(
        "providers.*.output_price",
        0.0,
        100_000.0,
        "dollars per million tokens",
    ),
    rule(
        "providers.*.cached_input_price",
        0.0,
        100_000.0,
        "dollars per million tokens",
    ),
    rule(
        "providers.*.cache_write_price",
        0.0,
        100_000.0,
        "dollars per million tokens",
    ),
    rule("providers.*.connect_timeout", 0.1, 3_600.0, "seconds"),
    rule("providers.*.request_timeout", 1.0, 86_400.0, "seconds"),
    rule("providers.*.idle_timeout", 1.0, 86_400.0, "seconds"),
    rule("providers.*.max_retries", 0.0, 20.0, "retries"),
    rule(
        "providers.*.reasoning_budget",
        1024.0,
        1_000_000.0,
        "tokens",
    ),
    rule("models.*.context_window", 1024.0, 100_000_000.0, "tokens"),
    rule("models.*.max_output_tokens", 1.0, 10_000_000.0, "tokens"),
    rule(
        "models.*.input_price",
        0.0,
        100_000.0,
        "dollars per million tokens",
    ),
    rule(
        "models.*.output_price",
        0.0,
        100_000.0,
        "dollars per million tokens",
    ),
    rule(
        "models.*.cached_input_price",
        0.0,
        100_000.0,
        "dollars per million tokens",
    ),
    rule(
        "models.*.cache_write_price",
        0.0,
        100_000.0,
        "dollars per million tokens",
    ),
    rule("models.*.reasoning_budget", 1024.0, 1_000_000.0, "tokens"),
    rule("agent.max_tool_rounds", 1.0, 10_000.0, "rounds"),
    rule("agent.command_timeout", 1.0, 86_400.0, "seconds"),
    rule(
        "agent.read_max_bytes",
        1_024.0,
        64.0 * 1024.0 * 1024.0,
        "bytes",
    ),
    rule(
        "agent.max_reply_bytes",
        65_536.0,
        1024.0 * 1024.0 * 1024.0,
        "bytes",
    ),
    rule("agents.max_parallel", 1.0, 16.0, "subagents"),
    rule("review.context_lines", 0.0, 1_000.0, "lines"),
    rule("context.warn_at", 0.05, 1.0, "fraction of the window"),
    Rule {
        zero_means_off: true,
        ..rule("context.compact_at", 0.1, 1.0, "fraction of the window")
    },
    rule("pipeline.max_verify_rounds", 1.0, 100.0, "rounds"),
    rule("routing.cooldown", 1.0, 86_400.0, "seconds"),
];

fn matches(pattern: &str, path: &[&str]) -> bool {
    let parts: Vec<&str> = pattern.split('.').collect();
    parts.len() == path.len() && parts.iter().zip(path).all(|(p, k)| *p == "*" || p == k)
}

/// Every numeric value in `table` with its dotted path.
fn numbers(table: &Table, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, f64)>) {
    for (key, value) in table {
        prefix.push(key.clone());
        match value {
            Value::Table(t) => numbers(t, prefix, out),
            #[allow(clippy::cast_precision_loss)] // settings are far below 2^52
            Value::Integer(i) => out.push((prefix.clone(), *i as f64)),
            Value::Float(f) => out.push((prefix.clone(), *f)),
            _ => {}
        }
        prefix.pop();
    }
}

fn show(range: &RangeInclusive<f64>) -> String {
    let n = |v: f64| {
        if v.fract() == 0.0 && v.abs() < 1e15 {
            format!("{v:.0}")
        } else {
            format!("{v}")
        }
    };
    format!("{} to {}", n(*range.start()), n(*range.end()))
}

/// Checks the numbers one file sets; the first bad one is an error at its line.
pub fn check_file(path: &Path, text: &str, table: &Table) -> Result<(), ConfigError> {
    let mut found = Vec::new();
    numbers(table, &mut Vec::new(), &mut found);
    for (key, value) in found {
        let parts: Vec<&str> = key.iter().map(String::as_str).collect();
        let Some(rule) = RULES.iter().find(|r| matches(r.key, &parts)) else {
            continue;
        };
        let ok = value.is_finite()
            && (rule.range.contains(&value) || (rule.zero_means_off && value == 0.0));
        if !ok {
            let off = if rule.zero_means_off {
                " (or 0 for off)"
            } else {
                ""
            };
            return Err(at_key(
                path,
                text,
                &parts,
                format!(
                    "{value} is out of range: expected {}{off} {}",
                    show(&rule.range),
                    rule.unit
                ),
            ));
        }
    }
    Ok(())
}

/// Checks the rules that relate two settings, on the layers merged so far; `text` is the file
/// just merged, which is blamed only for keys it set.
pub fn check_merged(
    path: &Path,
    text: &str,
    file: &Table,
    merged: &Table,
) -> Result<(), ConfigError> {
    check_routing(path, text, file, merged)?;
    check_hooks(path, text, file)?;
    check_mcp(path, text, file)?;
    let get = |t: &Table, k: &str| {
        t.get("context")
            .and_then(Value::as_table)
            .and_then(|c| c.get(k))
            .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
    };
    let (Some(warn), Some(compact)) = (get(merged, "warn_at"), get(merged, "compact_at")) else {
        return Ok(());
    };
    if compact == 0.0 || compact >= warn {
        return Ok(());
    }
    let blamed = if get(file, "compact_at").is_some() {
        "compact_at"
    } else if get(file, "warn_at").is_some() {
        "warn_at"
    } else {
        return Ok(());
    };
    Err(at_key(
        path,
        text,
        &["context", blamed],
        format!(
            "context.compact_at ({compact}) is below context.warn_at ({warn}): compaction would \
             start before the warning; set compact_at at or above warn_at, or 0 for off"
        ),
    ))
}

/// `[hooks]`: known events, matchers that compile, command handlers (what Claude Code's files
/// hold is only reported, since gearshift does not own them; this file it does).
fn check_hooks(path: &Path, text: &str, file: &Table) -> Result<(), ConfigError> {
    let Some(hooks) = file.get("hooks") else {
        return Ok(());
    };
    let block: crate::hooks::HooksConfig = hooks
        .clone()
        .try_into()
        .map_err(|e| at_key(path, text, &["hooks"], format!("not a hooks block: {e}")))?;
    crate::hooks::check(&block.events).map_err(|(key, message)| {
        let parts: Vec<&str> = key.split('.').collect();
        at_key(path, text, &parts, message)
    })
}

/// `[mcp_servers]`: valid names, one transport each.
fn check_mcp(path: &Path, text: &str, file: &Table) -> Result<(), ConfigError> {
    let Some(servers) = file.get("mcp_servers") else {
        return Ok(());
    };
    let servers: std::collections::BTreeMap<String, crate::mcp::McpServerConfig> =
        servers.clone().try_into().map_err(|e| {
            at_key(
                path,
                text,
                &["mcp_servers"],
                format!("not a table of servers: {e}"),
            )
        })?;
    crate::mcp::config::check(&servers).map_err(|(key, message)| {
        let parts: Vec<&str> = key.split('.').collect();
        at_key(path, text, &parts, message)
    })
}

/// Every `[routing]` entry the file sets names `provider/model` of a provider defined in the
/// layers merged so far.
fn check_routing(path: &Path, text: &str, file: &Table, merged: &Table) -> Result<(), ConfigError> {
    let Some(routes) = file.get("routing").and_then(Value::as_table) else {
        return Ok(());
    };
    let providers = merged.get("providers").and_then(Value::as_table);
    for (name, route) in routes {
        if name == "cooldown" {
            if !route.is_integer() {
                let problem = "expected whole seconds, as `cooldown = 300`".to_string();
                return Err(at_key(path, text, &["routing", name], problem));
            }
            continue;
        }
        let named: Vec<&str> = match route {
            Value::String(m) => vec![m],
            Value::Table(t) => t
                .get("model")
                .and_then(Value::as_str)
                .into_iter()
                .chain(
                    t.get("fallback")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str),
                )
                .collect(),
            _ => Vec::new(),
        };
        for m in named {
            let problem = match super::Target::parse(m) {
                Err(e) => Some(e),
                Ok(t) if providers.is_none_or(|p| !p.contains_key(&t.provider)) => Some(format!(
                    "provider `{}` is not defined; add [providers.{}] or name a defined one",
                    t.provider, t.provider
                )),
                Ok(_) => None,
            };
            if let Some(problem) = problem {
                return Err(at_key(path, text, &["routing", name], problem));
            }
        }
    }
    Ok(())
}

/// An error at the line of `key` in `text` (the start of the file when it cannot be found).
pub fn at_key(path: &Path, text: &str, key: &[&str], message: String) -> ConfigError {
    let offset = key_offset(text, key).unwrap_or(0);
    let (line, column) = super::toml_file::line_col(text, offset);
    ConfigError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        key: key.join("."),
        message,
    }
}

/// Where `key` is written in `text`, through tables, dotted keys and inline tables alike.
pub fn key_offset(text: &str, key: &[&str]) -> Option<usize> {
    use toml::de::{DeTable, DeValue};
    let doc = DeTable::parse(text).ok()?;
    let mut table = doc.get_ref();
    let (last, parents) = key.split_last()?;
    for part in parents {
        let (_, value) = table.iter().find(|(k, _)| k.get_ref() == part)?;
        match value.get_ref() {
            DeValue::Table(t) => table = t,
            _ => return None,
        }
    }
    let (k, _) = table.iter().find(|(k, _)| k.get_ref() == last)?;
    Some(k.span().start)
}

/// Checks one file against the schema and the documented ranges, and returns its table.
pub(super) fn parse_layer(path: &Path, text: &str) -> Result<Table, ConfigError> {
    parse_file::<Config>(path, text)?;
    let table = parse_file::<Table>(path, text)?;
    check_file(path, text, &table)?;
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<(), String> {
        let table: Table = toml::from_str(text).unwrap();
        check_file(Path::new("c.toml"), text, &table).map_err(|e| e.to_string())
    }

    #[test]
    fn nonsense_numbers_are_refused_at_their_line() {
        for (text, line) in [
            ("[agent]\ncommand_timeout = -1\n", 2),
            ("[agent]\ncommand_timeout = 0\n", 2),
            ("[agent]\ncommand_timeout = nan\n", 2),
            ("[agent]\ncommand_timeout = inf\n", 2),
            ("[agent]\ncommand_timeout = 1e300\n", 2),
            ("[providers.x]\nidle_timeout = inf\n", 2),
            (
                "\n\n[providers.openai]\nkind = \"openai\"\nconnect_timeout = -0.5\n",
                5,
            ),
            ("[context]\nwarn_at = 5.0\n", 2),
            ("[agent]\nmax_tool_rounds = 0\n", 2),
            ("[agent]\nread_max_bytes = 0\n", 2),
            ("[providers.deepseek]\nmax_output_tokens = 0\n", 2),
            ("[pipeline]\nmax_verify_rounds = 0\n", 2),
            ("providers.openai.max_retries = 1000\n", 1),
            ("[models.\"gpt-4.1\"]\ncontext_window = 0\n", 2),
            ("[models.x]\ninput_price = -1\n", 2),
            ("[providers.anthropic]\nreasoning_budget = 10\n", 2),
            ("[routing]\ncooldown = 0\n", 2),
        ] {
            let err = check(text).unwrap_err();
            assert!(
                err.starts_with(&format!("c.toml:{line}:")),
                "{text:?}: {err}"
            );
            assert!(err.contains("out of range"), "{err}");
        }
    }

    #[test]
    fn sensible_numbers_and_zero_for_off_pass() {
        check(
            "[agent]\ncommand_timeout = 30\nmax_tool_rounds = 5\n[context]\ncompact_at = 0\n\
             [providers.x]\nidle_timeout = 2.5\ninput_price = 0\n",
        )
        .unwrap();
    }

    #[test]
    fn compact_below_warn_blames_the_file_that_set_it() {
        let text = "[context]\n\ncompact_at = 0.5\n";
        let file: Table = toml::from_str(text).unwrap();
        let merged: Table = toml::from_str("[context]\nwarn_at = 0.8\ncompact_at = 0.5\n").unwrap();
        let err = check_merged(Path::new("p.toml"), text, &file, &merged)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p.toml:3:"), "{err}");
        assert!(err.contains("below context.warn_at"), "{err}");
        let off: Table = toml::from_str("[context]\nwarn_at = 0.8\ncompact_at = 0\n").unwrap();
        check_merged(Path::new("p.toml"), text, &file, &off).unwrap();
    }

    #[test]
    fn a_route_must_name_provider_and_model_of_a_defined_provider() {
        let check = |text: &str| {
            let file: Table = toml::from_str(text).unwrap();
            let mut merged: Table = toml::from_str(crate::config::DEFAULTS_TOML).unwrap();
            super::super::toml_file::merge_for_tests(&mut merged, file.clone());
            check_merged(Path::new("c.toml"), text, &file, &merged).map_err(|e| e.to_string())
        };
        assert!(check("[routing]\nplan = \"anthropic/claude-opus-4-5\"\n").is_ok());
        assert!(check("[routing]\ncooldown = 60\nplan = \"openai/gpt-5\"\n").is_ok());
        let e = check("[routing]\ncooldown = \"5m\"\n").unwrap_err();
        assert!(
            e.contains("routing.cooldown") && e.contains("whole seconds"),
            "{e}"
        );
        let e = check("[routing]\nplan = \"opus\"\n").unwrap_err();
        assert!(
            e.contains("c.toml:2:1: routing.plan") && e.contains("provider/model"),
            "{e}"
        );
        let e =
            check("[routing]\nimplement = { model = \"openai/gpt-5\", fallback = [\"nope/x\"] }\n")
                .unwrap_err();
        assert!(
            e.contains("routing.implement") && e.contains("`nope` is not defined"),
            "{e}"
        );
    }

    #[test]
    fn keys_are_found_in_every_toml_form() {
        let text = "a = 1\ng.h = 4\ni = { j = 5 }\n[b]\nc = 2\n[d.e]\nf = 3\n";
        let line =
            |k: &[&str]| super::super::toml_file::line_col(text, key_offset(text, k).unwrap()).0;
        assert_eq!(line(&["a"]), 1);
        assert_eq!(line(&["g", "h"]), 2);
        assert_eq!(line(&["i", "j"]), 3);
        assert_eq!(line(&["b", "c"]), 5);
        assert_eq!(line(&["d", "e", "f"]), 7);
    }
}
