//! Configuration: the schema, its built-in defaults and the resolved view the program uses.
//!
//! Layers, lowest first: built-in defaults (`assets/default-config.toml`) < the user's
//! `config.toml` < the workspace's `.gearshift/config.toml` < environment < command-line flags.
//! Every layer is a patch that names only what it changes; [`load`] merges them. API keys are
//! never part of the configuration: a provider names the environment variable that holds its
//! key, and only that name is ever printed or stored.

mod load;
pub mod models;
pub mod models_dev;
mod overrides;
mod paths;
mod route;
pub mod trust;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::fsutil::files_in;
pub use crate::tools::checkpoints::CheckpointRule;
pub use crate::tools::secrets::SecretsConfig;
pub use gearshift_sandbox::SandboxMode;
pub use load::{Flags, Layer, LoadedConfig, from_layers, load, parse_file};
pub use paths::Paths;
pub use route::{Route, RouteTable, Routing, Target};
pub use trust::{Privileged, TrustStore, WorkspaceConfig};

use crate::protocol::Gear;
use crate::protocol::reasoning::{Effort, ReasoningRequest, ReasoningStyle};

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
    pub review: ReviewConfig,
    pub context: ContextConfig,
    pub pipeline: PipelineConfig,
    pub sandbox: SandboxConfig,
    pub secrets: SecretsConfig,
    pub files: FilesConfig,
    pub notify: NotifyConfig,
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
        let key_vars: Vec<&str> = self
            .providers
            .values()
            .filter_map(|p| p.api_key_env.as_deref())
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

/// How gearshift calls you back when it waits for you and its terminal is not focused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    pub method: NotifyMethod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NotifyMethod {
    /// The bell and an OSC 9 desktop notification (iTerm2, WezTerm, Ghostty, kitty, Windows
    /// Terminal).
    #[default]
    Osc9,
    /// The bell and an OSC 777 notification (foot, urxvt, VTE terminals).
    Osc777,
    /// The bell only.
    Bell,
    Off,
}

/// How the model's commands are confined (Linux: Landlock, plus a mount namespace that keeps
/// `.git` and gearshift's config read-only, plus a seccomp filter for the network).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    pub mode: SandboxMode,
    /// Whether commands may open network connections.
    pub network: bool,
    /// What commands can never read (`~` is the home folder): credential stores by default.
    pub deny_read: Vec<String>,
    /// Unix sockets commands may connect to with the network off (`~/.docker/run/docker.sock`);
    /// none by default, and then no Unix socket can be opened at all.
    pub allow_unix_sockets: Vec<String>,
}

/// The user's credential stores (and shell histories, where typed secrets stay): no command
/// reads them (`[sandbox] deny_read`).
pub const DEFAULT_DENY_READ: [&str; 28] = [
    "~/.ssh",
    "~/.aws",
    "~/.gnupg",
    "~/.netrc",
    "~/.git-credentials",
    "~/.config/git/credentials",
    "~/.config/gh",
    "~/.config/github-copilot",
    "~/.config/hub",
    "~/.config/gcloud",
    "~/.azure",
    "~/.docker/config.json",
    "~/.config/containers/auth.json",
    "~/.kube",
    "~/.npmrc",
    "~/.pypirc",
    "~/.cargo/credentials.toml",
    "~/.cargo/credentials",
    "~/.terraform.d/credentials.tfrc.json",
    "~/.vault-token",
    "~/.pgpass",
    "~/.claude/.credentials.json",
    "~/.codex/auth.json",
    "~/.bash_history",
    "~/.zsh_history",
    "~/.local/share/fish/fish_history",
    "~/.python_history",
    "~/.config/gearshift",
];

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            mode: SandboxMode::default(),
            network: false,
            deny_read: DEFAULT_DENY_READ.iter().map(ToString::to_string).collect(),
            allow_unix_sockets: Vec::new(),
        }
    }
}

impl SandboxConfig {
    /// `deny_read` with `~` expanded against `home`.
    #[must_use]
    pub fn denied(&self, home: Option<&Path>) -> Vec<PathBuf> {
        expand_all(&self.deny_read, home)
    }

