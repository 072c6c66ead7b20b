//! `gearshift agents`: every subagent definition gearshift finds — name, where it comes from,
//! its description, the tools it asks for and its model — with what was ignored in it, the
//! files that could not be read as agents, and the agents one place shadows in another.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use super::Context;
use crate::agents::{self, Roots};

pub fn run(ctx: &Context) -> anyhow::Result<ExitCode> {
    out!("{}", render(ctx)?);
    Ok(ExitCode::SUCCESS)
}

/// The report. Problems are listed, never fatal.
pub fn render(ctx: &Context) -> anyhow::Result<String> {
    let home = ctx.env.get("HOME").map(PathBuf::from);
    let roots = Roots {
        config_dir: Some(&ctx.paths.config_dir),
        home: home.as_deref(),
        workspace: &ctx.workspace,
    };
    let found = agents::discover(roots);
    let mut out = String::new();
    writeln!(out, "# Agents ({})", found.agents.len())?;
    for a in found.agents.values() {
        let flat = a
            .description
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let mut description: String = flat.chars().take(100).collect();
        if flat.chars().count() > 100 {
            description.push('…');
        }
        writeln!(out, "{:<20} {:<9} {description}", a.name, a.origin.label())?;
        writeln!(out, "{:<20} {}", "", a.path.display())?;
        let tools = a
            .tools
            .as_ref()
            .map_or_else(|| "its parent's".to_string(), |t| t.join(", "));
        let model = a.model.as_deref().unwrap_or("its parent's");
        writeln!(out, "{:<20} tools: {tools} · model: {model}", "")?;
        if !a.disallowed.is_empty() {
            writeln!(out, "{:<20} never: {}", "", a.disallowed.join(", "))?;
        }
        for w in &a.warnings {
            writeln!(out, "{:<20} warning: {w}", "")?;
        }
    }
    writeln!(
        out,
        "\nAn agent never gets a tool its parent lacks, and its approvals come to you."
    )?;
    writeln!(out, "\n# Looked in (later places win)")?;
    for (dir, origin) in agents::places(roots) {
        let there = if dir.is_dir() { "" } else { " (not present)" };
        writeln!(out, "{:<9} {}{there}", origin.label(), dir.display())?;
    }
    if !found.errors.is_empty() || !found.shadowed.is_empty() {
        writeln!(out, "\n# Problems")?;
        for e in &found.errors {
            writeln!(out, "not loaded: {e}")?;
        }
        for s in &found.shadowed {
            writeln!(out, "{s}")?;
        }
    }
    Ok(out)
}
