//! `gearshift mcp list|add|remove`: the MCP servers in force, and edits to `[mcp_servers]` of
//! the user's config (as `claude mcp` and `codex mcp` do), keeping its comments and layout.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;

use super::{Context, McpCommand};
use crate::mcp::McpServerConfig;
use crate::mcp::config::{Transport, valid_name};

pub fn run(ctx: &Context, cmd: &McpCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        McpCommand::List { offline } => list(ctx, *offline),
        McpCommand::Add {
            name,
            url,
            header,
            bearer_token_env,
            env,
            command,
        } => {
            let server = McpServerConfig {
                command: command.first().cloned(),
                args: command.iter().skip(1).cloned().collect(),
                env: pairs(env, '=')?,
                url: url.clone(),
                headers: pairs(header, ':')?,
                bearer_token_env: bearer_token_env.clone(),
                ..McpServerConfig::default()
            };
            add(ctx, name, &server)
        }
        McpCommand::Remove { name } => remove(ctx, name),
    }
}

fn pairs(
    items: &[String],
    sep: char,
) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    items
        .iter()
        .map(|item| {
            item.split_once(sep)
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .with_context(|| format!("`{item}` is not KEY{sep}VALUE"))
        })
        .collect()
}

fn list(ctx: &Context, offline: bool) -> anyhow::Result<ExitCode> {
    let config = &ctx.loaded.config;
    let mut out = super::term::stdout(false);
    let servers = config.all_mcp_servers();
    if servers.is_empty() {
        writeln!(
            out,
            "No MCP servers. Add one: gearshift mcp add NAME -- COMMAND ARGS…  or  gearshift mcp \
             add NAME --url URL"
        )?;
    }
    let health = if offline {
        std::collections::BTreeMap::new()
    } else {
        health(ctx, &servers)
    };
    for (name, s) in &servers {
        let foreign = config.foreign_mcp.get(name);
        let from = if config.mcp_servers.contains_key(name) {
            "config"
        } else if let Some(f) = foreign.filter(|f| f.from.ends_with("(this project)")) {
            f.from
        } else if config.imported_mcp.contains_key(name) {
            ".mcp.json"
        } else {
            foreign.map_or("?", |f| f.from)
        };
        let how = match s.transport() {
            Ok(Transport::Stdio { command }) => {
                let mut line = format!("stdio: {command}");
                for a in &s.args {
                    line.push(' ');
                    line.push_str(a);
                }
                line
            }
            Ok(Transport::Http { url }) => format!("http: {url}"),
            Err(e) => format!("⚠ {e}"),
        };
        let off = if s.enabled { "" } else { " (disabled)" };
        writeln!(out, "{name}{off}  {how}  [{from}]")?;
        if let Some(said) = health.get(name) {
            writeln!(out, "  {said}")?;
        }
    }
    for p in &config.mcp_problems {
        writeln!(out, "⚠ {p}")?;
    }
    if let Some(ws) = &ctx.loaded.workspace {
        for p in ws
            .withheld()
            .iter()
            .filter(|p| p.key.starts_with("mcpServers."))
        {
            writeln!(
                out,
                "{}  {}  [.mcp.json: not started until you trust this workspace: gearshift \
                 trust grant]",
                p.key.trim_start_matches("mcpServers."),
                p.value
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One line of health per enabled server.
fn health(
    ctx: &Context,
    servers: &std::collections::BTreeMap<String, McpServerConfig>,
) -> std::collections::BTreeMap<String, String> {
    start_each(servers, &ctx.env, &ctx.loaded.config, &ctx.workspace)
        .into_iter()
        .map(|(name, said)| match said {
            Ok(line) => (name, format!("✓ {line}")),
            Err(e) => (name, format!("✗ {e}")),
        })
        .collect()
}

/// Each enabled server started at once (each within its startup timeout), asked for what it
/// offers, and stopped: what it offers, or why it did not start.
pub(super) fn start_each(
    servers: &std::collections::BTreeMap<String, McpServerConfig>,
    env: &std::collections::BTreeMap<String, String>,
    config: &crate::config::Config,
    workspace: &std::path::Path,
) -> Vec<(String, Result<String, String>)> {
    let server_env = crate::mcp::client::ServerEnv {
        base: config.command_secrets(env).env,
        full: env.clone(),
        helper: gearshift_sandbox::this_binary(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let why = format!("not started: no async runtime ({e})");
            return servers
                .keys()
                .map(|n| (n.clone(), Err(why.clone())))
                .collect();
        }
    };
    let checks = servers.iter().filter(|(_, s)| s.enabled).map(|(name, s)| {
        let server_env = server_env.clone();
        async move {
            let said = match crate::mcp::client::connect(s, workspace, &server_env).await {
                Ok(c) => {
                    let line = ready_line(name, &c);
                    c.stop();
                    Ok(line)
                }
                Err(e) => Err(crate::safe_text::visible(&e).into_owned()),
            };
            (name.clone(), said)
        }
    });
    runtime.block_on(futures::future::join_all(checks))
}

/// `ready — 5 tools: a, b, …; 2 resources (@NAME:URI); 1 prompt: /mcp__NAME__p`.
fn ready_line(name: &str, c: &crate::mcp::client::Connection) -> String {
    let tools: Vec<&str> = c.tools.iter().map(|t| t.name.as_str()).collect();
    let mut line = format!("ready — {}", count(tools.len(), "tool"));
    if !tools.is_empty() {
        line.push_str(&format!(": {}", tools.join(", ")));
    }
    if !c.resources.is_empty() {
        line.push_str(&format!(
            "; {} (@{name}:URI)",
            count(c.resources.len(), "resource")
        ));
    }
    if !c.prompts.is_empty() {
        let prompts: Vec<String> = c
            .prompts
            .iter()
            .map(|p| format!("/mcp__{name}__{}", p.name))
            .collect();
        line.push_str(&format!(
            "; {}: {}",
            count(prompts.len(), "prompt"),
            prompts.join(", ")
        ));
    }
    crate::safe_text::visible(&line).into_owned()
}

fn count(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The user's config as an editable document (an empty one when there is none yet).
fn document(ctx: &Context) -> anyhow::Result<toml_edit::DocumentMut> {
    let path = &ctx.paths.config_file;
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    text.parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))
}

fn save(ctx: &Context, doc: &toml_edit::DocumentMut) -> anyhow::Result<()> {
    let path = &ctx.paths.config_file;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, doc.to_string())?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

fn add(ctx: &Context, name: &str, server: &McpServerConfig) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        valid_name(name),
        "`{name}`: a server's name is letters, digits, `-` and `_` (no `__`), at most 32"
    );
    server.transport().map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut doc = document(ctx)?;
    let servers = doc
        .entry("mcp_servers")
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            toml_edit::Item::Table(t)
        })
        .as_table_mut()
        .context("`mcp_servers` in your config is not a table")?;
    anyhow::ensure!(
        !servers.contains_key(name),
        "an MCP server `{name}` is already configured (gearshift mcp remove {name} first)"
    );
    // The entry, written through the same schema the config is read with.
    let text = toml::to_string(server)?;
    let entry: toml_edit::DocumentMut = text.parse()?;
    let mut table = entry.as_table().clone();
    table.set_implicit(false);
    servers.insert(name, toml_edit::Item::Table(table));
    save(ctx, &doc)?;
    writeln!(
        super::term::stdout(false),
        "Added MCP server `{name}` to {}; it starts with the next session.",
        ctx.paths.config_file.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn remove(ctx: &Context, name: &str) -> anyhow::Result<ExitCode> {
    let mut doc = document(ctx)?;
    let removed = doc
        .get_mut("mcp_servers")
        .and_then(toml_edit::Item::as_table_mut)
        .and_then(|t| t.remove(name))
        .is_some();
    if !removed {
        let in_json = ctx.loaded.config.imported_mcp.contains_key(name);
        anyhow::bail!(
            "no MCP server `{name}` in {}{}",
            ctx.paths.config_file.display(),
            if in_json {
                " (it comes from the workspace's .mcp.json: edit that file)"
            } else {
                ""
            }
        );
    }
    save(ctx, &doc)?;
    writeln!(
        super::term::stdout(false),
        "Removed MCP server `{name}` from {}.",
        ctx.paths.config_file.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
