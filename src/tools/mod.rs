//! The tools offered to the model, their JSON schemas, and their execution.
//!
//! Every path goes through the [`Workspace`] handle; a refusal or any other failure becomes the
//! tool's result (with `ok: false`) for the model to read, never an error that ends the turn.
//! Which tools a request offers depends on the gear: see [`specs`]. Every result passes through
//! [`Secrets::redact`] before anyone sees it.

pub mod command;
mod confine;
mod fs;
pub mod secrets;
mod shell;

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::json;

pub use confine::{ConfineError, FileError, Guard, Kind, Protected, Workspace};
pub use fs::MAX_TEXT_BYTES;
pub use secrets::Secrets;
pub use shell::{CommandOutput, CommandRunner, run_command};

use crate::sandbox::Sandbox;

use crate::changes::FileChange;
use crate::protocol::Gear;
use crate::provider::{ToolCallRequest, ToolSpec};

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
}

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
        }
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
    /// The write it made, if any.
    pub change: Option<FileChange>,
    /// The change touches a protected path that only a human's explicit review may write: the
    /// reason, shown at the review (and a headless run never accepts it).
    pub checkpoint: Option<String>,
}

impl ToolOutcome {
    pub fn ok(content: String, summary: String) -> ToolOutcome {
        ToolOutcome {
            ok: true,
            content,
            summary,
            change: None,
            checkpoint: None,
        }
    }

    pub fn error(message: impl Into<String>) -> ToolOutcome {
        let message = message.into();
        ToolOutcome {
            ok: false,
            summary: message.lines().next().unwrap_or_default().to_string(),
            content: message,
            change: None,
            checkpoint: None,
        }
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

/// What a tool may do, which decides where it is offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolKind {
    ReadOnly,
    Write,
    Shell,
    /// Proposes a plan (the core records it).
    Plan,
    /// Ends the running plan step (the core records it).
    Step,
}

/// Where the session is: proposing and shaping a plan, running an approved step, or working
/// on a pipeline stage of some kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Planning,
    Executing,
    Stage(crate::pipeline::StageKind),
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

#[must_use]
pub fn kind_of(name: &str) -> Option<ToolKind> {
    match name {
        READ_FILE | LIST_DIR | GLOB | GREP => Some(ToolKind::ReadOnly),
        EDIT_FILE | WRITE_FILE | DELETE_FILE | MOVE_FILE => Some(ToolKind::Write),
        RUN_COMMAND => Some(ToolKind::Shell),
        PROPOSE_PLAN => Some(ToolKind::Plan),
        COMPLETE_STEP | FAIL_STEP => Some(ToolKind::Step),
        _ => None,
    }
}

/// The tools a gear offers in a phase. Gears are enforced here, not by prompting: while
/// planning (and in the pipeline gear until its stages grant more) write and shell tools are
/// not in the request at all; a plan step being run gets them, with its step tools.
#[must_use]
pub fn specs(gear: Gear, phase: Phase) -> Vec<ToolSpec> {
    all_specs()
        .into_iter()
        .filter(|s| offered(gear, phase, &s.name))
        .collect()
}

/// Whether a gear offers the tool named `name` in a phase (unknown tools are offered nowhere).
#[must_use]
pub fn offered(gear: Gear, phase: Phase, name: &str) -> bool {
    use crate::pipeline::StageKind;
    let executing = gear != Gear::Vibe && phase == Phase::Executing;
    let writing_stage = matches!(
        phase,
        Phase::Stage(StageKind::Artifact | StageKind::Verify | StageKind::Ship)
    );
    let shell_stage = matches!(phase, Phase::Stage(StageKind::Verify | StageKind::Ship));
    match kind_of(name) {
        Some(ToolKind::ReadOnly) => true,
        Some(ToolKind::Write) => gear == Gear::Vibe || executing || writing_stage,
        Some(ToolKind::Shell) => gear == Gear::Vibe || executing || shell_stage,
        Some(ToolKind::Plan) => {
            (gear == Gear::Plan && phase == Phase::Planning)
                || phase == Phase::Stage(StageKind::Plan)
        }
        Some(ToolKind::Step) => executing,
        None => false,
    }
}

fn spec(name: &str, description: &str, parameters: serde_json::Value) -> ToolSpec {
    ToolSpec {
        name: name.to_string(),
        description: description.to_string(),
        parameters,
    }
}

fn all_specs() -> Vec<ToolSpec> {
    vec![
        spec(
            READ_FILE,
            "Read a text file of the workspace. Lines come numbered as `N\\t<text>`; the numbers \
             are not part of the file. Large files are cut: ask for a line range.",
            json!({"type": "object", "properties": {
                "path": {"type": "string", "description": "Path relative to the workspace root"},
                "start_line": {"type": "integer", "minimum": 1, "description": "First line, from 1"},
                "end_line": {"type": "integer", "minimum": 1, "description": "Last line, inclusive"}
            }, "required": ["path"]}),
        ),
        spec(
            LIST_DIR,
            "List a directory of the workspace: directories end with `/`, files show their size.",
            json!({"type": "object", "properties": {
                "path": {"type": "string", "description": "Directory, default the workspace root"}
            }}),
        ),
        spec(
            GLOB,
            "Find files by glob pattern (e.g. `src/**/*.rs`), honouring .gitignore.",
            json!({"type": "object", "properties": {
                "pattern": {"type": "string"},
                "path": {"type": "string", "description": "Directory to search, default the root"}
            }, "required": ["pattern"]}),
        ),
        spec(
            GREP,
            "Search file contents with a regular expression, honouring .gitignore. Returns \
             `path:line: text` for each match.",
            json!({"type": "object", "properties": {
                "pattern": {"type": "string", "description": "Rust regex syntax"},
                "path": {"type": "string", "description": "File or directory, default the root"},
                "glob": {"type": "string", "description": "Only files matching this glob"},
                "case_insensitive": {"type": "boolean"}
            }, "required": ["pattern"]}),
        ),
        spec(
            EDIT_FILE,
            "Replace exact text in a file. `old_text` must match the file exactly (without line \
             numbers) and only once, unless `replace_all` is true.",
            json!({"type": "object", "properties": {
                "path": {"type": "string"},
                "old_text": {"type": "string"},
                "new_text": {"type": "string"},
                "replace_all": {"type": "boolean"}
            }, "required": ["path", "old_text", "new_text"]}),
        ),
        spec(
            WRITE_FILE,
            "Create or overwrite a file with the given content; parent directories are created.",
            json!({"type": "object", "properties": {
                "path": {"type": "string"},
                "content": {"type": "string"}
            }, "required": ["path", "content"]}),
        ),
        spec(
            DELETE_FILE,
            "Delete a text file of the workspace.",
            json!({"type": "object", "properties": {
                "path": {"type": "string"}
            }, "required": ["path"]}),
        ),
        spec(
            MOVE_FILE,
            "Move or rename a text file; the target must not exist (parent directories are \
             created). Edit the content separately.",
            json!({"type": "object", "properties": {
                "from": {"type": "string"},
                "to": {"type": "string"}
            }, "required": ["from", "to"]}),
        ),
        spec(
            PROPOSE_PLAN,
            "Propose the plan for the user to review: a tree of concrete steps, at most three \
             levels deep. The user edits and approves it; approved steps are then run one at a \
             time.",
            json!({"type": "object", "properties": {
                "steps": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}}
            }, "required": ["steps"], "$defs": {"step": {"type": "object", "properties": {
                "title": {"type": "string", "description": "What the step does, in a line"},
                "detail": {"type": "string", "description": "What it changes and how"},
                "files": {"type": "array", "items": {"type": "string"}},
                "acceptance": {"type": "string", "description": "How to tell it is done"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/step"}}
            }, "required": ["title"]}}}),
        ),
        spec(
            COMPLETE_STEP,
            "Finish the plan step you were given; the user reviews it before the next one.",
            json!({"type": "object", "properties": {
                "summary": {"type": "string", "description": "What was done, in a few lines"}
            }, "required": ["summary"]}),
        ),
        spec(
            FAIL_STEP,
            "Give up on the plan step you were given, saying why; execution stops there.",
            json!({"type": "object", "properties": {
                "reason": {"type": "string"}
            }, "required": ["reason"]}),
        ),
        spec(
            RUN_COMMAND,
            "Run a shell command in the workspace root (the user may be asked to approve it). \
             Output is stdout and stderr together, cut in the middle when long. It runs in a \
             sandbox: it may write only the workspace and the temp dir (never .git), and has no \
             network unless the user allowed it; it and everything it starts end with the call.",
            json!({"type": "object", "properties": {
                "command": {"type": "string"},
                "timeout_secs": {"type": "integer", "minimum": 1,
                    "description": "At most the user's limit (default 120), which is also the default"}
            }, "required": ["command"]}),
        ),
    ]
}

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

