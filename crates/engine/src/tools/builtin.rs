//! gearshift's own tools as registry entries: the file tools (run on the blocking pool), the
//! command tool, and the session tools the core handles itself (plan and step).

use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::json;

use super::registry::{Registry, ToolHandler, ToolKind};
use super::{
    COMPLETE_STEP, DELETE_FILE, EDIT_FILE, FAIL_STEP, GLOB, GREP, LIST_DIR, MOVE_FILE,
    PROPOSE_PLAN, READ_FILE, RUN_COMMAND, SKILL, ToolContext, ToolOutcome, WRITE_FILE, Writes, fs,
    shell, skill,
};
use crate::protocol::{ToolCallRequest, ToolSpec};

/// A built-in tool. Its kind says how it runs: the file tools on the blocking pool, the
/// command tool as a sandboxed child process whose whole group ends with the call, and the
/// session's own tools (a plan, the end of a step) not at all: the core records those.
struct Builtin {
    spec: ToolSpec,
    kind: ToolKind,
}

impl ToolHandler for Builtin {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    fn kind(&self) -> ToolKind {
        self.kind
    }

    fn handle<'a>(
        &'a self,
        call: &'a ToolCallRequest,
        ctx: &'a ToolContext,
        writes: Writes,
    ) -> BoxFuture<'a, ToolOutcome> {
        if call.name == SKILL {
            let outcome = match ctx.skills.read() {
                Ok(skills) => skill::load(&skills, &call.arguments),
                Err(_) => ToolOutcome::error("the skills are unavailable"),
            };
            return async move { outcome }.boxed();
        }
        match self.kind {
            ToolKind::ReadOnly | ToolKind::Write => {
                let call = call.clone();
                let workspace = ctx.workspace.clone();
                let limits = ctx.limits.clone();
                let folders = if call.name == READ_FILE {
                    ctx.skill_folders()
                } else {
                    Vec::new()
                };
                async move {
                    tokio::task::spawn_blocking(move || {
                        fs::execute(&call, &workspace, &limits, writes, &folders)
                    })
                    .await
                    .unwrap_or_else(|e| ToolOutcome::error(format!("the tool failed: {e}")))
                }
                .boxed()
            }
            ToolKind::Shell => shell::execute(call, ctx, writes).boxed(),
            ToolKind::Plan | ToolKind::Step | ToolKind::External | ToolKind::Agent => {
                let text = format!(
                    "`{}` is handled by the session, not run as a tool",
                    call.name
                );
                async move { ToolOutcome::error(text) }.boxed()
            }
        }
    }
}

fn spec(name: &str, description: &str, parameters: serde_json::Value) -> ToolSpec {
    ToolSpec {
        name: name.to_string(),
        description: description.to_string(),
        parameters,
    }
}

fn tool(kind: ToolKind, spec: ToolSpec) -> Arc<dyn ToolHandler> {
    Arc::new(Builtin { spec, kind })
}

impl Registry {
    /// gearshift's own tools.
    #[must_use]
    pub fn builtin() -> Registry {
        let mut registry = Registry::default();
        for tool in tools() {
            // Built-in names are distinct constants; a clash is a programming error caught
            // by the registry's tests.
            let _ = registry.register(tool);
        }
        registry
    }
}

/// Every built-in tool, in the order requests list them.
pub(super) fn tools() -> Vec<Arc<dyn ToolHandler>> {
    let mut all = reading();
    all.extend(writing());
    all.extend(plans_and_commands());
    all
}

/// The tools that read: skills, files, folders, globs and searches.
fn reading() -> Vec<Arc<dyn ToolHandler>> {
    use ToolKind::ReadOnly;
    vec![
        tool(
            ReadOnly,
            spec(
                SKILL,
                "Load a skill from the catalog in your instructions: its full instructions, the \
             absolute path of its folder and the files bundled there. Load one before a task its \
             description fits, then follow it.",
                json!({"type": "object", "properties": {
                "name": {"type": "string", "description": "The skill's name, as the catalog gives it"}
            }, "required": ["name"]}),
            ),
        ),
        tool(
            ReadOnly,
            spec(
                READ_FILE,
                "Read a text file of the workspace (or, by its absolute path, a file bundled in a \
             loaded skill's folder). Lines come numbered as `N\\t<text>`; the numbers are not part \
             of the file. Large files are cut: ask for a line range.",
                json!({"type": "object", "properties": {
                "path": {"type": "string", "description": "Path relative to the workspace root"},
                "start_line": {"type": "integer", "minimum": 1, "description": "First line, from 1"},
                "end_line": {"type": "integer", "minimum": 1, "description": "Last line, inclusive"}
            }, "required": ["path"]}),
            ),
        ),
        tool(
            ReadOnly,
            spec(
                LIST_DIR,
                "List a directory of the workspace: directories end with `/`, files show their size.",
                json!({"type": "object", "properties": {
                    "path": {"type": "string", "description": "Directory, default the workspace root"}
                }}),
            ),
        ),
        tool(
            ReadOnly,
            spec(
                GLOB,
                "Find files by glob pattern (e.g. `src/**/*.rs`), honouring .gitignore.",
                json!({"type": "object", "properties": {
                "pattern": {"type": "string"},
                "path": {"type": "string", "description": "Directory to search, default the root"}
            }, "required": ["pattern"]}),
            ),
        ),
        tool(
            ReadOnly,
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
        ),
    ]
}

/// The tools that write files, through the one write gate.
fn writing() -> Vec<Arc<dyn ToolHandler>> {
    use ToolKind::Write;
    vec![
        tool(
            Write,
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
        ),
        tool(
            Write,
            spec(
                WRITE_FILE,
                "Create or overwrite a file with the given content; parent directories are created.",
                json!({"type": "object", "properties": {
                "path": {"type": "string"},
                "content": {"type": "string"}
            }, "required": ["path", "content"]}),
            ),
        ),
        tool(
            Write,
            spec(
                DELETE_FILE,
                "Delete a text file of the workspace.",
                json!({"type": "object", "properties": {
                "path": {"type": "string"}
            }, "required": ["path"]}),
            ),
        ),
        tool(
            Write,
            spec(
                MOVE_FILE,
                "Move or rename a text file; the target must not exist (parent directories are \
             created). Edit the content separately.",
                json!({"type": "object", "properties": {
                "from": {"type": "string"},
                "to": {"type": "string"}
            }, "required": ["from", "to"]}),
            ),
        ),
    ]
}

/// The plan's tools and the command tool.
fn plans_and_commands() -> Vec<Arc<dyn ToolHandler>> {
    use ToolKind::{Plan, Shell, Step};
    vec![
        tool(
            Plan,
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
                "children": {"type": "array", "items": {"$ref": "#/$defs/step"}},
                "independent": {"type": "boolean", "description": "True when the step \
                    shares no file with the steps next to it also marked independent: they \
                    may then run at the same time"}
            }, "required": ["title"]}}}),
            ),
        ),
        tool(
            Step,
            spec(
                COMPLETE_STEP,
                "Finish the plan step you were given; the user reviews it before the next one.",
                json!({"type": "object", "properties": {
                "summary": {"type": "string", "description": "What was done, in a few lines"}
            }, "required": ["summary"]}),
            ),
        ),
        tool(
            Step,
            spec(
                FAIL_STEP,
                "Give up on the plan step you were given, saying why; execution stops there.",
                json!({"type": "object", "properties": {
                "reason": {"type": "string"}
            }, "required": ["reason"]}),
            ),
        ),
        tool(
            Shell,
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
        ),
    ]
}