    /// `allow_unix_sockets` with `~` expanded against `home`.
    #[must_use]
    pub fn sockets(&self, home: Option<&Path>) -> Vec<PathBuf> {
        expand_all(&self.allow_unix_sockets, home)
    }
}

fn expand_all(paths: &[String], home: Option<&Path>) -> Vec<PathBuf> {
    paths
        .iter()
        .filter_map(|p| match (p.strip_prefix("~/"), home) {
            (Some(rest), Some(home)) => Some(home.join(rest)),
            (Some(_), None) => None,
            (None, _) if p == "~" => home.map(Path::to_path_buf),
            (None, _) => Some(PathBuf::from(p)),
        })
        .collect()
}

/// What the model's file tools may touch besides the always-protected paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct FilesConfig {
    /// `.env` files (`.env`, `.env.local`, …) are written only through a human's review.
    pub protect_env: bool,
    /// Allow reading files with more than one hard link (a link may point at a file outside).
    pub read_hard_links: bool,
}

/// When the context window's fill warns and compacts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ContextConfig {
    /// Fraction of the window (request plus the reply's reserve) at which the UI warns.
    pub warn_at: f64,
    /// Fraction at which older turns are summarised before the next request; 0 turns
    /// automatic compaction off (an over-full request is still refused, never sent).
    pub compact_at: f64,
}

/// How proposed edits are reviewed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewConfig {
    /// Unchanged lines shown around each hunk.
    pub context_lines: u32,
    /// In the vibe gear: `apply` writes edits at once (undoable); `review` gates them like the
    /// plan and pipeline gears do.
    pub vibe: VibeEdits,
    /// The plan gear ends each new plan with a step that proposes AGENTS.md updates for what
    /// the plan changed (memory upkeep; reject or delete the step to skip it).
    pub memory_step: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum VibeEdits {
    #[default]
    Apply,
    Review,
}

/// The agent loop's limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AgentConfig {
    /// Model requests with tool calls one prompt may lead to before gearshift stops the turn.
    pub max_tool_rounds: u32,
    /// Seconds a command may run before its process group is killed.
    pub command_timeout: f64,
    /// Bytes `read_file` returns before it cuts.
    pub read_max_bytes: usize,
    /// The most a single reply may stream before it is stopped (the model's own output limit,
    /// with a margin, stops it earlier).
    pub max_reply_bytes: usize,
}

/// The wire format a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// OpenAI-compatible Chat Completions.
    #[default]
    Openai,
    /// Anthropic Messages.
    Anthropic,
    /// OpenAI's Responses API (`POST /responses`): the codex models, and any model a user
    /// sends there.
    #[serde(rename = "openai-responses")]
    OpenaiResponses,
    /// A scripted conversation played from a file (tests, bug reports, the demo).
    Script,
}

impl ProviderKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Openai => "openai",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::OpenaiResponses => "openai-responses",
            ProviderKind::Script => "script",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The environment variable holding the API key (never the key itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// The default model for this provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Other models it serves, offered by the model picker (`/model`) besides `model`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u32>,
    /// US dollars per million input tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_price: Option<f64>,
    /// US dollars per million output tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_price: Option<f64>,
    /// US dollars per million cached input tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_input_price: Option<f64>,
    /// US dollars per million input tokens written to the prompt cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_write_price: Option<f64>,
    /// How this provider's API asks for reasoning and takes it back, for every model it
    /// serves (a gateway's own form); unset: the model's, from the catalog.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_style: Option<ReasoningStyle>,
    /// How hard models should think: off, minimal, low, medium, high, max (unset: the API's
    /// default; for Anthropic, no thinking).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Effort>,
    /// Anthropic: thinking tokens, overriding the effort's budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_budget: Option<u32>,
    /// Split `<think>…</think>` at the start of replies into reasoning (R1-style models on
    /// vLLM, Ollama, Together).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub think_tags: Option<bool>,
    /// Send `max_completion_tokens` instead of `max_tokens`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<bool>,
    /// For `kind = "script"`: the script file to play (the built-in demo when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<PathBuf>,
    /// Seconds to wait for a connection (default 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_timeout: Option<f64>,
    /// Seconds from sending a request to the response headers (default 120).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_timeout: Option<f64>,
    /// Seconds of silence after which a stream is abandoned (default 90).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<f64>,
    /// Retries on 429, 5xx and connection errors before any output (default 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
}

