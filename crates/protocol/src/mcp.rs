//! What events say of an MCP server: its state as `/mcp` and the status bar show it. Starting
//! servers and calling their tools are `crate::mcp`'s.

use serde::{Deserialize, Serialize};

/// A server's state, as `/mcp` and the status bar show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ServerState {
    Starting,
    Ready {
        tools: usize,
        /// The URIs of the resources it lists (`@server:uri` in the composer).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        resources: Vec<String>,
    },
    Failed {
        reason: String,
    },
    Disabled,
}

/// One server's line in `/mcp` and the status bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerStatus {
    pub name: String,
    /// `stdio: CMD` or `http: URL`, and where it was configured.
    pub how: String,
    #[serde(flatten)]
    pub state: ServerState,
}
