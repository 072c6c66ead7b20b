//! The tools offered to the model, their JSON schemas, and their execution.
//!
//! Every path goes through the [`Workspace`] handle; a refusal or any other failure becomes the
//! tool's result (with `ok: false`) for the model to read, never an error that ends the turn.
//! Which tools a request offers depends on the gear: see [`specs`]. Every result passes through
//! [`Secrets::redact`] before anyone sees it.

mod builtin;
pub mod checkpoints;
pub mod command;
mod confine;
pub mod disk;
mod fs;
pub mod grants;
pub mod programs;
pub mod protect;
pub mod registry;
pub mod search;
pub mod secrets;
mod shell;
pub mod skill;
pub mod task;
pub mod writes;

use std::time::Duration;

use serde::de::DeserializeOwned;

pub use confine::{Clearance, ConfineError, FileError, Gated, Guard, Kind, Protected, Workspace};
pub use registry::{Registry, ToolHandler, ToolKind};
pub use secrets::Secrets;
pub use shell::{CommandOutput, CommandRunner, Held, Io, run_command};

use gearshift_sandbox::Sandbox;

use crate::changes::FileChange;
use crate::protocol::ToolCallRequest;

/// The largest file the text tools read whole (read_file, edit_file, grep): memory stays
/// bounded whatever the workspace holds.
pub const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;

/// Limits that keep one tool call from flooding the context or hanging.
#[derive(Debug, Clone)]
pub struct ToolLimits {
    /// `read_file` returns at most this many bytes, and says so.
    pub read_max_bytes: usize,
    /// `run_command` keeps this many bytes of output from the start and as many from the end.
    pub output_keep_bytes: usize,
    pub command_timeout: Duration,
    /// Entries listed by `list_dir`/`glob`, and matches returned by `grep`.
    pub max_results: usize,
}

