//! MCP servers as tools: `[mcp_servers.NAME]` and a workspace's `.mcp.json` ([`config`]),
//! connected through the official SDK ([`client`]), their tools registered as
//! `mcp__SERVER__TOOL` ([`McpTool`]). The session actor starts the servers once the front end
//! is up and keeps their state (`core::actor::mcp`).
//!
//! An MCP tool is an external tool to the registry: offered in plan exploration when the
//! server marks it `readOnlyHint`, elsewhere only where the gear lets the model write; every
//! call asks like a command (once, always for that tool, or denied with a reason) unless
//! `[approvals] allow_tools` lists it; `[[checkpoints]]` can name it.

pub mod client;
pub mod config;
pub mod foreign;
pub mod offers;
pub mod servers;

use std::time::Duration;

use futures::FutureExt as _;
use futures::future::BoxFuture;
use rmcp::service::{Peer, RoleClient};

pub use crate::protocol::mcp::{ServerState, ServerStatus};
pub use config::McpServerConfig;

use crate::protocol::{ToolCallRequest, ToolSpec};
use crate::tools::{ToolContext, ToolHandler, ToolKind, ToolOutcome, Writes};

/// The registry's name for a server's tool: `mcp__SERVER__TOOL`, kept to what every provider
/// accepts (`[A-Za-z0-9_-]`, at most 64), as Claude Code names them.
#[must_use]
pub fn tool_name(server: &str, tool: &str) -> String {
    let clean: String = tool
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let full = format!("mcp__{server}__{clean}");
    if full.len() <= 64 {
        return full;
    }
    // Too long: cut, and keep it unique with a short hash of the whole.
    let hash = &crate::changes::hash(full.as_bytes())[..8];
    format!("{}_{hash}", &full[..55])
}

/// The server a registry name belongs to.
#[must_use]
pub fn server_of(name: &str) -> Option<&str> {
    name.strip_prefix("mcp__")?.split("__").next()
}

/// Most bytes of a tool's reply kept for the model (head and tail).
const KEEP: usize = 16 * 1024;

/// A server's tool in the registry.
pub struct McpTool {
    spec: ToolSpec,
    read_only: bool,
    tool: String,
    peer: Peer<RoleClient>,
    timeout: Duration,
}

impl McpTool {
    #[must_use]
    pub fn new(
        server: &str,
        tool: &client::ServerTool,
        peer: Peer<RoleClient>,
        timeout: Duration,
    ) -> McpTool {
        let mut parameters = tool.schema.clone();
        // Providers want an object schema; MCP's inputSchema always is one, but say so.
        if parameters.get("type").is_none() {
            parameters["type"] = serde_json::json!("object");
        }
        McpTool {
            spec: ToolSpec {
                name: tool_name(server, &tool.name),
                description: format!("[MCP server `{server}`] {}", tool.description),
                parameters,
            },
            read_only: tool.read_only,
            tool: tool.name.clone(),
            peer,
            timeout,
        }
    }
}

impl ToolHandler for McpTool {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    fn kind(&self) -> ToolKind {
        ToolKind::External
    }

    fn mutates(&self) -> bool {
        !self.read_only
    }

    fn handle<'a>(
        &'a self,
        call: &'a ToolCallRequest,
        ctx: &'a ToolContext,
        _writes: Writes,
    ) -> BoxFuture<'a, ToolOutcome> {
        async move {
            let arguments = if call.arguments.trim().is_empty() {
                serde_json::Value::Null
            } else {
                match serde_json::from_str(&call.arguments) {
                    Ok(v) => v,
                    Err(e) => {
                        return ToolOutcome::error(format!("the arguments are not JSON: {e}"));
                    }
                }
            };
            let called = client::call(&self.peer, &self.tool, arguments);
            // Dropping the call (a cancel, the timeout) tells the server it is cancelled.
            let reply = match tokio::time::timeout(self.timeout, called).await {
                Ok(Ok(reply)) => reply,
                Ok(Err(e)) => return ToolOutcome::error(format!("`{}` failed: {e}", call.name)),
                Err(_) => {
                    return ToolOutcome::error(format!(
                        "`{}` did not answer within {} s (tool_timeout)",
                        call.name,
                        self.timeout.as_secs()
                    ));
                }
            };
            let text = ctx.runner.secrets.redact(&cut(&reply.text));
            let first = text.lines().next().unwrap_or_default();
            let summary = format!("{} → {}", self.tool, if reply.ok { first } else { "error" });
            ToolOutcome {
                ok: reply.ok,
                content: text,
                summary,
                writes: Vec::new(),
            }
        }
        .boxed()
    }
}

/// Head and tail of a long reply, saying how much was cut.
fn cut(text: &str) -> String {
    if text.len() <= 2 * KEEP {
        return text.to_string();
    }
    let mut head = KEEP;
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = text.len() - KEEP;
    while !text.is_char_boundary(tail) {
        tail += 1;
    }
    format!(
        "{}\n[… {} bytes of the reply cut here …]\n{}",
        &text[..head],
        tail - head,
        &text[tail..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_names_are_what_providers_accept_and_name_their_server() {
        assert_eq!(tool_name("docs", "search"), "mcp__docs__search");
        assert_eq!(
            tool_name("gh", "issues.create/v2"),
            "mcp__gh__issues_create_v2"
        );
        let long = tool_name("server", &"x".repeat(80));
        assert_eq!(long.len(), 64);
        assert_ne!(long, tool_name("server", &"x".repeat(81)));
        assert_eq!(server_of("mcp__docs__search"), Some("docs"));
        assert_eq!(server_of("read_file"), None);
        let big = "a".repeat(3 * KEEP);
        let shown = cut(&big);
        assert!(shown.len() < big.len() && shown.contains("bytes of the reply cut"));
    }
}
