//! Loading and merging the configuration layers.
//!
//! Each file is first checked on its own against the schema, so an error names the file, the
//! line and the dotted key; only then are the layers merged as TOML tables (a table merges key
//! by key, anything else replaces) and the result decoded once more.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::{Table, Value};

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
    let mut workspace_config = None;
    let mut hook_problems = Vec::new();
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
        Err(source) => {
            return Err(ConfigError::Read {
                path: project.clone(),
                source,
            });
        }
    };
    if project_text.is_some() || !claude_ws.is_empty() || mcp_ws.is_some() {
        let text = project_text.clone().unwrap_or_default();
        let table = parse_layer(&project, &text)?;
        let hooks_fingerprint = crate::hooks::claude::fingerprint(&claude_ws);
        let hash = trust::config_hash(
            &text,
            &[
                ("claude-code-hooks", hooks_fingerprint),
                (".mcp.json", mcp_fingerprint),
            ],
        );
        let (allowed, mut privileged) = trust::split(&text, &table, &merged);
        privileged.extend(claude_privileged);
        privileged.extend(mcp_privileged);
        let recorded = TrustStore::load(&paths.trust_file)?;
        let entry = recorded.get(workspace);
        let trusted = flags.trust_workspace || entry.is_some_and(|e| e.config_sha256 == hash);
        let mut patch = if trusted { table } else { allowed };
        // Checkpoints only add up, trusted or not: a workspace never removes the user's.
        if let Some(mine) = patch.get("checkpoints").cloned() {
            let all = trust::union(merged.get("checkpoints"), &mine);
            patch.insert("checkpoints".into(), all);
        }
        // Neither do a trusted workspace's hooks replace the user's: each event's add up.
        if let Some(Value::Table(mine)) = patch.get("hooks").cloned() {
            let below = merged.get("hooks").and_then(Value::as_table);
            let mut all = below.cloned().unwrap_or_default();
            for (event, groups) in mine {
                let joined = trust::union(all.get(&event), &groups);
                all.insert(event, joined);
            }
            patch.insert("hooks".into(), Value::Table(all));
        }
        merge(&mut merged, patch.clone());
        validate::check_merged(&project, &text, &patch, &merged)?;
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
    config.hook_problems = hook_problems;
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

fn env_layer(env: &BTreeMap<String, String>) -> Result<(Table, Vec<String>), ConfigError> {
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
    Ok((table, names))
}

/// `--base-url` applies to the chosen provider; with none chosen it defines an
/// OpenAI-compatible provider named `custom` (a local vLLM or LM Studio, say).
fn flag_layer(flags: &Flags, below: &Table) -> (Table, Vec<String>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, Paths, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under_home(&dir.path().join("home"));
        let ws = dir.path().join("ws");
        std::fs::create_dir_all(ws.join(".gearshift")).unwrap();
        std::fs::create_dir_all(paths.home.clone().unwrap()).unwrap();
        (dir, paths, ws)
    }

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn a_workspace_adds_checkpoints_and_never_removes_the_users_trusted_or_not() {
        let (_d, paths, ws) = setup();
        std::fs::write(
            &paths.config_file,
            "[[checkpoints]]\nname = \"pushes\"\ncommands = [\"git push*\"]\n",
        )
        .unwrap();
        std::fs::write(
            Paths::project_config(&ws),
            "[[checkpoints]]\nname = \"migrations\"\nreason = \"reviewed\"\npaths = [\"migrations/**\"]\n",
        )
        .unwrap();
        let names = |flags: &Flags| -> Vec<String> {
            load(&paths, &ws, &env(&[]), flags)
                .unwrap()
                .config
                .checkpoints
                .iter()
                .map(|c| c.name.clone())
                .collect()
        };
        // Untrusted: the project's rule applies at once (it only adds a stop).
        assert_eq!(names(&Flags::default()), ["pushes", "migrations"]);
        let loaded = load(&paths, &ws, &env(&[]), &Flags::default()).unwrap();
        assert!(loaded.workspace.unwrap().withheld().is_empty());
        // Trusted: still added to the user's, never in their place.
        let trusted = Flags {
            trust_workspace: true,
            ..Flags::default()
        };
        assert_eq!(names(&trusted), ["pushes", "migrations"]);
    }

    #[test]
    fn layers_apply_in_order_defaults_user_project_env_flags() {
        let (_d, paths, ws) = setup();
        std::fs::write(
            &paths.config_file,
            "provider = \"deepseek\"\ntheme = \"light\"\ngear = \"plan\"\n[providers.deepseek]\ncontext_window = 10000\n",
        )
        .unwrap();
        std::fs::write(
            Paths::project_config(&ws),
            "theme = \"high-contrast\"\n[providers.deepseek]\nmax_output_tokens = 77\n",
        )
        .unwrap();

        let untrusted = load(&paths, &ws, &env(&[]), &Flags::default()).unwrap();
        assert_eq!(
            untrusted.config.providers["deepseek"].max_output_tokens, None,
            "an untrusted project cannot patch a provider"
        );
        assert_eq!(
            untrusted.workspace.unwrap().withheld()[0].key,
            "providers.deepseek"
        );
        // Trusted (here for this run), the project's whole file applies.
        let trusted = Flags {
            trust_workspace: true,
            ..Flags::default()
        };
        let c = load(&paths, &ws, &env(&[]), &trusted).unwrap().config;
        assert_eq!(c.provider.as_deref(), Some("deepseek"));
        assert_eq!(c.theme, "high-contrast", "project beats user");
        assert_eq!(c.gear, Gear::Plan, "user beats defaults");
        let ds = &c.providers["deepseek"];
        assert_eq!(ds.context_window, Some(10000), "user patch kept");
        assert_eq!(ds.max_output_tokens, Some(77), "project patch merged");
        assert_eq!(
            ds.base_url.as_deref(),
            Some("https://api.deepseek.com"),
            "default kept"
        );

        let e = env(&[
            ("GEARSHIFT_THEME", "dark"),
            ("GEARSHIFT_MODEL", "deepseek-reasoner"),
        ]);
        let c = load(&paths, &ws, &e, &Flags::default()).unwrap().config;
        assert_eq!(c.theme, "dark", "env beats project");
        assert_eq!(c.model.as_deref(), Some("deepseek-reasoner"));

        let flags = Flags {
            theme: Some("light".into()),
            gear: Some(Gear::Pipeline),
            ..Flags::default()
        };
        let c = load(&paths, &ws, &e, &flags).unwrap().config;
        assert_eq!(c.theme, "light", "flags beat env");
        assert_eq!(c.gear, Gear::Pipeline);
    }

    #[test]
    fn quick_start_env_selects_provider_only_when_none_is_chosen() {
        let (_d, paths, ws) = setup();
        let e = env(&[
            ("OPENAI_API_KEY", "sk-x"),
            ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"),
        ]);
        let c = load(&paths, &ws, &e, &Flags::default()).unwrap().config;
        assert_eq!(c.provider.as_deref(), Some("openai"));
        assert_eq!(
            c.providers["openai"].base_url.as_deref(),
            Some("http://127.0.0.1:9/v1")
        );
        std::fs::write(&paths.config_file, "provider = \"ollama\"\n").unwrap();
        let c = load(&paths, &ws, &e, &Flags::default()).unwrap().config;
        assert_eq!(
            c.provider.as_deref(),
            Some("ollama"),
            "a file's choice wins"
        );
        let c = load(&paths, &ws, &env(&[]), &Flags::default())
            .unwrap()
            .config;
        assert_eq!(c.provider.as_deref(), Some("ollama"));
    }

    #[test]
    fn base_url_flag_patches_chosen_provider_or_defines_custom() {
        let (_d, paths, ws) = setup();
        let flags = Flags {
            base_url: Some("http://127.0.0.1:8000/v1".into()),
            model: Some("local".into()),
            ..Flags::default()
        };
        let c = load(&paths, &ws, &env(&[]), &flags).unwrap().config;
        let p = c.active_provider().unwrap();
        assert_eq!(p.name, "custom");
        assert_eq!(p.base_url.as_deref(), Some("http://127.0.0.1:8000/v1"));
        assert_eq!(p.model, "local");

        let flags = Flags {
            provider: Some("zhipu".into()),
            ..flags
        };
        let p = load(&paths, &ws, &env(&[]), &flags)
            .unwrap()
            .config
            .active_provider()
            .unwrap();
        assert_eq!(p.name, "zhipu");
        assert_eq!(p.base_url.as_deref(), Some("http://127.0.0.1:8000/v1"));
    }

    #[test]
    fn unknown_key_reports_file_line_and_dotted_key() {
        let (_d, paths, ws) = setup();
        std::fs::write(
            &paths.config_file,
            "theme = \"dark\"\n\n[providers.openai]\nbase_url = \"x\"\nbse_url = \"y\"\n",
        )
        .unwrap();
        let err = load(&paths, &ws, &env(&[]), &Flags::default()).unwrap_err();
        let ConfigError::Parse {
            path, line, key, ..
        } = &err
        else {
            panic!("{err}")
        };
        assert_eq!(path, &paths.config_file);
        assert_eq!(*line, 5);
        assert_eq!(key, "providers.openai.bse_url");
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("{}:5:", paths.config_file.display())),
            "{msg}"
        );
        assert!(msg.contains("not a known setting"), "{msg}");
    }

    #[test]
    fn wrong_type_reports_line_key_and_expectation() {
        let (_d, paths, ws) = setup();
        std::fs::write(
            Paths::project_config(&ws),
            "[providers.deepseek]\ncontext_window = \"big\"\n",
        )
        .unwrap();
        let err = load(&paths, &ws, &env(&[]), &Flags::default()).unwrap_err();
        let msg = err.to_string();
        let ConfigError::Parse {
            line, key, message, ..
        } = err
        else {
            panic!("{msg}")
        };
        assert_eq!(line, 2, "{msg}");
        assert_eq!(key, "providers.deepseek.context_window");
        assert!(message.contains("expected u32"), "{message}");
        assert!(msg.contains(".gearshift/config.toml:2:"), "{msg}");

        std::fs::write(Paths::project_config(&ws), "gear = \"fast\"\n").unwrap();
        let msg = load(&paths, &ws, &env(&[]), &Flags::default())
            .unwrap_err()
            .to_string();
        assert!(msg.contains(":1:") && msg.contains("gear"), "{msg}");
        assert!(msg.contains("vibe"), "names the expected values: {msg}");
    }

    #[test]
    fn syntax_error_reports_line() {
        let (_d, paths, ws) = setup();
        std::fs::write(&paths.config_file, "theme = \"dark\"\nmodel = \n").unwrap();
        let msg = load(&paths, &ws, &env(&[]), &Flags::default())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("config.toml:2:"), "{msg}");
    }

    #[test]
    fn bad_gear_in_env_names_the_variable() {
        let (_d, paths, ws) = setup();
        let msg = load(
            &paths,
            &ws,
            &env(&[("GEARSHIFT_GEAR", "turbo")]),
            &Flags::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(msg.contains("GEARSHIFT_GEAR"), "{msg}");
    }
}
