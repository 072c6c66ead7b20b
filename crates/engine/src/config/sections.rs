//! The settings sections of the config that are plain values: notifications, the sandbox,
//! files, context, review, the agent loop, keys, approvals and the pipeline.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::SandboxMode;

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
    /// The agent that reviews each change waiting for the human's review, its findings shown
    /// on the hunks (`reviewer`, the built-in one, or one of yours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
    /// A second reviewing agent, for security (`security-reviewer`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_reviewer: Option<String>,
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

/// Subagents (`task` calls).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AgentsConfig {
    /// The `task` calls of one reply that run at once; the others wait for a place.
    pub max_parallel: u32,
    /// Plan steps marked independent run at the same time (up to `max_parallel`), each in
    /// a git worktree of its own.
    pub parallel_steps: bool,
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

/// `[telemetry]`: OpenTelemetry export of usage, cost, decisions and traces to the user's
/// collector (the `OTEL_*` variables say where and how). Only the user's own config sets it:
/// a workspace's `[telemetry]` is refused whether trusted or not, so a cloned repository never
/// sends a team's usage elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// Export at all (also switched on by `GEARSHIFT_ENABLE_TELEMETRY=1`).
    pub enabled: bool,
    /// Send the prompt's text with `gearshift.user_prompt` (its length is always sent).
    pub log_user_prompts: bool,
    /// Send tool arguments (a command's text, a file's path) with tool events.
    pub log_tool_details: bool,
}
