//! The one contract between front ends (TUI, headless `exec`), the core and the store.
//!
//! A front end sends [`Op`]s ("what the human asks for") and receives [`Event`]s ("what
//! happened"). The store persists events verbatim as JSON, so every type here is a stable,
//! tagged serde type: renaming a variant or a field is a schema change of the session log.
//! Variants for the plan, change-review, context and pipeline areas are added by the issues that
//! implement them; decoding an event kind this binary does not know yields an error, never a
//! silent drop, so an old binary cannot rewrite a newer session's history.

pub mod change;
pub mod context;
mod event;
mod facts;
mod gear;
pub mod hook;
pub mod mcp;
pub mod message;
mod op;
pub mod pipeline;
pub mod plan;
pub mod reasoning;
pub mod tap;

pub use change::{FileChange, Finding, Severity, Verdict};
pub use context::ContextReport;
pub use event::Event;
pub use facts::{CommandDecision, ErrorKind, FinishReason, Hint, NoticeLevel, RequestFacts, Role};
pub use gear::{Gear, SessionMeta, Subagent, default_title};
pub use message::{ChatMessage, ToolCallRequest, ToolSpec};
pub use op::{CommandInfo, CommandKind, Op};
pub use pipeline::{Pipeline, StageEvent};
pub use plan::{PlanEdit, StepSpec, StepStatus};

#[cfg(test)]
mod tests;
