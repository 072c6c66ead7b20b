//! The doctor's checks, in the order a user reads them: the terminal, the config and its
//! trust, providers and keys, the sandbox, hooks, skills, agents, MCP servers, telemetry, the
//! database, the disk.
//! Each looks without changing anything (the database is opened read-only; MCP servers are
//! started and stopped, as `gearshift mcp list` does).

use std::collections::BTreeMap;

use super::{Check, Depth, providers, sandbox, setup, store, terminal};
use crate::cli::GlobalArgs;
use crate::config::Paths;

pub fn all(global: &GlobalArgs, env: &BTreeMap<String, String>, depth: Depth) -> Vec<Check> {
    let mut out = Vec::new();
    terminal::terminal(&mut out, env);
    // `--home` already holds `GEARSHIFT_HOME` (clap reads it), as for every command.
    let paths = match Paths::resolve(global.home.as_deref(), None) {
        Ok(p) => p,
        Err(e) => {
            out.push(Check::broken(
                "paths",
                format!("no place for gearshift's files: {e}"),
                "set HOME, or give --home DIR",
            ));
            return out;
        }
    };
    let workspace = match crate::cli::resolve_workspace(global.workspace.as_deref()) {
        Ok(w) => w,
        Err(e) => {
            out.push(Check::broken(
                "workspace",
                format!("{e:#}"),
                "run gearshift in a project folder, or give --workspace DIR",
            ));
            return out;
        }
    };
    let flags = global.flags();
    match crate::config::load(&paths, &workspace, env, &flags) {
        Ok(loaded) => {
            let config = &paths.config_file;
            out.push(Check::ok(
                "config",
                if config.exists() {
                    format!("{} read", config.display())
                } else {
                    format!(
                        "{} does not exist: the defaults are in force (`gearshift config` prints them)",
                        config.display()
                    )
                },
            ));
            setup::trust(&mut out, &loaded);
            providers::providers(&mut out, &loaded, env, &workspace, depth.network);
            sandbox::sandbox(&mut out, &loaded, &workspace);
            setup::hooks(&mut out, &loaded);
            setup::skills(&mut out, &paths, env, &workspace);
            setup::agents(&mut out, (&paths, &loaded), env, &workspace);
            setup::mcp(&mut out, &loaded, env, &workspace);
            setup::telemetry(&mut out, &loaded, env);
        }
        Err(e) => out.push(Check::broken(
            "config",
            e.to_string(),
            format!(
                "correct the line it names in {}, or move the file aside to start from the \
                 defaults; the checks that need the config are skipped",
                paths.config_file.display()
            ),
        )),
    }
    store::database(&mut out, &paths.db_file, depth.full);
    store::disk(&mut out, &paths.db_file);
    out
}
