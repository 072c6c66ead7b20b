//! The `task` tool: what the model is told of subagents. A call hands a task to an agent
//! (see [`crate::agents`]) that starts with a fresh context — its own instructions, the
//! project memory and the prompt, nothing of the conversation — uses a subset of the
//! caller's tools, and returns its final answer as the result. The session runs it
//! (`core::actor`'s subagent room); this handler only describes it.

use std::fmt::Write as _;

use futures::FutureExt as _;
use futures::future::BoxFuture;
use serde_json::json;

use super::{ToolContext, ToolHandler, ToolKind, ToolOutcome, Writes};
use crate::protocol::{ToolCallRequest, ToolSpec};

/// The tool's name.
pub const TASK: &str = "task";

/// The most characters of an agent's description the tool's own description quotes.
const DESCRIPTION_CHARS: usize = 300;

/// The `task` tool for these agents.
pub struct TaskTool {
    spec: ToolSpec,
}

impl TaskTool {
    /// `agents`: each agent's name and description, in order.
    #[must_use]
    pub fn new(agents: &[(&str, &str)]) -> TaskTool {
        let mut description = String::from(
            "Hand a task to a subagent. It starts with a fresh context: its own instructions, \
             the project memory and your prompt, nothing of this conversation. It uses a subset \
             of your tools (for now, only tools that read) and returns its final answer as this \
             tool's result. Use it to search or review without filling your own context; give \
             it everything it needs in the prompt, and say what its answer should contain.\n\n\
             Agents:",
        );
        for (name, about) in agents {
            let about: String = about
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .take(DESCRIPTION_CHARS)
                .collect();
            let _ = write!(description, "\n- {name}: {about}");
        }
        let names: Vec<&str> = agents.iter().map(|(name, _)| *name).collect();
        TaskTool {
            spec: ToolSpec {
                name: TASK.into(),
                description,
                parameters: json!({
                    "type": "object",
                    "properties": {
                        "agent": {"type": "string", "enum": names},
                        "prompt": {"type": "string", "description": "The task, complete: the agent sees nothing else."}
                    },
                    "required": ["agent", "prompt"]
                }),
            },
        }
    }
}

impl ToolHandler for TaskTool {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    fn kind(&self) -> ToolKind {
        ToolKind::Agent
    }

    fn handle<'a>(
        &'a self,
        _call: &'a ToolCallRequest,
        _ctx: &'a ToolContext,
        _writes: Writes,
    ) -> BoxFuture<'a, ToolOutcome> {
        // A session routes every `task` call to a subagent; a handler call means there is none
        // to run it (a subagent's own session offers no `task`).
        async { ToolOutcome::error("subagents cannot start subagents") }.boxed()
    }
}

/// A `task` call's agent and prompt, or what is wrong with its arguments.
///
/// # Errors
/// Arguments that are not `{agent, prompt}` with both non-empty.
pub fn args(call: &ToolCallRequest) -> Result<(String, String), String> {
    #[derive(serde::Deserialize)]
    struct Args {
        agent: String,
        prompt: String,
    }
    let a: Args = serde_json::from_str(&call.arguments)
        .map_err(|e| format!("bad arguments for task: {e}; give `agent` and `prompt`"))?;
    if a.prompt.trim().is_empty() {
        return Err("the task's prompt is empty: say what the agent should do".into());
    }
    Ok((a.agent.trim().to_string(), a.prompt))
}
