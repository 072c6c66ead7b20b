//! What the user set up: the workspace's trust, hooks, skills, agents, MCP servers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Check;
use crate::config::{LoadedConfig, Paths};

/// The longest the doctor waits for an MCP server (its own startup timeout when shorter).
const MCP_WAIT: Duration = Duration::from_secs(5);

pub(super) fn trust(out: &mut Vec<Check>, loaded: &LoadedConfig) {
    let Some(ws) = &loaded.workspace else {
        return;
    };
    let withheld = ws.withheld().len();
    if ws.trusted {
        out.push(Check::ok(
            "trust",
            format!(
                "the workspace's settings are trusted ({})",
                ws.path.display()
            ),
        ));
    } else if ws.changed_since_trusted {
        out.push(Check::warn(
            "trust",
            format!("the workspace's settings changed since you trusted them; {withheld} privileged setting(s) withheld"),
            "look with `gearshift trust show`, then `gearshift trust grant`",
        ));
    } else if withheld > 0 {
        out.push(Check::warn(
            "trust",
            format!(
                "{withheld} privileged setting(s) of this workspace are withheld until you trust it"
            ),
            "look with `gearshift trust show`, then `gearshift trust grant` if they are yours",
        ));
    }
    for p in &loaded.config.config_problems {
        out.push(Check::warn(
            "config",
            p.clone(),
            "correct the workspace's file, or ignore it: the rest works",
        ));
    }
}

pub(super) fn hooks(out: &mut Vec<Check>, loaded: &LoadedConfig) {
    let hooks = loaded.config.compiled_hooks();
    let n = hooks.all().count();
    if n > 0 {
        out.push(Check::ok(
            "hooks",
            format!("{n} hook(s) in force (`/hooks` lists them)"),
        ));
    }
    for p in &hooks.problems {
        out.push(Check::warn("hooks", p.clone(), "see docs/hooks.md"));
    }
}

pub(super) fn skills(
    out: &mut Vec<Check>,
    paths: &Paths,
    env: &BTreeMap<String, String>,
    workspace: &Path,
) {
    let home = env.get("HOME").map(PathBuf::from);
    let found = crate::pipeline::skill::discover(crate::pipeline::skill::Roots {
        config_dir: Some(&paths.config_dir),
        home: home.as_deref(),
        workspace,
    });
    out.push(Check::ok(
        "skills",
        format!(
            "{} skill(s) found (`gearshift skills` lists them)",
            found.skills.len()
        ),
    ));
    for e in &found.errors {
        out.push(Check::warn(
            "skills",
            format!("not loaded: {e}"),
            "correct the file at the line it names (`gearshift skills` lists every skill)",
        ));
    }
    for s in found.skills.values() {
        for w in &s.warnings {
            out.push(Check::warn(
                "skills",
                format!("{}: {w}", s.name),
                format!("edit {}", s.path.display()),
            ));
        }
    }
}

pub(super) fn agents(
    out: &mut Vec<Check>,
    (paths, loaded): (&Paths, &LoadedConfig),
    env: &BTreeMap<String, String>,
    workspace: &Path,
) {
    let home = env.get("HOME").map(PathBuf::from);
    let found = crate::agents::discover(crate::agents::Roots {
        config_dir: Some(&paths.config_dir),
        home: home.as_deref(),
        workspace,
    });
    out.push(Check::ok(
        "agents",
        format!(
            "{} agent definition(s) found (`gearshift agents` lists them)",
            found.agents.len()
        ),
    ));
    for e in &found.errors {
        out.push(Check::warn(
            "agents",
            format!("not loaded: {e}"),
            "correct the file at the line it names (`gearshift agents` lists every agent)",
        ));
    }
    // The reviewers `[review]` names must be agents there are.
    let review = &loaded.config.review;
    for (key, name) in [
        ("reviewer", &review.reviewer),
        ("security_reviewer", &review.security_reviewer),
    ] {
        match name {
            Some(name) if !found.agents.contains_key(name) => out.push(Check::warn(
                "agents",
                format!("[review] {key} names `{name}`, which is not an agent: changes are not reviewed by it"),
                "name one `gearshift agents` lists (the built-in `reviewer`, `security-reviewer`)",
            )),
            Some(name) => out.push(Check::ok(
                "agents",
                format!("[review] {key}: `{name}` reviews each change waiting for your review"),
            )),
            None => {}
        }
    }
    for a in found.agents.values() {
        for w in &a.warnings {
            out.push(Check::warn(
                "agents",
                format!("{}: {w}", a.name),
                format!("edit {}", a.path.display()),
            ));
        }
    }
}

pub(super) fn mcp(
    out: &mut Vec<Check>,
    loaded: &LoadedConfig,
    env: &BTreeMap<String, String>,
    workspace: &Path,
) {
    let config = &loaded.config;
    for p in &config.mcp_problems {
        out.push(Check::warn("mcp", p.clone(), "correct the file it names"));
    }
    let mut servers = config.all_mcp_servers();
    servers.retain(|_, s| s.enabled);
    if servers.is_empty() {
        return;
    }
    for s in servers.values_mut() {
        let wait = s.startup_timeout().min(MCP_WAIT);
        s.startup_timeout = Some(wait.as_secs_f64());
        s.startup_timeout_ms = None;
    }
    for (name, said) in crate::cli::mcp_cmd::start_each(&servers, env, config, workspace) {
        match said {
            Ok(line) => out.push(Check::ok("mcp", format!("{name}: {line}"))),
            Err(e) => out.push(Check::broken("mcp", format!("{name}: {e}"), format!("check its command or URL (`gearshift mcp list`), or `enabled = false` for {name}"))),
        }
    }
}

/// Whether telemetry is on, and where it would go (`gearshift telemetry test` asks the
/// collector itself).
pub(super) fn telemetry(
    out: &mut Vec<Check>,
    loaded: &LoadedConfig,
    env: &BTreeMap<String, String>,
) {
    let t = loaded.config.telemetry;
    if !t.enabled {
        out.push(Check::ok(
            "telemetry",
            "off: nothing about your use leaves this machine",
        ));
        return;
    }
    let options = gearshift_telemetry::Options {
        log_user_prompts: t.log_user_prompts,
        log_tool_details: t.log_tool_details,
    };
    match gearshift_telemetry::Settings::from_env(options, &|v| env.get(v).cloned()) {
        Ok(s) => {
            let to: Vec<String> = gearshift_telemetry::Signal::ALL
                .into_iter()
                .map(|signal| {
                    if s.exported[signal as usize] {
                        format!("{} to {}", signal.as_str(), s.endpoint(signal))
                    } else {
                        format!("{} off", signal.as_str())
                    }
                })
                .collect();
            out.push(Check::ok(
                "telemetry",
                format!(
                    "on: {}{}; `gearshift telemetry test` asks the collector",
                    to.join(", "),
                    match (t.log_user_prompts, t.log_tool_details) {
                        (false, false) => "",
                        (true, false) => "; prompt text is sent",
                        (false, true) => "; tool arguments are sent",
                        (true, true) => "; prompt text and tool arguments are sent",
                    }
                ),
            ));
        }
        Err(e) => out.push(Check::warn(
            "telemetry",
            format!("{e}: sessions run without telemetry"),
            "set it to grpc, http/protobuf or http/json (docs/telemetry.md)",
        )),
    }
}
