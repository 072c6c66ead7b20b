//! The command line: argument definitions and dispatch. This is the program's edge, where
//! library errors become messages on stderr and exit codes (and the only place `anyhow` is used).

#[macro_use]
mod term;
mod agents_cmd;
mod args;
mod config_cmd;
mod demo_cmd;
mod doctor;
mod exec;
pub(crate) mod mcp_cmd;
mod models_cmd;
mod progress;
mod replay;
mod sessions_cmd;
mod skills_cmd;
mod stats_cmd;
mod telemetry_cmd;
mod trust_cmd;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;

use crate::config::Paths;
pub use crate::launch::{Context, StartedSession};

pub use args::{
    Cli, Command, GlobalArgs, McpCommand, ModelsCommand, SessionArgs, SessionsCommand,
    TelemetryCommand, TrustCommand,
};

/// Everything a command needs to start, from the command line's global flags.
pub fn context(global: &GlobalArgs) -> anyhow::Result<Context> {
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
        tap: None,
    })
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
    let mut ctx = context(&cli.global)?;
    match &cli.command {
        None if trust_cmd::ask_at_start(&ctx)? => ctx = context(&cli.global)?,
        Some(Command::Exec { .. }) => trust_cmd::warn_withheld(&ctx),
        _ => {}
    }
    let opens_a_session = matches!(cli.command, None | Some(Command::Exec { .. }));
    anyhow::ensure!(
        opens_a_session || (cli.session.resume.is_none() && !cli.session.continue_latest),
        "--continue and --resume choose the session of the workbench or of exec; this command \
         does not open one"
    );
    // Telemetry runs while a session does, and sends what waits when it ends.
    let telemetry = if opens_a_session {
        telemetry_cmd::start(&mut ctx)
    } else {
        None
    };
    let done = command(cli, &ctx);
    if let Some(telemetry) = telemetry {
        telemetry_cmd::stop(&telemetry);
    }
    done
}

fn command(cli: Cli, ctx: &Context) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(
            Command::Demo | Command::Doctor { .. } | Command::Completions { .. } | Command::Man,
        ) => without_config(&cli).unwrap_or(Ok(ExitCode::SUCCESS)),
        Some(Command::Config) => config_cmd::run(ctx),
        Some(Command::Skills) => skills_cmd::run(ctx),
        Some(Command::Agents) => agents_cmd::run(ctx),
        Some(Command::Models { command, json }) => match command {
            None => models_cmd::list(ctx, json),
            Some(ModelsCommand::Import { file, provider }) => {
                models_cmd::import(ctx, &file, &provider)
            }
        },
        Some(Command::Stats { since, by, json }) => stats_cmd::run(ctx, &since, by, json),
        Some(Command::Replay {
            id,
            json,
            run_commands,
        }) => replay::run(ctx, &id, json, run_commands),
        Some(Command::Sessions(cmd)) => sessions_cmd::run(ctx, &cmd),
        Some(Command::Trust(cmd)) => trust_cmd::run(ctx, &cmd),
        Some(Command::Mcp(cmd)) => mcp_cmd::run(ctx, &cmd),
        Some(Command::Telemetry(TelemetryCommand::Test)) => telemetry_cmd::test(ctx),
        Some(Command::Exec {
            prompt,
            json,
            approve_commands,
            approve_changes,
            approve_plan,
            approve_gates,
            approve_checkpoints,
        }) => exec::run(
            ctx,
            &prompt,
            &cli.session.request(),
            json,
            exec::Approvals {
                commands: approve_commands,
                changes: approve_changes,
                plan: approve_plan,
                gates: approve_gates,
                checkpoints: approve_checkpoints,
            },
        ),
        None => crate::tui::run(ctx, cli.session.request()),
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