/// Runs a tool. Blocking file work runs on tokio's blocking pool; the shell runs as a child
/// process whose whole group is killed on timeout or when this future is dropped.
pub async fn execute(call: &ToolCallRequest, ctx: &ToolContext, writes: Writes) -> ToolOutcome {
    let mut outcome = run_tool(call, ctx, writes).await;
    outcome.content = ctx.runner.secrets.redact(&outcome.content);
    outcome.summary = ctx.runner.secrets.redact(&outcome.summary);
    outcome
}

async fn run_tool(call: &ToolCallRequest, ctx: &ToolContext, writes: Writes) -> ToolOutcome {
    match call.name.as_str() {
        RUN_COMMAND => shell::execute(call, ctx).await,
        PROPOSE_PLAN | COMPLETE_STEP | FAIL_STEP => ToolOutcome::error(format!(
            "`{}` is handled by the session, not run as a tool",
            call.name
        )),
        name if kind_of(name).is_some() => {
            let call = call.clone();
            let workspace = ctx.workspace.clone();
            let limits = ctx.limits.clone();
            tokio::task::spawn_blocking(move || fs::execute(&call, &workspace, &limits, writes))
                .await
                .unwrap_or_else(|e| ToolOutcome::error(format!("the tool failed: {e}")))
        }
        other => ToolOutcome::error(format!(
            "there is no tool named `{other}`; the available tools are in the request"
        )),
    }
}

#[cfg(test)]
mod tests;