impl Default for ToolLimits {
    fn default() -> Self {
        ToolLimits {
            read_max_bytes: 256 * 1024,
            output_keep_bytes: 16 * 1024,
            command_timeout: Duration::from_secs(120),
            max_results: 500,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ToolContext {
    pub workspace: Workspace,
    pub limits: ToolLimits,
    /// Where commands run, with which environment.
    pub runner: CommandRunner,
    /// Every tool the session may offer.
    pub registry: Registry,
    /// The skills found at start, which the `skill` tool loads and whose folders the read
    /// tools may read (and nothing else outside the workspace).
    pub skills: std::sync::Arc<std::sync::RwLock<Skills>>,
    /// Held while a command runs: one at a time across a session and its subagents, since a
    /// command's held writes are told apart by the workspace before and after it.
    pub one_command: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// The discovered skills, by name.
pub type Skills = std::collections::BTreeMap<String, crate::pipeline::skill::Skill>;

impl ToolContext {
    /// A context with no sandbox and the environment scrubbed of nothing: for tests of other
    /// things and for embedding.
    #[must_use]
    pub fn plain(workspace: Workspace, limits: ToolLimits) -> ToolContext {
        ToolContext {
            workspace,
            limits,
            runner: CommandRunner {
                sandbox: Sandbox::off(),
                secrets: Secrets::default(),
            },
            registry: Registry::builtin(),
            skills: std::sync::Arc::default(),
            one_command: std::sync::Arc::default(),
        }
    }

    /// The folders of the skills found (canonical): read-only to the read tools.
    #[must_use]
    pub fn skill_folders(&self) -> Vec<std::path::PathBuf> {
        self.skills
            .read()
            .map(|s| s.values().filter_map(|k| k.folder.clone()).collect())
            .unwrap_or_default()
    }
}

/// What a tool call produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutcome {
    pub ok: bool,
    /// What the model receives.
    pub content: String,
    /// One line for the chat pane.
    pub summary: String,
    /// The files it wrote or proposes to write: one for a file tool, any number for a
    /// command (its change set, see [`writes`]).
    pub writes: Vec<ToolWrite>,
}

/// One file a tool call wrote, or proposes to write.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolWrite {
    pub change: FileChange,
    /// Already on disk (the vibe gear's writes, passed by the gate); otherwise proposed for
    /// the human's review.
    pub applied: bool,
    /// Why only a human's explicit review writes it — a protected path or a `[[checkpoints]]`
    /// rule — shown at the review (and a headless run never accepts a protected path).
    pub checkpoint: Option<String>,
}

impl ToolOutcome {
    pub fn ok(content: String, summary: String) -> ToolOutcome {
        ToolOutcome {
            ok: true,
            content,
            summary,
            writes: Vec::new(),
        }
    }

    pub fn error(message: impl Into<String>) -> ToolOutcome {
        let message = message.into();
        ToolOutcome {
            ok: false,
            summary: message.lines().next().unwrap_or_default().to_string(),
            content: message,
            writes: Vec::new(),
        }
    }

    /// The one change a file tool made or proposed.
    #[must_use]
    pub fn change(&self) -> Option<&FileChange> {
        self.writes.first().map(|w| &w.change)
    }
}

/// A tool failure on its way to becoming a [`ToolOutcome`] the model reads.
#[derive(Debug)]
pub(crate) struct ToolFailure(pub String);

impl From<ToolFailure> for ToolOutcome {
    fn from(f: ToolFailure) -> ToolOutcome {
        ToolOutcome::error(f.0)
    }
}

/// Whether a write tool writes, or only proposes its change for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writes {
    Apply,
    Propose,
}

impl Writes {
    fn verb(self, done: &'static str) -> &'static str {
        match self {
            Writes::Apply => done,
            Writes::Propose => "proposed (for review)",
        }
    }
}

/// Where the session is: proposing and shaping a plan, running an approved step, or working
/// on a pipeline stage of some kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Planning,
    Executing,
    Stage(crate::pipeline::StageKind),
    /// A turn that proposes changes to memory files (`/init`, upkeep) in any gear: read tools,
    /// and write tools for `AGENTS.md` / `CLAUDE.md` only (the route checks the paths).
    Memory,
}

pub const READ_FILE: &str = "read_file";
pub const LIST_DIR: &str = "list_dir";
pub const GLOB: &str = "glob";
pub const GREP: &str = "grep";
pub const EDIT_FILE: &str = "edit_file";
pub const WRITE_FILE: &str = "write_file";
pub const DELETE_FILE: &str = "delete_file";
pub const MOVE_FILE: &str = "move_file";
pub const PROPOSE_PLAN: &str = "propose_plan";
pub const COMPLETE_STEP: &str = "complete_step";
pub const FAIL_STEP: &str = "fail_step";
pub const RUN_COMMAND: &str = "run_command";
pub const SKILL: &str = "skill";

/// Every built-in tool's name (the registry's test holds it to [`Registry::builtin`]).
pub const BUILT_IN_NAMES: [&str; 13] = [
    READ_FILE,
    LIST_DIR,
    GLOB,
    GREP,
    EDIT_FILE,
    WRITE_FILE,
    DELETE_FILE,
    MOVE_FILE,
    PROPOSE_PLAN,
    COMPLETE_STEP,
    FAIL_STEP,
    RUN_COMMAND,
    SKILL,
];

/// The built-in tools that change files ([`ToolKind::Write`]).
pub const FILE_WRITERS: [&str; 4] = [EDIT_FILE, WRITE_FILE, DELETE_FILE, MOVE_FILE];

pub(crate) fn parse_args<T: DeserializeOwned>(call: &ToolCallRequest) -> Result<T, ToolFailure> {
    let text = if call.arguments.trim().is_empty() {
        "{}"
    } else {
        call.arguments.as_str()
    };
    serde_json::from_str(text).map_err(|e| {
        ToolFailure(format!(
            "invalid arguments for {}: {e}. Send a JSON object matching the tool's schema.",
            call.name
        ))
    })
}

/// The command `run_command` would run, for the approval prompt.
#[must_use]
pub fn command_of(call: &ToolCallRequest) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Args {
        command: String,
    }
    (call.name == RUN_COMMAND)
        .then(|| parse_args::<Args>(call).ok().map(|a| a.command))
        .flatten()
}

/// The paths a file tool's call names (`path`, or `from` and `to`).
#[must_use]
pub fn paths_of(call: &ToolCallRequest) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&call.arguments) else {
        return Vec::new();
    };
    ["path", "from", "to"]
        .iter()
        .filter_map(|k| v[k].as_str().map(str::to_string))
        .collect()
}

/// Runs a tool. Blocking file work runs on tokio's blocking pool; the shell runs as a child
/// process whose whole group is killed on timeout or when this future is dropped.
pub async fn execute(call: &ToolCallRequest, ctx: &ToolContext, writes: Writes) -> ToolOutcome {
    let mut outcome = run_tool(call, ctx, writes).await;
    outcome.content = ctx.runner.secrets.redact(&outcome.content);
    outcome.summary = ctx.runner.secrets.redact(&outcome.summary);
    outcome
}

async fn run_tool(call: &ToolCallRequest, ctx: &ToolContext, writes: Writes) -> ToolOutcome {
    match ctx.registry.get(&call.name) {
        Some(tool) => tool.handle(call, ctx, writes).await,
        None => ToolOutcome::error(format!(
            "there is no tool named `{}`; the available tools are in the request",
            call.name
        )),
    }
}

#[cfg(test)]
mod tests;
