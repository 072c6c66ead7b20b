//! `[mcp_servers.NAME]` and Claude Code's `.mcp.json`: one shape for both.
//!
//! A server is a program speaking MCP on stdio (`command`, `args`, `env`, `cwd`) or a
//! streamable HTTP endpoint (`url`, `headers`, a bearer token read from an environment
//! variable). Field names follow Codex's `config.toml` where it has one (`startup_timeout_sec`,
//! `tool_timeout_sec`, `bearer_token_env_var`, `http_headers` are accepted as aliases) and
//! Claude Code's `.mcp.json` (`type`, `command`, `args`, `env`, `url`, `headers`).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How long a server may take to start and list its tools, when it does not say.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one tool call may take, when the server does not say.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct McpServerConfig {
    /// `stdio`, `http` or `sse` (Claude Code's `.mcp.json`); inferred from `command`/`url`
    /// when absent.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Added to the environment the server starts with.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Variables of gearshift's own environment passed on by name (Codex's `env_vars`): a
    /// server starts with a scrubbed environment, so a key it needs is named here.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env_vars: Vec<String>,
    /// Where the server starts; relative to the workspace (default: the workspace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(alias = "http_headers", skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The environment variable holding a bearer token for `url` (only its name is stored).
    #[serde(
        alias = "bearer_token_env_var",
        alias = "bearer_token_env",
        skip_serializing_if = "Option::is_none"
    )]
    pub bearer_token_env: Option<String>,
    pub enabled: bool,
    /// Seconds.
    #[serde(alias = "startup_timeout_sec", skip_serializing_if = "Option::is_none")]
    pub startup_timeout: Option<f64>,
    /// Milliseconds (Codex's older key), when `startup_timeout` is not set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub startup_timeout_ms: Option<f64>,
    /// Seconds.
    #[serde(alias = "tool_timeout_sec", skip_serializing_if = "Option::is_none")]
    pub tool_timeout: Option<f64>,
    /// Only these of its tools (by the server's names); all when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled_tools: Option<Vec<String>>,
    /// None of these.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disabled_tools: Vec<String>,
}

impl Default for McpServerConfig {
    fn default() -> Self {
        McpServerConfig {
            kind: None,
            command: None,
            args: Vec::new(),
            env: BTreeMap::new(),
            env_vars: Vec::new(),
            cwd: None,
            url: None,
            headers: BTreeMap::new(),
            bearer_token_env: None,
            enabled: true,
            startup_timeout: None,
            startup_timeout_ms: None,
            tool_timeout: None,
            enabled_tools: None,
            disabled_tools: Vec::new(),
        }
    }
}

/// How a server is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport<'a> {
    Stdio { command: &'a str },
    Http { url: &'a str },
}

impl McpServerConfig {
    /// The transport, or why the entry names none (or both).
    pub fn transport(&self) -> Result<Transport<'_>, String> {
        match (self.command.as_deref(), self.url.as_deref()) {
            (Some(_), Some(_)) => Err("set `command` (stdio) or `url` (HTTP), not both".into()),
            (Some(c), None) if !c.trim().is_empty() => Ok(Transport::Stdio { command: c }),
            (None, Some(u)) if u.starts_with("http://") || u.starts_with("https://") => {
                if self.kind.as_deref() == Some("sse") {
                    return Err(
                        "the old SSE transport is not supported; use the server's streamable \
                         HTTP endpoint"
                            .into(),
                    );
                }
                Ok(Transport::Http { url: u })
            }
            (None, Some(u)) => Err(format!("`url` must start with http:// or https://: {u}")),
            _ => Err("set `command` (a program speaking MCP on stdio) or `url` (HTTP)".into()),
        }
    }

    #[must_use]
    pub fn startup_timeout(&self) -> Duration {
        secs(self.startup_timeout)
            .or_else(|| secs(self.startup_timeout_ms.map(|ms| ms / 1000.0)))
            .unwrap_or(STARTUP_TIMEOUT)
    }

    #[must_use]
    pub fn tool_timeout(&self) -> Duration {
        secs(self.tool_timeout).unwrap_or(TOOL_TIMEOUT)
    }

    /// Whether the server's tool `name` is offered.
    #[must_use]
    pub fn tool_enabled(&self, name: &str) -> bool {
        self.enabled_tools
            .as_ref()
            .is_none_or(|only| only.iter().any(|n| n == name))
            && !self.disabled_tools.iter().any(|n| n == name)
    }
}

fn secs(s: Option<f64>) -> Option<Duration> {
    s.filter(|s| s.is_finite() && *s > 0.0)
        .map(|s| Duration::from_secs_f64(s.min(86_400.0)))
}

/// Whether `name` can name a server: its tools are `mcp__NAME__tool`, which providers accept
/// only in `[A-Za-z0-9_-]`.
#[must_use]
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && !name.contains("__")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Checks every entry: a valid name and exactly one transport. The error names the key.
pub fn check(servers: &BTreeMap<String, McpServerConfig>) -> Result<(), (String, String)> {
    for (name, server) in servers {
        if !valid_name(name) {
            return Err((
                format!("mcp_servers.{name}"),
                "a server's name is letters, digits, `-` and `_` (no `__`), at most 32".into(),
            ));
        }
        server
            .transport()
            .map_err(|e| (format!("mcp_servers.{name}"), e))?;
    }
    Ok(())
}

/// Servers by name.
pub type Servers = BTreeMap<String, McpServerConfig>;

