//! What events say about requests, commands and the human: decisions, errors, the facts of a
//! model request, hints the front ends show with their own keys.

use serde::{Deserialize, Serialize};

use super::Gear;

/// How a command the model asked to run was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum CommandDecision {
    /// The human approved it this once.
    Once,
    /// The human approved it for the rest of the session.
    Always,
    /// `[approvals] allow_commands` or an earlier "always" allowed it.
    Allowed,
    /// The `allowed-tools` of a skill the user installed, active in this turn or stage.
    Skill { skill: String },
    /// A `PreToolUse` hook of the user's own (`source`: the file it is in) answered `allow`.
    Hook { source: String },
    /// Headless, with `--approve-commands`.
    Headless,
    Denied {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

/// Why a model turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model said all it had to say.
    Stop,
    /// The model hit its output-token limit.
    Length,
    /// The model asked for tools.
    ToolCalls,
    /// The human cancelled.
    Cancelled,
    /// An error ended the turn.
    Error,
}

/// What kind of failure an [`Event::Error`](super::Event::Error) reports, so front ends can react by class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Config,
    Provider,
    Auth,
    RateLimit,
    Network,
    Tool,
    Store,
    /// The request would not fit the model's context window.
    Context,
    Internal,
}

/// One model request as `gearshift stats` and the usage line see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestFacts {
    pub provider: String,
    pub model: String,
    pub gear: Gear,
    /// The pipeline stage it ran for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// `turn` (a reply) or `compact` (a summary).
    pub purpose: String,
    /// From sending the request to the end of its stream.
    pub latency_ms: u64,
    /// From sending the request to the first token of text, reasoning or a tool call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_ms: Option<u64>,
    /// How it failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorKind>,
    /// Attempts before this one that the provider refused for a while (429, 5xx, no
    /// connection) and the HTTP layer sent again.
    #[serde(default, skip_serializing_if = "is_zero32")]
    pub retries: u32,
    /// The provider reported no usage (a cancelled or broken stream): the tokens are
    /// gearshift's estimate of what it billed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub estimated: bool,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if takes a reference
fn is_zero32(n: &u32) -> bool {
    *n == 0
}

impl ErrorKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Provider => "provider",
            ErrorKind::Auth => "auth",
            ErrorKind::RateLimit => "rate_limit",
            ErrorKind::Network => "network",
            ErrorKind::Tool => "tool",
            ErrorKind::Store => "store",
            ErrorKind::Context => "context",
            ErrorKind::Internal => "internal",
        }
    }
}

/// Who wrote a message; used for search and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
}

impl Role {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// Something the human can do, named by the core where a refusal or a gate calls for it.
/// The core never names a key or a pane: front ends show each hint with its live binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hint {
    /// Approve plan steps (one, or all of them).
    ApproveSteps,
    /// Decide every hunk of the change under review.
    DecideHunks,
    /// Skip the pipeline stage.
    SkipStage,
    /// Send the pipeline stage back with comments, or skip it.
    SendBack,
    /// Leave items out of the context, or compact it.
    FreeContext,
    /// Wait for the model, or cancel what it does.
    Wait,
}

/// How much a [`Event::Notice`](super::Event::Notice) matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeLevel {
    Info,
    Warning,
}
