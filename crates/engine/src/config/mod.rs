//! Configuration: the schema, its built-in defaults and the resolved view the program uses.
//!
//! Layers, lowest first: built-in defaults (`assets/default-config.toml`) < the user's
//! `config.toml` < the workspace's `.gearshift/config.toml` < environment < command-line flags.
//! Every layer is a patch that names only what it changes; [`load`] merges them. API keys are
//! never part of the configuration: a provider names the environment variable that holds its
//! key, and only that name is ever printed or stored.

mod layer;
mod load;
pub mod models;
pub mod models_dev;
mod overrides;
mod paths;
mod provider_table;
mod providers;
mod route;
mod sections;
mod toml_file;
pub mod trust;
mod validate;
mod workspace;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use crate::fsutil::files_in;
pub use crate::tools::checkpoints::CheckpointRule;
pub use crate::tools::secrets::SecretsConfig;
pub use gearshift_sandbox::SandboxMode;
pub use layer::{Flags, Layer};
pub use load::{LoadedConfig, from_layers, load};
pub use paths::Paths;
pub use providers::{ActiveProvider, Prices, ProviderConfig, ProviderKind, TOUR_MODEL};
pub use route::{Route, RouteTable, Routing, Target};
pub use sections::{
    AgentConfig, AgentsConfig, ApprovalsConfig, ContextConfig, DEFAULT_DENY_READ, FilesConfig,
    KeyBinding, NotifyConfig, NotifyMethod, PipelineConfig, ReviewConfig, SandboxConfig,
    TelemetryConfig, VibeEdits,
};
pub use toml_file::parse_file;
pub use trust::{Privileged, TrustStore, WorkspaceConfig};

use crate::protocol::Gear;

/// The built-in defaults, a TOML file users can read as a reference.
pub const DEFAULTS_TOML: &str = include_str!("../../../../assets/default-config.toml");

/// A configuration error a user can fix; the message says where and what.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {key}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        /// Dotted key path, e.g. `providers.openai.context_window`.
        key: String,
        message: String,
    },
    #[error("{0}")]
    Invalid(String),
}

/// The whole configuration. Every field has a default, so any subset is a valid file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Name of the entry in `providers` to use; `None` means the offline demo.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Overrides the provider's default model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub gear: Gear,
    pub theme: String,
    pub providers: BTreeMap<String, ProviderConfig>,
    /// Facts per model, patching the built-in catalog (`assets/models.toml`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub models: BTreeMap<String, models::ModelFacts>,
    /// Key bindings by action name; see `tui::keymap`.
    pub keys: BTreeMap<String, KeyBinding>,
    pub approvals: ApprovalsConfig,
    pub agent: AgentConfig,
    pub agents: AgentsConfig,
    pub review: ReviewConfig,
    pub context: ContextConfig,
    pub pipeline: PipelineConfig,
    pub sandbox: SandboxConfig,
    pub secrets: SecretsConfig,
    pub files: FilesConfig,
    pub notify: NotifyConfig,
    /// OpenTelemetry export; only the user's own config may set it.
    pub telemetry: TelemetryConfig,
    /// Which model serves each gear, plan phase, pipeline stage and compaction, with
    /// fallbacks: `plan = "anthropic/claude-opus-4-5"`, `implement = { model =
    /// "deepseek/deepseek-v4-flash", fallback = ["zhipu/glm-4.6"] }`.
    #[serde(skip_serializing_if = "Routing::is_empty")]
    pub routing: Routing,
    /// What always stops for a human, in every gear (`[[checkpoints]]`). Every layer adds
    /// its rules to the ones below: a workspace can add stops, never remove one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checkpoints: Vec<CheckpointRule>,
    /// Commands run at session events (`[hooks]`), in Claude Code's `hooks` block shape: event
    /// name → matcher groups → handlers (see `hooks`), and `sandbox`. These are the user's
    /// own; a trusted workspace's are kept apart, in [`Config::imported_hooks`].
    #[serde(skip_serializing_if = "crate::hooks::HooksConfig::is_empty")]
    pub hooks: crate::hooks::HooksConfig,
    /// Also run the hooks of Claude Code's settings files: `~/.claude/settings.json`, and in a
    /// trusted workspace `.claude/settings.json` and `.claude/settings.local.json`.
    pub claude_hooks: bool,
    /// The hooks of a trusted workspace's `.gearshift/config.toml` and of Claude Code's
    /// settings files, by file (filled in by `load`; not a setting).
    #[serde(skip)]
    pub imported_hooks: Vec<crate::hooks::Source>,
    /// Claude Code settings files that could not be read (not a setting; said at start).
    #[serde(skip)]
    pub hook_problems: Vec<String>,
    /// MCP servers whose tools the model may use (`[mcp_servers.NAME]`, see `mcp::config`). A
    /// workspace's are privileged.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub mcp_servers: BTreeMap<String, crate::mcp::McpServerConfig>,
    /// The servers of a trusted workspace's `.mcp.json` (filled in by `load`; not a setting).
    #[serde(skip)]
    pub imported_mcp: BTreeMap<String, crate::mcp::McpServerConfig>,
    /// Also start the MCP servers of Claude Code's `~/.claude.json` (user scope and this
    /// workspace's project scope) and Codex's `~/.codex/config.toml`.
    pub import_mcp: bool,
    /// The servers found there, with where (filled in by `load`; not a setting).
    #[serde(skip)]
    pub foreign_mcp: BTreeMap<String, crate::mcp::foreign::Found>,
    /// `.mcp.json` problems, said at start (not a setting).
    #[serde(skip)]
    pub mcp_problems: Vec<String>,
    /// An untrusted workspace config that could not be applied, said at start (not a
    /// setting).
    #[serde(skip)]
    pub config_problems: Vec<String>,
}

