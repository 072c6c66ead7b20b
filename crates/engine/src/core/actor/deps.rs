//! What a session actor needs besides its state: the store, the model client, the tools and
//! the policies from the configuration.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use gearshift_sandbox as sandbox;
use gearshift_sandbox::Sandbox;

use super::{BYTES_PER_OUTPUT_TOKEN, MIN_REPLY_CAP};
use crate::config::{ActiveProvider, Config, PipelineConfig, VibeEdits};
use crate::core::machine::{ApprovalMode, ApprovalPolicy};
use crate::protocol::Gear;
use crate::provider::ModelClient;
use crate::store::Store;
use crate::tools;
use crate::tools::command::Allowlist;
use crate::tools::{CommandRunner, Guard, Registry, ToolContext, ToolLimits, Workspace, Writes};

/// Why a session cannot start.
#[derive(Debug, thiserror::Error)]
pub enum DepsError {
    #[error("cannot open the workspace {0}: {1}")]
    Workspace(String, std::io::Error),
    #[error("{0}")]
    Config(String),
}

/// Resolves a provider and model to a ready client, for a switch mid-session; the error says
/// why it cannot (a provider not configured, its key missing).
pub type ModelSwitch =
    Arc<dyn Fn(&str, &str) -> Result<(ActiveProvider, Arc<dyn ModelClient>), String> + Send + Sync>;

/// What a session actor needs besides its state.
#[derive(Clone)]
pub struct SessionDeps {
    pub store: Store,
    pub client: Arc<dyn ModelClient>,
    pub provider: ActiveProvider,
    pub tools: Arc<ToolContext>,
    /// `[approvals] allow_commands`, compiled: commands that run without asking (only while the
    /// sandbox is in force).
    pub allowlist: Allowlist,
    /// Whether skills' `allowed-tools` may pre-approve commands (a replay asks for every one).
    pub skill_grants: bool,
    /// Whether the verify stage may run the test command (a replay runs it only with
    /// `--run-commands`, never for an imported session).
    pub run_tests: bool,
    /// Who approves commands and decides proposed changes: the human, or headless flags.
    pub policy: ApprovalPolicy,
    /// Whether the vibe gear writes edits at once or proposes them for review.
    pub vibe_edits: VibeEdits,
    /// `[review] memory_step`.
    pub memory_step: bool,
    pub context_lines: u32,
    pub max_tool_rounds: u32,
    /// `[agents] max_parallel`: subagents running at once.
    pub max_parallel: usize,
    /// `[agents] parallel_steps`: independent plan steps work at once, in worktrees.
    pub parallel_steps: bool,
    /// `[review] reviewer` and `security_reviewer`: the agents that review each change
    /// waiting for the human.
    pub reviewers: Vec<String>,
    /// Fill of the window at which older turns are compacted first (0: never automatically).
    pub compact_at: f64,
    /// `[agent] max_reply_bytes`.
    pub max_reply_bytes: usize,
    pub pipeline: PipelineConfig,
    /// The user's config dir, where their skills and pipelines live.
    pub config_dir: Option<std::path::PathBuf>,
    /// The user's home, where other agents keep skills (`~/.claude/skills`, `~/.agents/skills`)
    /// and global memory files.
    pub home_dir: Option<std::path::PathBuf>,
    /// How to switch models mid-session (`None`: the model is fixed for this run).
    pub switch: Option<ModelSwitch>,
    /// `[routing]`: which model serves each gear, step, stage and compaction.
    pub routing: crate::config::Routing,
    /// `[[checkpoints]]`, compiled: what stops for a human in every gear (the file tools
    /// read the same rules from the workspace).
    pub checkpoints: Arc<tools::checkpoints::Checkpoints>,
    /// `[hooks]` and Claude Code's settings files' hooks, compiled (with what of them could
    /// not be loaded, said at start).
    pub hooks: Arc<crate::hooks::Hooks>,
    /// The MCP servers to start (`[mcp_servers]` and a trusted `.mcp.json`), and why a
    /// `.mcp.json` could not be read (said at start).
    pub mcp_servers: std::collections::BTreeMap<String, crate::mcp::McpServerConfig>,
    pub mcp_problems: Vec<String>,
    /// An untrusted workspace config that could not be applied, said at start.
    pub config_problems: Vec<String>,
    /// The environment MCP servers start with (theirs: the user configured them), and where
    /// their bearer tokens are read.
    pub mcp_env: crate::mcp::client::ServerEnv,
    /// `[approvals] allow_tools`, compiled: external tools that run without asking.
    pub allowed_tools: globset::GlobSet,
    /// Where the sessions' transcripts for hooks are written (`transcript_path`); `None`: no
    /// transcript (and none is written when no hook is configured).
    pub transcripts: Option<std::path::PathBuf>,
    /// A human drives the session from the workbench (their quit ends it); `exec` and tests
    /// are not.
    pub interactive: bool,
    /// What else hears every event (telemetry), when something does; subagents' sessions
    /// inherit it.
    pub tap: Option<Arc<dyn crate::protocol::tap::Tap>>,
}

