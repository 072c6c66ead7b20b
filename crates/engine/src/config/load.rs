//! Loading and merging the configuration layers.
//!
//! Each file is first checked on its own against the schema, so an error names the file, the
//! line and the dotted key; only then are the layers merged as TOML tables (a table merges key
//! by key, anything else replaces) and the result decoded once more.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::{Table, Value};

use super::overrides::{env_layer, flag_layer};
use super::trust::{self, TrustStore, WorkspaceConfig};
use super::{Config, ConfigError, DEFAULTS_TOML, Paths, validate};
use crate::protocol::Gear;

/// Settings given on the command line, the top layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    pub provider: Option<String>,
    pub model: Option<String>,
    pub base_url: Option<String>,
    pub gear: Option<Gear>,
    pub theme: Option<String>,
    /// `--trust-workspace`: apply the workspace's config in full for this run.
    pub trust_workspace: bool,
}

/// One layer that contributed to the configuration, for `gearshift config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layer {
    Defaults,
    /// A config file; `found` is false when it does not exist (which is fine).
    File {
        path: PathBuf,
        found: bool,
    },
    /// The workspace's config; untrusted, its privileged settings were withheld.
    Workspace {
        path: PathBuf,
        trusted: bool,
        withheld: usize,
    },
    /// Environment variables that were applied, by name.
    Env(Vec<String>),
    /// Flags that were applied, by name.
    Flags(Vec<String>),
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Layer::Defaults => f.write_str("built-in defaults"),
            Layer::File { path, found: true } => write!(f, "{}", path.display()),
            Layer::File { path, found: false } => write!(f, "{} (not present)", path.display()),
            Layer::Workspace {
                path,
                trusted: true,
                ..
            } => write!(f, "{} (trusted)", path.display()),
            Layer::Workspace {
                path, withheld: 0, ..
            } => write!(f, "{} (untrusted; nothing withheld)", path.display()),
            Layer::Workspace { path, withheld, .. } => write!(
                f,
                "{} (untrusted: {withheld} privileged settings withheld; see `gearshift trust`)",
                path.display()
            ),
            Layer::Env(names) => write!(f, "environment: {}", names.join(", ")),
            Layer::Flags(names) => write!(f, "flags: {}", names.join(", ")),
        }
    }
}

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

    // Imported model facts patch the catalog; the user's own config patches them.
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
            merge(&mut merged, table.clone());
            validate::check_merged(&imported, &text, &table, &merged)?;
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
            merge(&mut merged, table.clone());
            validate::check_merged(user, &text, &table, &merged)?;
            true
        }
        None => false,
    };
    layers.push(Layer::File {
        path: user.clone(),
        found,
    });

    let project = Paths::project_config(workspace);
    let mut config_problems = Vec::new();
    let mut workspace_config = None;
    let mut hook_problems = Vec::new();
    let mut workspace_hooks = None;
    let mut workspace_sandbox = false;
    // The workspace's Claude Code hooks are privileged like its config's, and trust covers
    // both (see `trust::config_hash`).
    let mut claude_ws = Vec::new();
    let mut claude_privileged = Vec::new();
    for path in crate::hooks::claude::workspace_files(workspace) {
        let label = path
            .strip_prefix(workspace)
            .unwrap_or(&path)
            .display()
            .to_string();
        match crate::hooks::claude::read(
            &path,
            &label,
            crate::provided::Party::Repository(workspace),
        ) {
            Ok(Some((source, text))) => {
                claude_privileged.extend(trust::claude_hooks_privileged(&path, &text, &source));
                claude_ws.push(source);
            }
            Ok(None) => {}
            Err(e) => hook_problems.push(e),
        }
    }
    // So are its `.mcp.json`'s servers (Claude Code's format), which start programs.
    let mcp_json = workspace.join(".mcp.json");
    let mut mcp_ws = None;
    let mut mcp_privileged = Vec::new();
    let mut mcp_fingerprint = String::new();
    let mut mcp_problems = Vec::new();
    match crate::mcp::config::read_mcp_json(
        &mcp_json,
        env,
        crate::provided::Party::Repository(workspace),
    ) {
        Ok(Some((servers, text))) if !servers.is_empty() => {
            (mcp_privileged, mcp_fingerprint) = trust::mcp_json_privileged(&mcp_json, &text);
            mcp_ws = Some(servers);
        }
        Ok(_) => {}
        Err(e) => mcp_problems.push(e),
    }
    // The workspace's config is the repository's file: read only inside it.
    let project_text = match crate::provided::read(
        &project,
        crate::provided::Party::Repository(workspace),
        4 * 1024 * 1024,
    ) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        // The repository's file, unreadable (a link out of it, say): said, not fatal.
        Err(e) => {
            config_problems.push(format!(
                "{}: not applied: {e}",
                crate::safe_text::visible(&project.display().to_string())
            ));
            None
        }
    };
    if project_text.is_some() || !claude_ws.is_empty() || mcp_ws.is_some() {
        let text = project_text.clone().unwrap_or_default();
        let hooks_fingerprint = crate::hooks::claude::fingerprint(&claude_ws);
        let hash = trust::config_hash(
            &text,
            &[
                ("claude-code-hooks", hooks_fingerprint),
                (".mcp.json", mcp_fingerprint),
            ],
        );
        let recorded = TrustStore::load(&paths.trust_file)?;
        let entry = recorded.get(workspace);
        let trusted = flags.trust_workspace || entry.is_some_and(|e| e.config_sha256 == hash);
        // A repository's config that does not parse is the repository's problem until the
        // user trusts it: said, and the rest of gearshift works there.
        let table = match parse_layer(&project, &text) {
            Ok(table) => table,
            Err(e) if !trusted => {
                config_problems.push(format!("{e} (the workspace's config is not applied)"));
                Table::new()
            }
            Err(e) => return Err(e),
        };
        let (allowed, mut privileged) = trust::split(&text, &table, &merged);
        privileged.extend(claude_privileged);
        privileged.extend(mcp_privileged);
        let mut patch = if trusted { table } else { allowed };
        // Checkpoints only add up, trusted or not: a workspace never removes the user's.
        if let Some(mine) = patch.get("checkpoints").cloned() {
            let all = trust::union(merged.get("checkpoints"), &mine);
            patch.insert("checkpoints".into(), all);
        }
        // Neither do a trusted workspace's hooks replace the user's: they are kept apart, as
        // the workspace's (whose `allow` grants nothing), and may only confine hooks more.
        if let Some(mine) = patch.remove("hooks") {
            let file = Table::from_iter([("hooks".to_string(), mine.clone())]);
            validate::check_merged(&project, &text, &file, &merged)?;
            let mut mine: crate::hooks::HooksConfig = mine.try_into().map_err(|e| {
                ConfigError::Invalid(format!("{}: [hooks]: {e}", project.display()))
            })?;
            match mine.sandbox.take() {
                Some(true) => workspace_sandbox = true,
                Some(false) => config_problems.push(format!(
                    "{}: `[hooks] sandbox = false` is not applied: only your own config may run \
                     every hook as you",
                    crate::safe_text::visible(&project.display().to_string())
                )),
                None => {}
            }
            if !mine.events.is_empty() {
                workspace_hooks = Some(crate::hooks::Source {
                    label: ".gearshift/config.toml".into(),
                    block: mine.events,
                    workspace: true,
                });
            }
        }
        let before = merged.clone();
        merge(&mut merged, patch.clone());
        if let Err(e) = validate::check_merged(&project, &text, &patch, &merged) {
            if trusted {
                return Err(e);
            }
            config_problems.push(format!("{e} (the workspace's config is not applied)"));
            merged = before;
        }
        let config = WorkspaceConfig {
            path: project.clone(),
            hash,
            trusted,
            changed_since_trusted: entry.is_some() && !trusted,
            privileged,
        };
        if project_text.is_some() {
            layers.push(Layer::Workspace {
                path: project,
                trusted,
                withheld: config.withheld().len(),
            });
        } else {
            layers.push(Layer::File {
                path: project,
                found: false,
            });
        }
        if !trusted {
            claude_ws.clear();
            mcp_ws = None;
        }
        workspace_config = Some(config);
    } else {
        layers.push(Layer::File {
            path: project,
            found: false,
        });
    }

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
    if workspace_sandbox {
        config.hooks.sandbox = Some(true);
    }
    config.imported_hooks.extend(workspace_hooks);
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
        config.imported_hooks.extend(claude_ws);
    }
    if config.import_mcp
        && let Some(home) = env.get("HOME").filter(|h| !h.is_empty())
    {
        let (servers, problems) = crate::mcp::foreign::read(Path::new(home), workspace, env);
        config.foreign_mcp = servers;
        mcp_problems.extend(problems);
    }
    config.hook_problems = hook_problems;
    config.config_problems = config_problems;
    config.imported_mcp = mcp_ws.unwrap_or_default();
    config.mcp_problems = mcp_problems;
    Ok(LoadedConfig {
        config,
        layers,
        workspace: workspace_config,
    })
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

/// Checks one file against the schema and the documented ranges, and returns its table.
fn parse_layer(path: &Path, text: &str) -> Result<Table, ConfigError> {
    parse_file::<Config>(path, text)?;
    let table = parse_file::<Table>(path, text)?;
    validate::check_file(path, text, &table)?;
    Ok(table)
}

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

fn merge(base: &mut Table, patch: Table) {
    for (key, value) in patch {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(base_t)), Value::Table(patch_t)) => merge(base_t, patch_t),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

fn decode<T: DeserializeOwned>(table: Table) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(Value::Table(table))
        .map_err(|e| (e.path().to_string(), e.into_inner().to_string()))
}

#[cfg(test)]
mod tests;