impl Config {
    /// The environment the model's commands get from `env`, and the values to redact from
    /// what they print: every provider's key variable and what `[secrets]` removes.
    #[must_use]
    pub fn command_secrets(&self, env: &BTreeMap<String, String>) -> crate::tools::Secrets {
        // Telemetry's collector credentials are keys like a provider's, whatever
        // `[secrets] remove_env` says (a list a config may replace): its headers, and an
        // endpoint that carries a user, a password or a query.
        let otlp_headers = env.iter().filter_map(|(name, value)| {
            let rest = name.strip_prefix("OTEL_EXPORTER_OTLP_")?;
            let secret = rest.ends_with("HEADERS")
                || rest.ends_with("ENDPOINT") && (value.contains('@') || value.contains('?'));
            secret.then_some(name)
        });
        let key_vars: Vec<&str> = self
            .providers
            .values()
            .filter_map(|p| p.api_key_env.as_deref())
            .chain(otlp_headers.map(String::as_str))
            .collect();
        crate::tools::Secrets::new(env, &key_vars, &self.secrets)
    }

    /// Every MCP server in force, a name in several the later one's, in Claude Code's order
    /// of scopes: Codex's and Claude Code's user scope, a trusted `.mcp.json`, Claude Code's
    /// scope for this project, then `[mcp_servers]`.
    #[must_use]
    pub fn all_mcp_servers(&self) -> BTreeMap<String, crate::mcp::McpServerConfig> {
        let project = |f: &crate::mcp::foreign::Found| f.from.ends_with("(this project)");
        let foreign = |local: bool| {
            self.foreign_mcp
                .iter()
                .filter(move |(_, f)| project(f) == local)
                .map(|(n, f)| (n.clone(), f.config.clone()))
        };
        let mut all: BTreeMap<String, crate::mcp::McpServerConfig> = foreign(false).collect();
        all.extend(self.imported_mcp.clone());
        all.extend(foreign(true));
        all.extend(self.mcp_servers.clone());
        all
    }

    /// Every hook in force, compiled: `[hooks]` first, then the Claude Code files'. Its
    /// problems start with the files that could not be read.
    #[must_use]
    pub fn compiled_hooks(&self) -> crate::hooks::Hooks {
        let mut all = Vec::new();
        if !self.hooks.events.is_empty() {
            all.push(crate::hooks::Source {
                label: "config".into(),
                block: self.hooks.events.clone(),
                workspace: false,
            });
        }
        all.extend(self.imported_hooks.iter().cloned());
        let mut hooks = crate::hooks::Hooks::new(&all, self.hooks.sandbox);
        hooks
            .problems
            .splice(0..0, self.hook_problems.iter().cloned());
        hooks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_resolve_to_the_demo() {
        let cfg: Config = toml::from_str(DEFAULTS_TOML).unwrap();
        let p = cfg.active_provider().unwrap();
        assert!(p.is_demo);
        assert_eq!(p.kind, ProviderKind::Script);
        for preset in [
            "openai",
            "anthropic",
            "deepseek",
            "zhipu",
            "moonshot",
            "openrouter",
            "ollama",
            "vllm",
            "lmstudio",
        ] {
            let c = Config {
                provider: Some(preset.into()),
                ..cfg.clone()
            };
            let p = c.active_provider().unwrap();
            assert!(p.base_url.is_some(), "{preset}");
            assert!(p.context_window > 0, "{preset}");
        }
    }

    #[test]
    fn unknown_provider_names_the_known_ones() {
        let cfg: Config = toml::from_str(DEFAULTS_TOML).unwrap();
        let c = Config {
            provider: Some("nope".into()),
            ..cfg
        };
        let err = c.active_provider().unwrap_err().to_string();
        assert!(err.contains("`nope` is not defined"), "{err}");
        assert!(err.contains("openai"), "{err}");
    }
}