/// One key or several for an action: `quit = "ctrl+q"` or `quit = ["ctrl+q", "f10"]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyBinding {
    One(String),
    Many(Vec<String>),
}

impl KeyBinding {
    #[must_use]
    pub fn keys(&self) -> Vec<&str> {
        match self {
            KeyBinding::One(k) => vec![k.as_str()],
            KeyBinding::Many(ks) => ks.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ApprovalsConfig {
    /// Commands the model may run without asking, matched against the parsed command (see
    /// `tools::command`): `cargo test` exactly, or `git status *` with any further arguments.
    pub allow_commands: Vec<String>,
    /// External tools (MCP servers') the model may call without asking, by name or glob:
    /// `mcp__docs__search`, `mcp__docs__*`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_tools: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_command: Option<String>,
    pub max_verify_rounds: u32,
}

/// The provider gearshift will talk to, with everything filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveProvider {
    pub name: String,
    pub kind: ProviderKind,
    pub base_url: Option<String>,
    pub api_key_env: Option<String>,
    pub model: String,
    pub context_window: u32,
    pub max_output_tokens: u32,
    pub settings: ProviderConfig,
    /// True for the offline demo, which the UI labels DEMO.
    pub is_demo: bool,
    /// Prices in US dollars per million tokens, the model's where the catalog knows them.
    pub prices: Prices,
    /// What requests ask of the model's reasoning and how they carry it back.
    pub reasoning: ReasoningRequest,
    pub think_tags: bool,
    /// Whether the catalog (or `[models]`) knows the model; if not, the provider's figures
    /// stand in, and the session says so once.
    pub in_catalog: bool,
    /// The catalog entry the figures were inferred from, when the model's own name is not in
    /// it (`gpt-5` for `gpt-5.7`): said once.
    pub inferred_from: Option<String>,
}

/// US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Prices {
    pub input: Option<f64>,
    pub output: Option<f64>,
    pub cached_input: Option<f64>,
    pub cache_write: Option<f64>,
}

/// The model name of the guided tour's provider (`gearshift demo`): the workbench greets it
/// with the tour's first step instead of the plain demo's notice.
pub const TOUR_MODEL: &str = "tour";

impl ActiveProvider {
    /// The guided tour's scripted model (`gearshift demo`).
    #[must_use]
    pub fn is_tour(&self) -> bool {
        self.is_demo && self.model == TOUR_MODEL
    }

    /// `provider/model`, which reasoning is tagged with.
    #[must_use]
    pub fn source(&self) -> String {
        format!("{}/{}", self.name, self.model)
    }

    /// One line for a model the catalog does not know, naming the figures used instead.
    #[must_use]
    pub fn unknown_model_notice(&self) -> Option<String> {
        if self.kind == ProviderKind::Script {
            return None;
        }
        if let Some(entry) = &self.inferred_from {
            return Some(format!(
                "model `{}` is not in gearshift's catalog by its own name: its figures (context \
                 window {}, max output {}, prices) are inferred from `{entry}`; correct them \
                 with [models.\"{}\"] in config.toml, or `gearshift models import`",
                self.model, self.context_window, self.max_output_tokens, self.model
            ));
        }
        if self.in_catalog {
            return None;
        }
        Some(format!(
            "model `{}` is not in gearshift's catalog: using {}'s figures (context window {}, \
             max output {}, {}); correct them with [models.\"{}\"] in config.toml",
            self.model,
            self.name,
            self.context_window,
            self.max_output_tokens,
            if self.prices.input.is_some() {
                "its prices"
            } else {
                "no prices, so its cost shows as —"
            },
            self.model
        ))
    }
}

/// Used when neither the preset nor the user names a context window.
const FALLBACK_CONTEXT_WINDOW: u32 = 128_000;
const FALLBACK_MAX_OUTPUT: u32 = 8_192;

impl Config {
    /// Resolves the provider to use, or says what to fix.
    pub fn active_provider(&self) -> Result<ActiveProvider, ConfigError> {
        let name = self.provider.clone().unwrap_or_else(|| "demo".to_string());
        self.provider_named(&name, self.model.as_deref())
    }

