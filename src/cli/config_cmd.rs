//! `gearshift config`: the resolved configuration, where it came from, and every path in use.
//! API keys are only ever reported as "set" or "not set".

use std::fmt::Write as _;
use std::process::ExitCode;

use super::Context;
use crate::config::Paths;

pub fn run(ctx: &Context) -> anyhow::Result<ExitCode> {
    let (text, ok) = render(ctx)?;
    out!("{text}");
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The report, and whether the configuration is usable.
pub fn render(ctx: &Context) -> anyhow::Result<(String, bool)> {
    let mut out = String::new();
    let paths = &ctx.paths;
    let exists = |p: &std::path::Path| if p.exists() { "" } else { " (not present)" };
    let project = Paths::project_config(&ctx.workspace);
    writeln!(out, "# Paths")?;
    if let Some(home) = &paths.home {
        writeln!(out, "home:           {}", home.display())?;
    }
    writeln!(out, "workspace:      {}", ctx.workspace.display())?;
    writeln!(
        out,
        "user config:    {}{}",
        paths.config_file.display(),
        exists(&paths.config_file)
    )?;
    writeln!(
        out,
        "project config: {}{}",
        project.display(),
        exists(&project)
    )?;
    writeln!(
        out,
        "database:       {}{}",
        paths.db_file.display(),
        exists(&paths.db_file)
    )?;
    writeln!(out, "trust record:   {}", paths.trust_file.display())?;
    writeln!(out, "logs:           {}", paths.log_dir.display())?;
    writeln!(out, "exports:        {}", paths.export_dir.display())?;

    writeln!(out, "\n# Layers, lowest first")?;
    for layer in &ctx.loaded.layers {
        writeln!(out, "- {layer}")?;
    }
    for problem in &ctx.loaded.config.config_problems {
        writeln!(out, "- warning: {problem}")?;
    }

    writeln!(out, "\n# Active provider")?;
    let ok = match ctx.loaded.config.active_provider() {
        Ok(p) => {
            writeln!(
                out,
                "provider: {}{} (kind {})",
                p.name,
                if p.is_demo { " — DEMO, offline" } else { "" },
                p.kind.as_str()
            )?;
            writeln!(out, "model:    {}", p.model)?;
            if let Some(url) = &p.base_url {
                writeln!(out, "base_url: {url}")?;
            }
            writeln!(
                out,
                "context:  {} tokens, output up to {}",
                p.context_window, p.max_output_tokens
            )?;
            match &p.api_key_env {
                Some(var) => {
                    let state = if ctx.env.get(var).is_some_and(|v| !v.is_empty()) {
                        "set"
                    } else {
                        "NOT SET"
                    };
                    writeln!(out, "api key:  ${var} is {state}")?;
                }
                None => writeln!(out, "api key:  none needed")?,
            }
            true
        }
        Err(e) => {
            writeln!(out, "problem:  {e}")?;
            false
        }
    };

    writeln!(
        out,
        "\n# Resolved configuration (a config.toml needs only what it changes)"
    )?;
    out.push_str(&toml::to_string_pretty(&ctx.loaded.config)?);
    Ok((out, ok))
}
