//! `gearshift skills`: every skill gearshift finds — name, where it comes from, its description
//! — with what is wrong with it, the files that could not be read as skills, the skills one
//! place shadows in another, and the pipelines that could not be loaded.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use super::Context;
use crate::pipeline::skill::{self, Roots};

pub fn run(ctx: &Context) -> anyhow::Result<ExitCode> {
    out!("{}", render(ctx)?);
    Ok(ExitCode::SUCCESS)
}

/// The report. Problems are listed, never fatal: a run that does not use a broken skill works.
pub fn render(ctx: &Context) -> anyhow::Result<String> {
    let home = ctx.env.get("HOME").map(PathBuf::from);
    let roots = Roots {
        config_dir: Some(&ctx.paths.config_dir),
        home: home.as_deref(),
        workspace: &ctx.workspace,
    };
    let found = skill::discover(roots);
    let mut out = String::new();
    writeln!(out, "# Skills ({})", found.skills.len())?;
    for s in found.skills.values() {
        let description: String = s.description.chars().take(100).collect();
        let more = if s.description.chars().count() > 100 {
            "…"
        } else {
            ""
        };
        writeln!(
            out,
            "{:<24} {:<9} {description}{more}",
            s.name,
            s.origin.label()
        )?;
        writeln!(out, "{:<24} {}", "", s.path.display())?;
        for w in &s.warnings {
            writeln!(out, "{:<24} warning: {w}", "")?;
        }
        let grants = crate::tools::grants::of(s);
        if !grants.patterns.is_empty() {
            writeln!(
                out,
                "{:<24} runs without asking when loaded: {}",
                "",
                grants.patterns.join(", ")
            )?;
        }
        for n in &grants.notes {
            writeln!(out, "{:<24} note: {n}", "")?;
        }
    }
    writeln!(out, "\n# Looked in (later places win)")?;
    for (dir, origin) in skill::places(roots) {
        let there = if dir.is_dir() { "" } else { " (not present)" };
        writeln!(out, "{:<9} {}{there}", origin.label(), dir.display())?;
    }
    let (_, pipeline_errors) =
        crate::pipeline::discover(Some(&ctx.paths.config_dir), &ctx.workspace, &found.skills);
    if !found.errors.is_empty() || !found.shadowed.is_empty() || !pipeline_errors.is_empty() {
        writeln!(out, "\n# Problems")?;
        for e in &found.errors {
            writeln!(out, "not loaded: {e}")?;
        }
        for s in &found.shadowed {
            writeln!(out, "{s}")?;
        }
        for e in &pipeline_errors {
            writeln!(out, "pipeline not loaded: {e}")?;
        }
    }
    Ok(out)
}
