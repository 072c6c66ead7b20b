//! Loading and merging the configuration layers.
//!
//! Each file is first checked on its own against the schema, so an error names the file, the
//! line and the dotted key; only then are the layers merged as TOML tables (a table merges key
//! by key, anything else replaces) and the result decoded once more.

use std::collections::BTreeMap;
use std::path::Path;

use toml::{Table, Value};

use super::layer::{Flags, Layer};
use super::overrides::{env_layer, flag_layer};
use super::toml_file::{decode, merge};
use super::trust::WorkspaceConfig;
use super::validate::parse_layer;
use super::{Config, ConfigError, DEFAULTS_TOML, Paths, validate};

#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub config: Config,
    pub layers: Vec<Layer>,
    /// The workspace's `.gearshift/config.toml`, when there is one, and its trust.
    pub workspace: Option<WorkspaceConfig>,
}

impl LoadedConfig {
    /// An error for a setting checked after loading (`[keys]`, say): at the line of `key` in
    /// the last file that sets it, which is the one whose value is in force. `None` when no
    /// file sets it (a default or a flag).
    #[must_use]
    pub fn at_key(&self, key: &[&str], message: &str) -> Option<ConfigError> {
        self.layers.iter().rev().find_map(|layer| {
            let (Layer::File { path, found: true } | Layer::Workspace { path, .. }) = layer else {
                return None;
            };
            let text = std::fs::read_to_string(path).ok()?;
            validate::key_offset(&text, key)?;
            Some(validate::at_key(path, &text, key, message.to_string()))
        })
    }
}

/// Loads every layer. `env` is a snapshot of the environment (injected so tests need not
/// mutate the process environment).
pub fn load(
    paths: &Paths,
    workspace: &Path,
    env: &BTreeMap<String, String>,
    flags: &Flags,
) -> Result<LoadedConfig, ConfigError> {
    let mut merged = parse_layer(Path::new("<built-in defaults>"), DEFAULTS_TOML)?;
    let mut layers = vec![Layer::Defaults];
    user_layers(paths, &mut merged, &mut layers)?;
    let ws = super::workspace::apply(paths, workspace, env, flags, &mut merged, &mut layers)?;

    let (env_table, env_names) = env_layer(env)?;
    merge(&mut merged, env_table);
    if !env_names.is_empty() {
        layers.push(Layer::Env(env_names));
    }

    // Quick start: a key in the environment selects its provider when nothing else does.
    if !merged.contains_key("provider") && flags.provider.is_none() {
        let quick = [
            ("OPENAI_API_KEY", "openai"),
            ("ANTHROPIC_API_KEY", "anthropic"),
        ]
        .into_iter()
        .find(|(var, _)| env.get(*var).is_some_and(|v| !v.is_empty()));
        if let Some((var, provider)) = quick {
            merged.insert("provider".into(), Value::String(provider.into()));
            layers.push(Layer::Env(vec![format!("{var} (selects {provider})")]));
        }
    }

    let (flag_table, flag_names) = flag_layer(flags, &merged);
    merge(&mut merged, flag_table);
    if !flag_names.is_empty() {
        layers.push(Layer::Flags(flag_names));
    }

    let mut config: Config = decode(merged).map_err(|(key, message)| {
        ConfigError::Invalid(format!(
            "the environment or command-line flags set `{key}` wrongly: {message}"
        ))
    })?;
    let mut hook_problems = ws.hook_problems;
    let mut mcp_problems = ws.mcp_problems;
    if ws.sandbox {
        config.hooks.sandbox = Some(true);
    }
    config.imported_hooks.extend(ws.hooks);
    if config.claude_hooks {
        let home = env.get("HOME").filter(|h| !h.is_empty()).map(Path::new);
        if let Some(home) = home {
            let path = crate::hooks::claude::user_file(home);
            match crate::hooks::claude::read(
                &path,
                "~/.claude/settings.json",
                crate::provided::Party::User,
            ) {
                Ok(Some((source, _))) => config.imported_hooks.push(source),
                Ok(None) => {}
                Err(e) => hook_problems.push(e),
            }
        }
        config.imported_hooks.extend(ws.claude);
    }
    if config.import_mcp
        && let Some(home) = env.get("HOME").filter(|h| !h.is_empty())
    {
        let (servers, problems) = crate::mcp::foreign::read(Path::new(home), workspace, env);
        config.foreign_mcp = servers;
        mcp_problems.extend(problems);
    }
    config.hook_problems = hook_problems;
    config.config_problems = ws.config_problems;
    config.imported_mcp = ws.mcp.unwrap_or_default();
    config.mcp_problems = mcp_problems;
    Ok(LoadedConfig {
        config,
        layers,
        workspace: ws.config,
    })
}

/// The imported model facts (which patch the catalog) and the user's own config (which
/// patches them), each checked on its own before it is merged.
fn user_layers(
    paths: &Paths,
    merged: &mut Table,
    layers: &mut Vec<Layer>,
) -> Result<(), ConfigError> {
    let imported = paths.models_file();
    let found = match read_optional(&imported)? {
        Some(text) => {
            let table = parse_layer(&imported, &text)?;
            if let Some(key) = table.keys().find(|k| *k != "models") {
                return Err(validate::at_key(
                    &imported,
                    &text,
                    &[key],
                    "this file holds only [models.\"NAME\"] entries (written by `gearshift \
                     models import`); move other settings to config.toml"
                        .into(),
                ));
            }
            merge(merged, table.clone());
            validate::check_merged(&imported, &text, &table, merged)?;
            true
        }
        None => false,
    };
    layers.push(Layer::File {
        path: imported,
        found,
    });

    let user = &paths.config_file;
    let found = match read_optional(user)? {
        Some(text) => {
            let table = parse_layer(user, &text)?;
            merge(merged, table.clone());
            validate::check_merged(user, &text, &table, merged)?;
            true
        }
        None => false,
    };
    layers.push(Layer::File {
        path: user.clone(),
        found,
    });
    Ok(())
}

/// A file's text, `None` when it does not exist (which is fine for every config file).
fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The built-in defaults patched by each TOML text in turn, merged exactly as config files
/// are (for embedding gearshift and for tests).
pub fn from_layers(layers: &[&str]) -> Result<Config, ConfigError> {
    let mut merged = parse_layer(Path::new("<built-in defaults>"), DEFAULTS_TOML)?;
    for (i, text) in layers.iter().enumerate() {
        let path = format!("<layer {}>", i + 1);
        let table = parse_layer(Path::new(&path), text)?;
        merge(&mut merged, table.clone());
        validate::check_merged(Path::new(&path), text, &table, &merged)?;
    }
    decode(merged).map_err(|(key, message)| ConfigError::Invalid(format!("{key}: {message}")))
}

#[cfg(test)]
mod tests;