/// `[approvals] allow_tools` as globs over tool names; a bad pattern is an error naming it.
fn allowed_tools(patterns: &[String]) -> Result<globset::GlobSet, DepsError> {
    let mut set = globset::GlobSetBuilder::new();
    for p in patterns {
        let glob = globset::Glob::new(p)
            .map_err(|e| DepsError::Config(format!("[approvals] allow_tools `{p}`: {e}")))?;
        set.add(glob);
    }
    set.build()
        .map_err(|e| DepsError::Config(format!("[approvals] allow_tools: {e}")))
}

impl SessionDeps {
    /// Everything from the configuration; the workspace must exist. Commands get this
    /// process's environment, scrubbed of keys; the sandbox helper is this binary when it is
    /// gearshift (see [`SessionDeps::with_sandbox_helper`]).
    pub fn new(
        store: Store,
        client: Arc<dyn ModelClient>,
        provider: ActiveProvider,
        config: &Config,
        workspace: &Path,
        approval_mode: ApprovalMode,
    ) -> Result<SessionDeps, DepsError> {
        let agent = &config.agent;
        let checkpoints = Arc::new(
            tools::checkpoints::Checkpoints::new(&config.checkpoints).map_err(DepsError::Config)?,
        );
        let limits = ToolLimits {
            // Validated ranges (config::validate); the floors only guard a hand-built Config.
            read_max_bytes: agent.read_max_bytes.max(1024),
            command_timeout: Duration::from_secs_f64(agent.command_timeout.clamp(1.0, 86_400.0)),
            ..ToolLimits::default()
        };
        let hooks = config.compiled_hooks();
        // What a hook runs is the user's: the model writes it only through their review.
        let mut hook_files: Vec<std::path::PathBuf> = Vec::new();
        for h in hooks.all() {
            for f in crate::hooks::reach::named_files(&h.command, workspace) {
                if !hook_files.contains(&f) {
                    hook_files.push(f);
                }
            }
        }
        let ws = Workspace::new(workspace)
            .map_err(|e| DepsError::Workspace(workspace.display().to_string(), e))?
            .with_guard(Guard {
                protect_env: config.files.protect_env,
                read_hard_links: config.files.read_hard_links,
                own: Vec::new(),
                hooks: tools::protect::hook_folders(workspace),
                hook_files: hook_files.clone(),
            })
            .with_checkpoints(checkpoints.clone());
        let env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
        let home = env.get("HOME").map(std::path::PathBuf::from);
        let mut sandbox = Sandbox::for_workspace(
            config.sandbox.mode,
            config.sandbox.network,
            ws.root(),
            &[],
            sandbox::this_binary(),
        )
        .denying(&config.sandbox.denied(home.as_deref()))
        .with_unix_sockets(
            config.sandbox.sockets(home.as_deref()),
            sandbox::socket_dirs(env.get("XDG_RUNTIME_DIR").map(Path::new)),
        );
        // Readable (a confined hook runs them) but never written by a command.
        sandbox
            .policy
            .protected
            .extend(hook_files.iter().map(|f| ws.root().join(f)));
        Ok(SessionDeps {
            store,
            client,
            provider,
            tools: Arc::new(ToolContext {
                workspace: ws,
                limits,
                runner: CommandRunner {
                    sandbox,
                    secrets: config.command_secrets(&env),
                },
                registry: Registry::builtin(),
                skills: Arc::default(),
                one_command: Arc::default(),
            }),
            allowlist: Allowlist::new(&config.approvals.allow_commands)
                .map_err(DepsError::Config)?,
            skill_grants: true,
            run_tests: true,
            policy: ApprovalPolicy {
                commands: approval_mode,
                changes: approval_mode,
                ..ApprovalPolicy::ASK
            },
            vibe_edits: config.review.vibe,
            memory_step: config.review.memory_step,
            context_lines: config.review.context_lines,
            max_tool_rounds: agent.max_tool_rounds.max(1),
            max_parallel: usize::try_from(config.agents.max_parallel.clamp(1, 16)).unwrap_or(1),
            parallel_steps: config.agents.parallel_steps,
            reviewers: config
                .review
                .reviewer
                .iter()
                .chain(&config.review.security_reviewer)
                .cloned()
                .collect(),
            compact_at: config.context.compact_at,
            max_reply_bytes: agent.max_reply_bytes.max(64 * 1024),
            pipeline: config.pipeline.clone(),
            config_dir: None,
            home_dir: None,
            switch: None,
            routing: config.routing.clone(),
            checkpoints,
            mcp_servers: config.all_mcp_servers(),
            mcp_problems: config.mcp_problems.clone(),
            config_problems: config.config_problems.clone(),
            mcp_env: crate::mcp::client::ServerEnv {
                base: config.command_secrets(&env).env,
                full: env.clone(),
                helper: sandbox::this_binary(),
            },
            allowed_tools: allowed_tools(&config.approvals.allow_tools)?,
            hooks: Arc::new(hooks),
            transcripts: None,
            interactive: false,
            tap: None,
        })
    }

