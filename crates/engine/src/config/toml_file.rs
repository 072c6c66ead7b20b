//! A TOML file as configuration: decoded with the file, line, column and dotted key of any
//! error, tables merged key by key, and decoded again once merged.

use std::path::Path;

use serde::de::DeserializeOwned;
use toml::{Table, Value};

use super::ConfigError;

/// Decodes a TOML file into `T`; an error names the file, line, column and dotted key.
pub fn parse_file<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, ConfigError> {
    let error = |span: Option<std::ops::Range<usize>>, key: String, message: String| {
        let (line, column) = line_col(text, span.map_or(0, |s| s.start));
        ConfigError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            key,
            message,
        }
    };
    let deserializer = toml::Deserializer::parse(text)
        .map_err(|e| error(e.span(), "(syntax)".into(), e.message().trim().to_string()))?;
    serde_path_to_error::deserialize::<_, T>(deserializer).map_err(|e| {
        // The path already ends with the offending key, unknown fields included.
        let key = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.message().trim().to_string();
        error(inner.span(), key, explain(&message))
    })
}

/// serde's messages are accurate but terse; say what a user should do.
fn explain(message: &str) -> String {
    if message.starts_with("unknown field `") {
        format!("not a known setting ({message}); check the spelling against `gearshift config`")
    } else {
        message.to_string()
    }
}

pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, column)
}

/// Deep merge: tables merge key by key; any other value replaces.
#[cfg(test)]
pub(super) fn merge_for_tests(base: &mut Table, patch: Table) {
    merge(base, patch);
}

pub(super) fn merge(base: &mut Table, patch: Table) {
    for (key, value) in patch {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(base_t)), Value::Table(patch_t)) => merge(base_t, patch_t),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

pub(super) fn decode<T: DeserializeOwned>(table: Table) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(Value::Table(table))
        .map_err(|e| (e.path().to_string(), e.into_inner().to_string()))
}
