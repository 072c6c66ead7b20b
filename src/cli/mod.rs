//! The command line: argument definitions and dispatch. This is the program's edge, where
//! library errors become messages on stderr and exit codes (and the only place `anyhow` is used).

#[macro_use]
mod term;
mod config_cmd;
mod demo_cmd;
mod exec_cmd;
mod mcp_cmd;
mod models_cmd;
mod progress;
mod replay;
mod sessions_cmd;
mod skills_cmd;
mod stats_cmd;
mod trust_cmd;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::config::{ActiveProvider, Flags, LoadedConfig, Paths};
use crate::core::{self, ApprovalMode, OpenRequest, OpenedSession, SessionDeps};
use crate::protocol::Gear;
use crate::store::Store;

const EXAMPLES: &str = "\
Examples:
  gearshift                              open the workbench in the current directory
  gearshift --workspace ~/src/app --gear plan
  gearshift --provider deepseek          use a preset (set DEEPSEEK_API_KEY first)
  gearshift --base-url http://127.0.0.1:8000/v1 --model qwen   any OpenAI-compatible server
  gearshift --continue                   reopen this workspace's latest session
  gearshift demo                         a guided tour with a scripted model (no key needed)
  gearshift exec 'explain src/main.rs'   one prompt, no TUI; --json for one event per line
  gearshift config                       show the resolved configuration and paths
  gearshift sessions list --all --json
  gearshift --home /tmp/gs sessions list everything under one directory";

#[derive(Debug, Parser)]
#[command(
    name = "gearshift",
    version,
    about = "A full-screen terminal workbench for coding with AI models.",
    long_about = "A full-screen terminal workbench for coding with AI models: chat and let the \
                  model edit (vibe), review an editable plan step by step (plan), or run a gated \
                  engineering pipeline (pipeline). Every session is saved and searchable.",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(flatten)]
    pub session: SessionArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command understands.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// The project directory the model works in [default: current directory]
    #[arg(long, short = 'w', global = true, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Keep config, database and logs under DIR instead of the standard locations
    #[arg(long, global = true, value_name = "DIR", env = "GEARSHIFT_HOME")]
    pub home: Option<PathBuf>,
    /// Provider to use: a preset (openai, anthropic, deepseek, zhipu, moonshot, openrouter,
    /// ollama, demo) or a [providers.NAME] from config
    #[arg(long, global = true, value_name = "NAME")]
    pub provider: Option<String>,
    /// Model name, overriding the provider's default
    #[arg(long, global = true, value_name = "NAME")]
    pub model: Option<String>,
    /// Base URL of the provider's API (without a provider: any OpenAI-compatible server)
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// The gear to start in
    #[arg(long, global = true, value_name = "GEAR", value_parser = parse_gear)]
    pub gear: Option<Gear>,
    /// UI theme: dark, light, high-contrast, or a theme file's name
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    /// Apply the workspace's .gearshift/config.toml in full for this run, without recording
    /// trust (without it, an untrusted workspace's config can only make gearshift stricter)
    #[arg(long, global = true)]
    pub trust_workspace: bool,
}

/// Which session the workbench (or `exec`) opens; before or after `exec` alike.
#[derive(Debug, Args, Clone, Default)]
pub struct SessionArgs {
    /// Resume the session with this ID (any unique prefix)
    #[arg(
        long,
        value_name = "ID",
        conflicts_with = "continue_latest",
        global = true
    )]
    pub resume: Option<String>,
    /// Resume the latest session of this workspace
    #[arg(long = "continue", short = 'c', global = true)]
    pub continue_latest: bool,
}

impl SessionArgs {
    /// The session to open.
    #[must_use]
    pub fn request(&self) -> OpenRequest {
        match (&self.resume, self.continue_latest) {
            (Some(id), _) => OpenRequest::Resume(id.clone()),
            (None, true) => OpenRequest::ContinueLatest,
            (None, false) => OpenRequest::New,
        }
    }
}

