//! The conversation as every provider's wire format carries it: messages, the tool calls the
//! model makes and the tools it is offered. Tools, hooks and MCP speak these without knowing
//! any provider.

use serde::{Deserialize, Serialize};

use super::reasoning::Reasoning;

/// One message of the conversation sent to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ChatMessage {
    User {
        text: String,
    },
    Assistant {
        text: String,
        tool_calls: Vec<ToolCallRequest>,
        /// What the model thought first, passed back where its API requires it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reasoning: Option<Reasoning>,
    },
    ToolResult {
        call_id: String,
        content: String,
        is_error: bool,
    },
}

/// A tool call the model made, with its arguments as the JSON text it produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallRequest {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// A tool offered to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// JSON Schema of the arguments.
    pub parameters: serde_json::Value,
}