#[derive(Deserialize)]
struct McpJson {
    #[serde(rename = "mcpServers", default)]
    servers: BTreeMap<String, McpServerConfig>,
}

/// The servers of a workspace's `.mcp.json` (Claude Code's format), with `${VAR}` and
/// `${VAR:-default}` expanded from `env` as Claude Code does, and the file's text (which trust
/// is bound to). `Ok(None)` when there is no such file; an error (with the line) when it
/// cannot be read.
pub fn read_mcp_json(
    path: &Path,
    env: &BTreeMap<String, String>,
    party: crate::provided::Party<'_>,
) -> Result<Option<(Servers, String)>, String> {
    let text = match crate::provided::read(path, party, 4 * 1024 * 1024) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let parsed: McpJson = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: its servers are not started: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    // A name tools cannot carry (`my.time`) is sanitised, as Claude Code does.
    let mut servers: Servers = parsed
        .servers
        .into_iter()
        .map(|(name, s)| (sanitize(&name), s))
        .collect();
    for server in servers.values_mut() {
        expand_all(server, env);
    }
    Ok(Some((servers, text)))
}

fn expand_all(server: &mut McpServerConfig, env: &BTreeMap<String, String>) {
    let x = |s: &mut String| *s = expand(s, env);
    server.command.iter_mut().for_each(x);
    server.url.iter_mut().for_each(x);
    server.cwd.iter_mut().for_each(x);
    server.args.iter_mut().for_each(x);
    server.env.values_mut().for_each(x);
    server.headers.values_mut().for_each(x);
}

/// `${VAR}` and `${VAR:-default}` in `text`, from `env`; an unset variable without a default
/// is left as written (so the server's error names it). Hand-written: the syntax is these two
/// forms only (Claude Code's), which no shell-expansion crate limits itself to.
#[must_use]
pub fn expand(text: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        match (env.get(name), default) {
            (Some(v), _) => out.push_str(v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => out.push_str(&rest[start..start + 2 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// `name` as a server name tools can carry: each character outside `[A-Za-z0-9_-]` becomes
/// `_`, a run of `_` one, at most 32 characters.
#[must_use]
pub fn sanitize(name: &str) -> String {
    if valid_name(name) {
        return name.to_string();
    }
    let mut out = String::new();
    for c in name.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '-' {
            c
        } else {
            '_'
        };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    let out: String = out.trim_matches('_').chars().take(32).collect();
    out.trim_end_matches('_').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> BTreeMap<String, String> {
        [("HOME".to_string(), "/home/u".to_string())].into()
    }

    #[test]
    fn variables_expand_as_claude_code_expands_them() {
        assert_eq!(expand("${HOME}/x", &env()), "/home/u/x");
        assert_eq!(expand("${NOPE:-dflt}", &env()), "dflt");
        assert_eq!(expand("a ${NOPE} b", &env()), "a ${NOPE} b");
        assert_eq!(expand("${HOME", &env()), "${HOME");
        assert_eq!(expand("no vars", &env()), "no vars");
    }

    #[test]
    fn a_claude_code_mcp_json_loads_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".mcp.json");
        std::fs::write(
            &path,
            r#"{
  "mcpServers": {
    "github": {"type": "http", "url": "https://api.githubcopilot.com/mcp/",
               "headers": {"Authorization": "Bearer ${GITHUB_PAT:-none}"}},
    "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "${HOME}/src"],
              "env": {"LOG": "1"}},
    "legacy": {"type": "sse", "url": "https://example.com/sse"}
  }
}"#,
        )
        .unwrap();
        let (servers, _) = read_mcp_json(&path, &env(), crate::provided::Party::User)
            .unwrap()
            .unwrap();
        assert_eq!(servers.len(), 3);
        assert_eq!(
            servers["github"].transport(),
            Ok(Transport::Http {
                url: "https://api.githubcopilot.com/mcp/"
            })
        );
        assert_eq!(servers["github"].headers["Authorization"], "Bearer none");
        assert_eq!(servers["files"].args[2], "/home/u/src");
        assert!(servers["files"].enabled);
        assert!(servers["legacy"].transport().unwrap_err().contains("SSE"));
        assert!(
            read_mcp_json(
                &dir.path().join("none.json"),
                &env(),
                crate::provided::Party::User
            )
            .unwrap()
            .is_none()
        );
        std::fs::write(&path, "{\"mcpServers\": [").unwrap();
        assert!(
            read_mcp_json(&path, &env(), crate::provided::Party::User)
                .unwrap_err()
                .contains(".mcp.json:1")
        );
    }

    #[test]
    fn names_and_transports_are_checked() {
        let ok = McpServerConfig {
            command: Some("srv".into()),
            ..McpServerConfig::default()
        };
        let mut servers = BTreeMap::from([("docs".to_string(), ok.clone())]);
        assert!(check(&servers).is_ok());
        servers.insert("bad__name".into(), ok);
        assert_eq!(check(&servers).unwrap_err().0, "mcp_servers.bad__name");
        let both = McpServerConfig {
            command: Some("a".into()),
            url: Some("http://x".into()),
            ..McpServerConfig::default()
        };
        assert!(check(&BTreeMap::from([("x".to_string(), both)])).is_err());
        let filtered = McpServerConfig {
            enabled_tools: Some(vec!["a".into(), "b".into()]),
            disabled_tools: vec!["b".into()],
            ..McpServerConfig::default()
        };
        assert!(filtered.tool_enabled("a"));
        assert!(!filtered.tool_enabled("b"));
        assert!(!filtered.tool_enabled("c"));
    }
}