    /// The provider `name` with `model` (its configured model when `None`), with the
    /// catalog's figures — what a switch of model mid-session resolves.
    pub fn provider_named(
        &self,
        name: &str,
        model: Option<&str>,
    ) -> Result<ActiveProvider, ConfigError> {
        let name = name.to_string();
        let settings = self.providers.get(&name).cloned().ok_or_else(|| {
            let known: Vec<&str> = self.providers.keys().map(String::as_str).collect();
            ConfigError::Invalid(format!(
                "provider `{name}` is not defined; known providers: {}. Add a [providers.{name}] \
                 section to your config.toml or pick one of those",
                known.join(", ")
            ))
        })?;
        let model = model
            .map(str::to_string)
            .or_else(|| settings.model.clone())
            .ok_or_else(|| {
                ConfigError::Invalid(format!(
                    "no model set for provider `{name}`; set `model = \"…\"` in config.toml, \
                     [providers.{name}] model, or pass --model"
                ))
            })?;
        if settings.kind != ProviderKind::Script && settings.base_url.is_none() {
            return Err(ConfigError::Invalid(format!(
                "provider `{name}` has no base_url; set [providers.{name}] base_url or pass --base-url"
            )));
        }
        let found = models::lookup(&self.models, &model);
        let in_catalog = found.is_some();
        let inferred_from = found
            .as_ref()
            .filter(|f| f.how == models::Match::Inferred)
            .map(|f| f.entry.clone());
        // A model OpenAI serves by the Responses API only goes there, unless a gateway
        // serves it under its own name; so does a codex model the catalog only guesses at
        // (`gpt-5.4-codex` inferred from `gpt-5.4`): every codex model is served there only.
        let kind = match &found {
            Some(f)
                if settings.kind == ProviderKind::Openai
                    && !f.via_gateway
                    && (f.facts.api == Some(models::Api::Responses)
                        || (f.how == models::Match::Inferred && model.contains("codex"))) =>
            {
                ProviderKind::OpenaiResponses
            }
            _ => settings.kind,
        };
        let f = found.map(|f| f.facts).unwrap_or_default();
        let style = match kind {
            ProviderKind::Anthropic => match settings.reasoning_style.or(f.reasoning_style) {
                Some(ReasoningStyle::AnthropicAdaptive) => ReasoningStyle::AnthropicAdaptive,
                _ => ReasoningStyle::Anthropic,
            },
            ProviderKind::Script => ReasoningStyle::None,
            ProviderKind::Openai | ProviderKind::OpenaiResponses => {
                match settings.reasoning_style.or(f.reasoning_style) {
                    // Anthropic's forms need the Messages API.
                    Some(ReasoningStyle::Anthropic | ReasoningStyle::AnthropicAdaptive) | None => {
                        ReasoningStyle::None
                    }
                    Some(s) => s,
                }
            }
        };
        Ok(ActiveProvider {
            is_demo: name == "demo" && settings.kind == ProviderKind::Script,
            kind,
            base_url: settings.base_url.clone(),
            api_key_env: settings.api_key_env.clone(),
            context_window: f
                .context_window
                .or(settings.context_window)
                .unwrap_or(FALLBACK_CONTEXT_WINDOW),
            max_output_tokens: f
                .max_output_tokens
                .or(settings.max_output_tokens)
                .unwrap_or(FALLBACK_MAX_OUTPUT),
            prices: Prices {
                input: f.input_price.or(settings.input_price),
                output: f.output_price.or(settings.output_price),
                cached_input: f.cached_input_price.or(settings.cached_input_price),
                cache_write: f.cache_write_price.or(settings.cache_write_price),
            },
            reasoning: ReasoningRequest {
                style,
                effort: f.reasoning.or(settings.reasoning),
                budget: f.reasoning_budget.or(settings.reasoning_budget),
                max_completion_tokens: f
                    .max_completion_tokens
                    .or(settings.max_completion_tokens)
                    .unwrap_or(false),
            },
            think_tags: f.think_tags.or(settings.think_tags).unwrap_or(false),
            in_catalog,
            inferred_from,
            model,
            settings,
            name,
        })
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
