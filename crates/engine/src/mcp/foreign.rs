//! The MCP servers a Claude Code or Codex user already set up, read from their own files so
//! they work in gearshift unchanged: Claude Code's `~/.claude.json` (`mcpServers` of the user
//! scope, and `projects.<this workspace>.mcpServers`, which `claude mcp add` writes for the
//! local scope) and Codex's `~/.codex/config.toml` (`[mcp_servers.NAME]`, its keys accepted as
//! they are). These are the user's files, so they are theirs to trust; `import_mcp = false`
//! leaves them out. A name with characters a tool name cannot hold (`my.time`) is sanitised as
//! Claude Code does (`my_time`), so the server keeps its tools.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::config::{McpServerConfig, expand, sanitize};
use crate::provided::{self, Party};

/// The largest such file read.
const MAX_READ: u64 = 16 * 1024 * 1024;

/// A server found, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub config: McpServerConfig,
    /// `~/.claude.json`, `~/.claude.json (this project)` or `~/.codex/config.toml`.
    pub from: &'static str,
}

#[derive(Deserialize, Default)]
struct ClaudeJson {
    #[serde(rename = "mcpServers", default)]
    servers: BTreeMap<String, McpServerConfig>,
    #[serde(default)]
    projects: BTreeMap<String, ClaudeProject>,
}

#[derive(Deserialize, Default)]
struct ClaudeProject {
    #[serde(rename = "mcpServers", default)]
    servers: BTreeMap<String, McpServerConfig>,
}

#[derive(Deserialize, Default)]
struct CodexConfig {
    #[serde(default)]
    mcp_servers: BTreeMap<String, McpServerConfig>,
}

/// Every server of the two files, Codex's first (Claude Code's project scope wins a name),
/// with each file that could not be read said.
#[must_use]
pub fn read(
    home: &Path,
    workspace: &Path,
    env: &BTreeMap<String, String>,
) -> (BTreeMap<String, Found>, Vec<String>) {
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    let mut add = |servers: BTreeMap<String, McpServerConfig>, from: &'static str| {
        for (name, mut config) in servers {
            for s in config
                .command
                .iter_mut()
                .chain(config.url.iter_mut())
                .chain(config.args.iter_mut())
                .chain(config.env.values_mut())
                .chain(config.headers.values_mut())
            {
                *s = expand(s, env);
            }
            out.insert(sanitize(&name), Found { config, from });
        }
    };
    let codex = home.join(".codex/config.toml");
    match provided::read(&codex, Party::User, MAX_READ) {
        Ok(text) => match toml::from_str::<CodexConfig>(&text) {
            Ok(c) => add(c.mcp_servers, "~/.codex/config.toml"),
            Err(e) => problems.push(format!(
                "~/.codex/config.toml: its MCP servers are not started: {e}"
            )),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => problems.push(format!("cannot read ~/.codex/config.toml: {e}")),
    }
    let claude = home.join(".claude.json");
    match provided::read(&claude, Party::User, MAX_READ) {
        Ok(text) => match serde_json::from_str::<ClaudeJson>(&text) {
            Ok(mut c) => {
                add(std::mem::take(&mut c.servers), "~/.claude.json");
                let canonical = workspace.canonicalize().ok();
                let here = c.projects.into_iter().find(|(p, _)| {
                    Path::new(p) == workspace
                        || canonical.as_deref().is_some_and(|w| Path::new(p) == w)
                });
                if let Some((_, project)) = here {
                    add(project.servers, "~/.claude.json (this project)");
                }
            }
            Err(e) => problems.push(format!(
                "~/.claude.json:{}:{}: its MCP servers are not started: {e}",
                e.line(),
                e.column()
            )),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => problems.push(format!("cannot read ~/.claude.json: {e}")),
    }
    (out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::config::valid_name;

    #[test]
    fn names_tools_cannot_carry_are_sanitised_as_claude_code_does() {
        assert_eq!(sanitize("my.time"), "my_time");
        assert_eq!(sanitize("github"), "github");
        assert_eq!(sanitize("a..b c"), "a_b_c");
        assert_eq!(sanitize("my-server (dev)"), "my-server_dev");
        assert!(valid_name(&sanitize(
            "@modelcontextprotocol/server-everything"
        )));
    }

    #[test]
    fn codex_keys_are_read_as_codex_means_them() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".codex")).unwrap();
        std::fs::write(
            home.path().join(".codex/config.toml"),
            "[mcp_servers.docs]\ncommand = \"docs-mcp\"\nenv_vars = [\"DOCS_TOKEN\"]\n\
             startup_timeout_ms = 20000\ntool_timeout_sec = 45\n\
             [mcp_servers.remote]\nurl = \"https://example.test/mcp\"\n\
             bearer_token_env_var = \"REMOTE_TOKEN\"\n",
        )
        .unwrap();
        let (found, problems) = read(home.path(), home.path(), &BTreeMap::new());
        assert!(problems.is_empty(), "{problems:?}");
        let docs = &found["docs"].config;
        assert_eq!(docs.startup_timeout(), std::time::Duration::from_secs(20));
        assert_eq!(docs.tool_timeout(), std::time::Duration::from_secs(45));
        assert_eq!(docs.env_vars, ["DOCS_TOKEN"]);
        assert_eq!(
            found["remote"].config.bearer_token_env.as_deref(),
            Some("REMOTE_TOKEN")
        );
        std::fs::write(home.path().join(".claude.json"), "{ not json").unwrap();
        let (_, problems) = read(home.path(), home.path(), &BTreeMap::new());
        assert!(problems[0].starts_with("~/.claude.json:1:"), "{problems:?}");
    }
}