fn parse_gear(s: &str) -> Result<Gear, String> {
    s.parse()
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the resolved configuration and every path in use (never a secret)
    Config,
    /// Browse stored sessions
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// The model catalog: each model's window, output limit, prices, reasoning, API and the
    /// date of its figures; `models import FILE` reads the models.dev catalog into yours
    Models {
        #[command(subcommand)]
        command: Option<ModelsCommand>,
        /// One JSON array instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Every skill found (name, source, description), with warnings, broken files and what
    /// one place shadows in another
    Skills,
    /// Tokens, cached share, cost, requests, errors and latency (p50/p95, time to first
    /// token) of model requests, from every stored session
    Stats {
        /// How far back: 7d, 24h, 30m, 2w, or a date such as 2026-11-01
        #[arg(long, default_value = "7d")]
        since: String,
        /// Group by model, provider, gear, stage or day
        #[arg(long, value_enum, default_value_t = crate::store::stats::By::Model)]
        by: crate::store::stats::By,
        /// One JSON object instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Play a recorded session's model replies back through the scripted provider — the
    /// same tool calls — against a scratch copy of its workspace, without a key or network
    Replay {
        /// The session's ID or a unique prefix
        id: String,
        /// Print every event as one JSON object per line
        #[arg(long)]
        json: bool,
        /// Run the commands the original session ran (only those; in the sandbox, no network)
        #[arg(long)]
        run_commands: bool,
    },
    /// Show, grant or revoke trust in the workspace's .gearshift/config.toml
    #[command(subcommand)]
    Trust(TrustCommand),
    /// The MCP servers in force; add or remove one in your config
    #[command(subcommand)]
    Mcp(McpCommand),
    /// A guided tour in a scratch project with a scripted model: a tool call, a hunk review,
    /// a plan run step by step and a pipeline stage, without a key
    Demo,
    /// Run one prompt without the TUI and print the reply (the session is saved)
    Exec {
        /// The prompt; `-` reads it from standard input
        prompt: String,
        /// Print every event as one JSON object per line
        #[arg(long)]
        json: bool,
        /// Run the commands the model asks for (otherwise they are refused, and the model told)
        #[arg(long)]
        approve_commands: bool,
        /// Accept every hunk of edits that would wait for review (otherwise they are rejected,
        /// and the model told)
        #[arg(long)]
        approve_changes: bool,
        /// With --gear plan: approve the proposed plan whole and run it, accepting each
        /// step's changes (without it, exec prints the plan and exits with code 3)
        #[arg(long)]
        approve_plan: bool,
        /// With --gear pipeline: pass every human gate (the tasks' plan and every change
        /// approved); command gates must still pass
        #[arg(long)]
        approve_gates: bool,
        /// Pass [[checkpoints]] too: without it, a change or command at a checkpoint stops the
        /// run (exit code 3) for a human, whatever the other flags say
        #[arg(long)]
        approve_checkpoints: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List sessions, newest first (this workspace's unless --all)
    List {
        /// Every workspace's sessions
        #[arg(long)]
        all: bool,
        /// One JSON array instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Search the text of every session's messages, best match first
    Search {
        /// Words to find (all of them, anywhere in a message)
        query: String,
        /// Only this workspace's sessions
        #[arg(long)]
        here: bool,
        /// One JSON array instead of lines
        #[arg(long)]
        json: bool,
    },
    /// Print a session as Markdown (ID: any unique prefix)
    Show {
        id: String,
        /// List the files the session changed: which change, plan step and decision wrote each
        #[arg(long)]
        changes: bool,
        /// List every stop at a checkpoint (a [[checkpoints]] rule or a path only you write)
        /// and how it was decided
        #[arg(long, conflicts_with = "changes")]
        checkpoints: bool,
    },
    /// Write a session to a file or standard output
    Export {
        id: String,
        /// md: for reading; json: for `sessions import` on another machine
        #[arg(long, value_parser = ["md", "json"], default_value = "md")]
        format: String,
        /// Write here instead of standard output
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Import a session exported with `--format json` (keeps its ID)
    Import { file: PathBuf },
    /// Give a session a title
    Rename { id: String, title: String },
    /// Delete a session and everything of it (asks first on a terminal)
    Rm {
        /// The session's ID, or at least its first 4 characters
        id: String,
        /// Do not ask
        #[arg(short = 'y', long = "yes")]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Read models.dev's catalog (https://models.dev/api.json, saved to a file) into
    /// models.toml beside your config: its prices and limits patch the built-in catalog
    Import {
        file: PathBuf,
        /// A provider of the file to read (repeatable; default: the vendors gearshift has
        /// presets for, then OpenRouter)
        #[arg(long)]
        provider: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// Every MCP server in force (your config's, Claude Code's and Codex's, a trusted
    /// workspace's .mcp.json) — each started, within its startup timeout, to show its health,
    /// tools, resources and prompts — and the ones a workspace asks for until you trust it
    List {
        /// Only list them: start none
        #[arg(long)]
        offline: bool,
    },
    /// Add a server to your config: `gearshift mcp add NAME -- COMMAND ARGS…` (stdio) or
    /// `gearshift mcp add NAME --url URL` (streamable HTTP)
    Add {
        name: String,
        /// A streamable HTTP endpoint instead of a command
        #[arg(long)]
        url: Option<String>,
        /// An HTTP header, `NAME: VALUE` (repeatable)
        #[arg(long, value_name = "NAME: VALUE")]
        header: Vec<String>,
        /// The environment variable holding the bearer token (only its name is stored)
        #[arg(long, value_name = "VAR")]
        bearer_token_env: Option<String>,
        /// A variable for the server's environment, `KEY=VALUE` (repeatable)
        #[arg(long, value_name = "KEY=VALUE")]
        env: Vec<String>,
        /// The command and its arguments (after `--`)
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// Remove a server from your config
    Remove { name: String },
}

#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Whether this workspace is trusted, and what its config would change
    Show,
    /// Trust this workspace with its current config (a changed config asks again)
    Grant,
    /// Stop trusting this workspace
    Revoke,
    /// Every trusted workspace
    List,
}

/// Everything a command needs to start: where things are and what the user configured.
pub struct Context {
    pub paths: Paths,
    pub workspace: PathBuf,
    pub loaded: LoadedConfig,
    pub env: BTreeMap<String, String>,
}

impl Context {
    pub fn build(global: &GlobalArgs) -> anyhow::Result<Context> {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        let paths = Paths::resolve(global.home.as_deref(), None)?;
        let workspace = resolve_workspace(global.workspace.as_deref())?;
        let flags = Flags {
            provider: global.provider.clone(),
            model: global.model.clone(),
            base_url: global.base_url.clone(),
            gear: global.gear,
            theme: global.theme.clone(),
            trust_workspace: global.trust_workspace,
        };
        let loaded = crate::config::load(&paths, &workspace, &env, &flags)?;
        Ok(Context {
            paths,
            workspace,
            loaded,
            env,
        })
    }
}

/// A session ready to run: everything checked and opened, nothing drawn yet.
pub struct StartedSession {
    pub provider: ActiveProvider,
    pub store: Store,
    pub opened: OpenedSession,
    pub deps: SessionDeps,
    /// Keeps the log writer alive; logs are flushed when it drops.
    pub log: Option<tracing_appender::non_blocking::WorkerGuard>,
}

impl Context {
    /// Resolves the provider (and its key), opens the store and the session, and starts
    /// logging. Every failure here is a message, before any terminal set-up.
    pub fn start_session(
        &self,
        request: &OpenRequest,
        approval_mode: ApprovalMode,
    ) -> anyhow::Result<StartedSession> {
        let config = &self.loaded.config;
        let provider = config.active_provider()?;
        let client = crate::provider::client_for(
            &provider,
            &|var| self.env.get(var).cloned(),
            &self.workspace,
        )?;
        let log = crate::logging::init(&self.paths.log_dir);
        let store = Store::open(&self.paths.db_file)?;
        let opened = core::open_session(
            &store,
            &store.reader()?,
            &self.workspace_str(),
            &provider,
            config.gear,
            request,
        )?;
        tracing::info!(session = %opened.state.id, resumed = opened.resumed, "session opened");
        let deps = SessionDeps::new(
            store.clone(),
            client,
            provider.clone(),
            config,
            &self.workspace,
            approval_mode,
        )?
        .protecting(&self.paths.own());
        let transcripts = self.paths.db_file.parent().map(|d| d.join("transcripts"));
        let deps = SessionDeps {
            transcripts,
            config_dir: Some(self.paths.config_dir.clone()),
            home_dir: self.env.get("HOME").map(PathBuf::from),
            switch: Some(self.model_switch()),
            ..deps
        };
        Ok(StartedSession {
            provider,
            store,
            opened,
            deps,
            log,
        })
    }

    /// How the session switches models mid-run: any configured provider, with any model,
    /// its key from this process's environment.
    fn model_switch(&self) -> core::ModelSwitch {
        let config = self.loaded.config.clone();
        let env = self.env.clone();
        let workspace = self.workspace.clone();
        std::sync::Arc::new(move |provider: &str, model: &str| {
            let active = config
                .provider_named(provider, Some(model))
                .map_err(|e| e.to_string())?;
            let client =
                crate::provider::client_for(&active, &|var| env.get(var).cloned(), &workspace)
                    .map_err(|e| e.to_string())?;
            Ok((active, client))
        })
    }

    /// The workspace as stored in session records.
    #[must_use]
    pub fn workspace_str(&self) -> String {
        self.workspace.to_string_lossy().into_owned()
    }
}

fn resolve_workspace(dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    let dir = match dir {
        Some(d) => d.to_path_buf(),
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    let canonical = dir
        .canonicalize()
        .with_context(|| format!("workspace {} does not exist", dir.display()))?;
    anyhow::ensure!(
        canonical.is_dir(),
        "workspace {} is not a directory",
        canonical.display()
    );
    Ok(canonical)
}

/// Parses arguments, runs the command and turns errors into one clear line on stderr.
#[must_use]
pub fn main() -> ExitCode {
    // Not dumpable: no other process of this user — a command the model runs included — can
    // read this process's memory or /proc/PID/environ, where the API keys are.
    let _ = nix::sys::prctl::set_dumpable(false);
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            errln!("gearshift: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // The tour has a workspace and a home of its own.
    if matches!(cli.command, Some(Command::Demo)) {
        return demo_cmd::run(&cli.global);
    }
    let mut ctx = Context::build(&cli.global)?;
    match &cli.command {
        None if trust_cmd::ask_at_start(&ctx)? => ctx = Context::build(&cli.global)?,
        Some(Command::Exec { .. }) => trust_cmd::warn_withheld(&ctx),
        _ => {}
    }
    let opens_a_session = matches!(cli.command, None | Some(Command::Exec { .. }));
    anyhow::ensure!(
        opens_a_session || (cli.session.resume.is_none() && !cli.session.continue_latest),
        "--continue and --resume choose the session of the workbench or of exec; this command \
         does not open one"
    );
    match cli.command {
        Some(Command::Demo) => demo_cmd::run(&cli.global),
        Some(Command::Config) => config_cmd::run(&ctx),
        Some(Command::Skills) => skills_cmd::run(&ctx),
        Some(Command::Models { command, json }) => match command {
            None => models_cmd::list(&ctx, json),
            Some(ModelsCommand::Import { file, provider }) => {
                models_cmd::import(&ctx, &file, &provider)
            }
        },
        Some(Command::Stats { since, by, json }) => stats_cmd::run(&ctx, &since, by, json),
        Some(Command::Replay {
            id,
            json,
            run_commands,
        }) => replay::run(&ctx, &id, json, run_commands),
        Some(Command::Sessions(cmd)) => sessions_cmd::run(&ctx, &cmd),
        Some(Command::Trust(cmd)) => trust_cmd::run(&ctx, &cmd),
        Some(Command::Mcp(cmd)) => mcp_cmd::run(&ctx, &cmd),
        Some(Command::Exec {
            prompt,
            json,
            approve_commands,
            approve_changes,
            approve_plan,
            approve_gates,
            approve_checkpoints,
        }) => exec_cmd::run(
            &ctx,
            &prompt,
            &cli.session.request(),
            json,
            exec_cmd::Approvals {
                commands: approve_commands,
                changes: approve_changes,
                plan: approve_plan,
                gates: approve_gates,
                checkpoints: approve_checkpoints,
            },
        ),
        None => crate::tui::run(&ctx, &cli.session),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn resume_and_continue_conflict() {
        let err = Cli::try_parse_from(["gearshift", "--resume", "ab", "--continue"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
    }

    #[test]
    fn exec_takes_continue_and_resume_before_or_after_it() {
        for args in [
            &["gearshift", "--continue", "exec", "go on"][..],
            &["gearshift", "exec", "--continue", "go on"][..],
        ] {
            let cli = Cli::try_parse_from(args).unwrap();
            assert_eq!(
                cli.session.request(),
                OpenRequest::ContinueLatest,
                "{args:?}"
            );
        }
        let cli = Cli::try_parse_from(["gearshift", "exec", "--resume", "ab12", "go"]).unwrap();
        assert_eq!(cli.session.request(), OpenRequest::Resume("ab12".into()));
        let err = Cli::try_parse_from(["gearshift", "exec", "--resume", "ab", "--continue", "x"])
            .unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
    }

    #[test]
    fn global_flags_work_after_subcommands() {
        let cli =
            Cli::try_parse_from(["gearshift", "sessions", "list", "--home", "/tmp/h"]).unwrap();
        assert_eq!(cli.global.home.as_deref(), Some(Path::new("/tmp/h")));
        let err = Cli::try_parse_from(["gearshift", "--gear", "turbo"]).unwrap_err();
        assert!(err.to_string().contains("vibe, plan or pipeline"));
    }
}
