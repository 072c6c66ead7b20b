//! The command line: argument definitions and dispatch. This is the program's edge, where
//! library errors become messages on stderr and exit codes (and the only place `anyhow` is used).

#[macro_use]
mod term;
mod args;
mod config_cmd;
mod demo_cmd;
mod doctor;
mod exec_cmd;
pub(crate) mod mcp_cmd;
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
use clap::Parser as _;

use crate::config::{ActiveProvider, LoadedConfig, Paths};
use crate::core::{self, ApprovalMode, OpenRequest, OpenedSession, SessionDeps};
use crate::store::Store;

pub use args::{
    Cli, Command, GlobalArgs, McpCommand, ModelsCommand, SessionArgs, SessionsCommand, TrustCommand,
};

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
        let flags = global.flags();
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
        let transcripts = Some(self.paths.transcript_dir());
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

pub(super) fn resolve_workspace(dir: Option<&Path>) -> anyhow::Result<PathBuf> {
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
    // These need no loaded config: the tour has a home of its own, the doctor looks at a
    // broken config rather than stopping at it.
    if let Some(done) = without_config(&cli) {
        return done;
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
        Some(
            Command::Demo | Command::Doctor { .. } | Command::Completions { .. } | Command::Man,
        ) => without_config(&cli).unwrap_or(Ok(ExitCode::SUCCESS)),
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

/// The commands that run before (or without) the config is loaded.
fn without_config(cli: &Cli) -> Option<anyhow::Result<ExitCode>> {
    Some(match &cli.command {
        Some(Command::Demo) => demo_cmd::run(&cli.global),
        Some(Command::Doctor {
            json,
            network,
            full,
        }) => doctor::run(
            &cli.global,
            *json,
            doctor::Depth {
                network: *network,
                full: *full,
            },
        ),
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "gearshift", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut page = Vec::new();
            if let Err(e) = clap_mangen::Man::new(cmd).render(&mut page) {
                return Some(Err(e.into()));
            }
            if let Err(e) = std::io::Write::write_all(&mut std::io::stdout(), &page) {
                return Some(Err(e.into()));
            }
            Ok(ExitCode::SUCCESS)
        }
        _ => return None,
    })
}
