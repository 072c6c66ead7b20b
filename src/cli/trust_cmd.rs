//! Workspace trust from the command line: the question asked before the TUI starts, the
//! warning `exec` prints, and `gearshift trust show|grant|revoke|list`.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::ExitCode;

use super::{Context, TrustCommand};
use crate::config::{TrustStore, WorkspaceConfig};

/// The settings a workspace's config asks for and what each would do, one per line.
fn describe(config: &WorkspaceConfig) -> String {
    config
        .privileged
        .iter()
        .map(|p| {
            format!(
                "  {}:{}  {} = {}\n      {}\n",
                p.file.as_ref().unwrap_or(&config.path).display(),
                p.line,
                p.key,
                p.value,
                p.why
            )
        })
        .collect()
}

/// Before the TUI: when the workspace's config asks for privileged settings and the user has
/// not trusted it, ask once on the terminal. Returns whether trust was granted (the caller
/// then loads the configuration again).
pub fn ask_at_start(ctx: &Context) -> anyhow::Result<bool> {
    let Some(config) = &ctx.loaded.workspace else {
        return Ok(false);
    };
    if config.withheld().is_empty() || !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    // What the config asks for is the repository's text: it passes the sanitiser.
    let mut err = super::term::stderr();
    let changed = if config.changed_since_trusted {
        " It changed since you trusted this workspace."
    } else {
        ""
    };
    write!(
        err,
        "This workspace's config asks for settings that only you can grant.{changed}\n\n{}\n\
         Until you trust it, these are ignored and everything else in the file applies.\n\
         Trust this workspace (until its config changes)? [y/N] ",
        describe(config)
    )?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if !matches!(answer.trim(), "y" | "Y" | "yes") {
        writeln!(
            err,
            "Not trusted: starting without those settings (`gearshift trust grant` trusts it later)."
        )?;
        return Ok(false);
    }
    TrustStore::grant(&ctx.paths.trust_file, &ctx.workspace, &config.hash)?;
    Ok(true)
}

/// For `exec`: a warning naming what was withheld and how to apply it.
pub fn warn_withheld(ctx: &Context) {
    if let Some(config) = &ctx.loaded.workspace
        && !config.withheld().is_empty()
    {
        errout!(
            "gearshift: warning: the workspace is not trusted; these settings of its config were \
             ignored:\n{}gearshift: pass --trust-workspace to apply them for this run, or run \
             `gearshift trust grant`\n",
            describe(config)
        );
    }
}

/// The files of the workspace that trust covers and that exist, as shown.
fn covered(ws: &std::path::Path) -> Vec<String> {
    let mut files = vec![crate::config::Paths::project_config(ws)];
    files.extend(crate::hooks::claude::workspace_files(ws));
    files.push(ws.join(".mcp.json"));
    files
        .into_iter()
        .filter(|f| f.is_file())
        .map(|f| f.strip_prefix(ws).unwrap_or(&f).display().to_string())
        .collect()
}

pub fn run(ctx: &Context, cmd: &TrustCommand) -> anyhow::Result<ExitCode> {
    let ws = &ctx.workspace;
    let mut out = super::term::stdout(false);
    match cmd {
        TrustCommand::Show => {
            let recorded = TrustStore::load(&ctx.paths.trust_file)?;
            match &ctx.loaded.workspace {
                None => {
                    writeln!(
                        out,
                        "{} has no .gearshift/config.toml, Claude Code hooks or .mcp.json servers: \
                         there is nothing to trust.",
                        ws.display()
                    )?;
                    return Ok(ExitCode::SUCCESS);
                }
                Some(config) => {
                    let state = if config.trusted {
                        "trusted"
                    } else if config.changed_since_trusted {
                        "not trusted (it changed since you trusted it)"
                    } else {
                        "not trusted"
                    };
                    // Named by the files that are there: never a config file that is not.
                    writeln!(
                        out,
                        "{} ({}): {state}",
                        ws.display(),
                        covered(ws).join(", ")
                    )?;
                    if config.privileged.is_empty() {
                        writeln!(
                            out,
                            "It asks for nothing privileged: it applies in full either way."
                        )?;
                    } else {
                        writeln!(
                            out,
                            "Settings that apply only when trusted:\n{}",
                            describe(config)
                        )?;
                    }
                }
            }
            if let Some(entry) = recorded.get(ws) {
                writeln!(
                    out,
                    "Trusted on {} (config sha256 {}).",
                    crate::report::time(entry.trusted_at),
                    &entry.config_sha256[..entry.config_sha256.len().min(12)],
                )?;
            }
        }
        TrustCommand::Grant => {
            let hash = ctx.loaded.workspace.as_ref().map(|c| c.hash.clone());
            let Some(hash) = hash else {
                writeln!(
                    out,
                    "{} has nothing to trust (no .gearshift/config.toml, Claude Code hooks or \
                     .mcp.json servers); nothing was recorded.",
                    ws.display()
                )?;
                return Ok(ExitCode::SUCCESS);
            };
            TrustStore::grant(&ctx.paths.trust_file, ws, &hash)?;
            writeln!(
                out,
                "Trusted {} with its current {}; a change to any of them asks again.",
                ws.display(),
                covered(ws).join(", ")
            )?;
        }
        TrustCommand::Revoke => {
            if TrustStore::revoke(&ctx.paths.trust_file, ws)? {
                writeln!(out, "{} is no longer trusted.", ws.display())?;
            } else {
                writeln!(out, "{} was not trusted.", ws.display())?;
            }
        }
        TrustCommand::List => {
            let store = TrustStore::load(&ctx.paths.trust_file)?;
            if store.workspaces.is_empty() {
                writeln!(out, "no trusted workspaces")?;
            }
            for path in store.workspaces.keys() {
                writeln!(out, "{path}")?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
