//! The command line's definition: every command, option and its help text (clap derives
//! the parser, the help, the completions and the man page from these types).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::core::OpenRequest;
use crate::protocol::Gear;

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

/// `gearshift --version`: the crate's version, the commit and the day it was built.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("GEARSHIFT_COMMIT"),
    ", built ",
    env!("GEARSHIFT_BUILD_DATE"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "gearshift",
    version = VERSION,
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

impl GlobalArgs {
    /// What the command-line layer of the config holds.
    #[must_use]
    pub fn flags(&self) -> crate::config::Flags {
        crate::config::Flags {
            provider: self.provider.clone(),
            model: self.model.clone(),
            base_url: self.base_url.clone(),
            gear: self.gear,
            theme: self.theme.clone(),
            trust_workspace: self.trust_workspace,
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
    /// Every subagent definition found (name, source, description, tools, model), with what
    /// was ignored in it, broken files and what one place shadows in another
    Agents,
    /// Tokens, cached share, cost, requests, errors and latency (p50/p95, time to first
    /// token) of model requests, from every stored session
    Stats {
        /// How far back: 7d, 24h, 30m, 2w, or a date such as 2026-11-01
        #[arg(long, default_value = "7d")]
        since: String,
        /// Group by model, provider, gear, stage or day
        #[arg(long, default_value = "model", value_parser = by_parser())]
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
    /// OpenTelemetry export to your team's collector (`[telemetry]`, the OTEL_* variables)
    #[command(subcommand)]
    Telemetry(TelemetryCommand),
    /// A guided tour in a scratch project with a scripted model: a tool call, a hunk review,
    /// a plan run step by step and a pipeline stage, without a key
    Demo,
    /// What works and what does not — terminal, sandbox, providers and keys, config and
    /// trust, hooks, skills, MCP servers, the database, disk — each line with its fix. Exit
    /// code 1 when something is broken, 0 with warnings only
    Doctor {
        /// One JSON object instead of lines
        #[arg(long)]
        json: bool,
        /// Also send each routed model one cheap authenticated request (short timeout)
        #[arg(long)]
        network: bool,
        /// Check every page of the database, however long it takes (by default the check
        /// stops after a moment on a large database and says so)
        #[arg(long)]
        full: bool,
    },
    /// Print a completion script for SHELL. Bash: `source <(gearshift completions bash)`;
    /// zsh: `gearshift completions zsh > ~/.zfunc/_gearshift`; fish: `gearshift completions
    /// fish > ~/.config/fish/completions/gearshift.fish`
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `gearshift man > ~/.local/share/man/man1/gearshift.1`
    Man,
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
pub enum TelemetryCommand {
    /// Send one metric, one event and one span to the collector, and say what it answered
    /// for each (exit code 1 when one was not taken)
    Test,
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

/// `--by`: the store's groupings, listed in help and completions.
fn by_parser() -> impl clap::builder::TypedValueParser<Value = crate::store::stats::By> {
    use crate::store::stats::By;
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(By::ALL.map(By::name)).try_map(|s| s.parse::<By>())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use std::path::Path;

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