    /// Runs commands through `helper` (a gearshift binary), or unconfined with `None`.
    #[must_use]
    pub fn with_sandbox_helper(mut self, helper: Option<std::path::PathBuf>) -> SessionDeps {
        self.mcp_env.helper.clone_from(&helper);
        Arc::make_mut(&mut self.tools).runner.sandbox.helper = helper;
        self
    }

    /// gearshift's own files (config, database, trust record): if they lie inside the
    /// workspace, the model's tools never write them and its commands see them read-only.
    #[must_use]
    pub fn protecting(mut self, own: &[std::path::PathBuf]) -> SessionDeps {
        let tools = Arc::make_mut(&mut self.tools);
        let root = tools.workspace.root().to_path_buf();
        let mut guard = tools.workspace.guard().clone();
        // A directory holding the workspace is represented by its files, not by itself.
        guard.own = own
            .iter()
            .filter(|p| !root.starts_with(p))
            .filter_map(|p| p.strip_prefix(&root).ok().map(Path::to_path_buf))
            .collect();
        tools.workspace = tools.workspace.clone().with_guard(guard);
        tools.runner.sandbox = tools.runner.sandbox.clone().denying(own);
        let policy = &mut tools.runner.sandbox.policy;
        for p in own {
            let writable = policy.writable.iter().any(|w| p.starts_with(w));
            if writable && !root.starts_with(p) && !policy.protected.contains(p) {
                policy.protected.push(p.clone());
            }
        }
        self
    }

    /// The most one reply may stream: the configured cap, or less when the model's output
    /// limit says a real reply cannot be that long.
    #[must_use]
    pub fn reply_cap(&self) -> usize {
        let by_model = usize::try_from(self.provider.max_output_tokens)
            .unwrap_or(usize::MAX)
            .saturating_mul(BYTES_PER_OUTPUT_TOKEN)
            .max(MIN_REPLY_CAP);
        self.max_reply_bytes.min(by_model)
    }

    /// Whether write tools write or propose in this gear. Every gear but vibe gates edits;
    /// vibe does when `[review] vibe = "review"`.
    #[must_use]
    pub fn writes(&self, gear: Gear) -> Writes {
        if gear == Gear::Vibe && self.vibe_edits == VibeEdits::Apply {
            Writes::Apply
        } else {
            Writes::Propose
        }
    }
}
