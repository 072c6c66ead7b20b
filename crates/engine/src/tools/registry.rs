//! The tool registry: every tool the model can be offered, built-in or added at run time
//! (skills, MCP servers), behind one [`ToolHandler`] trait. The gear rules
//! ([`Registry::offered`]), the request builder ([`Registry::specs`]), the core's routing and
//! approvals ([`Registry::kind_of`]) all consult the same registry, so a tool that is not
//! registered is offered nowhere and runs nowhere.

use std::sync::Arc;

use futures::future::BoxFuture;

use super::{Phase, ToolContext, ToolOutcome, Writes};
use crate::pipeline::StageKind;
use crate::protocol::Gear;
use crate::protocol::{ToolCallRequest, ToolSpec};

/// What a tool may do, which decides where it is offered and whether it asks first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolKind {
    /// Reads the workspace; offered in every gear and phase.
    ReadOnly,
    /// Writes files: offered where the gear lets the model write; its change is proposed for
    /// review or applied, by gear.
    Write,
    /// Runs a command: offered where writes are allowed, and approved per command.
    Shell,
    /// A tool gearshift does not implement (an MCP server's, a skill's): offered like a read
    /// tool when it does not mutate, like a write tool when it does, and approved per tool.
    External,
    /// Proposes a plan (the core records it).
    Plan,
    /// Ends the running plan step (the core records it).
    Step,
    /// Hands a task to a subagent (the session runs it): offered in every gear, its tools a
    /// subset of the caller's.
    Agent,
}

/// One tool: what the model is told about it, what it may do, and how it runs.
pub trait ToolHandler: Send + Sync {
    /// Name, description and JSON schema, as requests carry them.
    fn spec(&self) -> &ToolSpec;
    fn kind(&self) -> ToolKind;
    /// Whether a call can change anything outside gearshift (files, processes, a remote
    /// service). Built-in kinds say it themselves; an external tool says it per tool.
    fn mutates(&self) -> bool {
        matches!(self.kind(), ToolKind::Write | ToolKind::Shell)
    }
    /// Runs a call. A refusal or failure is an outcome with `ok: false`, never a panic.
    fn handle<'a>(
        &'a self,
        call: &'a ToolCallRequest,
        ctx: &'a ToolContext,
        writes: Writes,
    ) -> BoxFuture<'a, ToolOutcome>;
}

/// The tools of a session, in the order requests list them.
#[derive(Clone, Default)]
pub struct Registry {
    tools: Vec<Arc<dyn ToolHandler>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// Why a tool could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    #[error("a tool named `{0}` is already registered")]
    Taken(String),
    #[error("`{0}` is not a valid tool name (letters, digits, `_` and `-`, at most 64)")]
    BadName(String),
}

impl Registry {
    /// Adds a tool. Names are unique (a later tool never shadows an earlier one) and keep to
    /// what every provider accepts as a function name.
    pub fn register(&mut self, tool: Arc<dyn ToolHandler>) -> Result<(), RegisterError> {
        let name = tool.spec().name.clone();
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(RegisterError::BadName(name));
        }
        if self.get(&name).is_some() {
            return Err(RegisterError::Taken(name));
        }
        self.tools.push(tool);
        Ok(())
    }

    /// Removes every tool whose name `gone` accepts (an MCP server's, when it stops).
    pub fn remove_where(&mut self, gone: impl Fn(&str) -> bool) {
        self.tools.retain(|t| !gone(&t.spec().name));
    }

    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Arc<dyn ToolHandler>> {
        self.tools.iter().find(|t| t.spec().name == name)
    }

    #[must_use]
    pub fn kind_of(&self, name: &str) -> Option<ToolKind> {
        self.get(name).map(|t| t.kind())
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tools.iter().map(|t| t.spec().name.as_str())
    }

    /// Whether a gear offers the tool named `name` in a phase (unknown tools are offered
    /// nowhere).
    #[must_use]
    pub fn offered(&self, gear: Gear, phase: Phase, name: &str) -> bool {
        self.get(name)
            .is_some_and(|t| offered(t.kind(), t.mutates(), gear, phase))
    }

    /// The tools a gear offers in a phase. Gears are enforced here, not by prompting: while
    /// planning (and in the pipeline gear until its stages grant more) write and shell tools
    /// are not in the request at all; a plan step being run gets them, with its step tools.
    #[must_use]
    pub fn specs(&self, gear: Gear, phase: Phase) -> Vec<ToolSpec> {
        self.tools
            .iter()
            .filter(|t| offered(t.kind(), t.mutates(), gear, phase))
            .map(|t| t.spec().clone())
            .collect()
    }
}

/// The gear rule for one kind of tool.
#[must_use]
pub fn offered(kind: ToolKind, mutates: bool, gear: Gear, phase: Phase) -> bool {
    if phase == Phase::Memory {
        return matches!(kind, ToolKind::ReadOnly | ToolKind::Write)
            || (kind == ToolKind::External && !mutates);
    }
    let executing = gear != Gear::Vibe && phase == Phase::Executing;
    let writing_stage = matches!(
        phase,
        Phase::Stage(StageKind::Artifact | StageKind::Verify | StageKind::Ship)
    );
    let shell_stage = matches!(phase, Phase::Stage(StageKind::Verify | StageKind::Ship));
    let writes = gear == Gear::Vibe || executing || writing_stage;
    match kind {
        ToolKind::ReadOnly => true,
        ToolKind::External => !mutates || writes,
        ToolKind::Write => writes,
        ToolKind::Shell => gear == Gear::Vibe || executing || shell_stage,
        ToolKind::Plan => {
            (gear == Gear::Plan && phase == Phase::Planning)
                || phase == Phase::Stage(StageKind::Plan)
        }
        ToolKind::Step => executing,
        ToolKind::Agent => true,
    }
}
