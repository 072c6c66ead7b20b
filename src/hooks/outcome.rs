//! What a hook run did: its outcome as [`super::verdict`] read it, recorded as an event and
//! shown as one line.

use serde::{Deserialize, Serialize};

use super::HookEvent;

/// What one hook run did, recorded as an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum HookOutcome {
    /// Exit 0. `output` is what it printed (context for the model where the event takes it).
    Passed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<String>,
    },
    /// Exit 0 with JSON whose `hookSpecificOutput.additionalContext` is for the model (every
    /// event passes it on; plain stdout reaches the model only at `SessionStart` and
    /// `UserPromptSubmit`, as in Claude Code).
    Context { text: String },
    /// Exit 2, or a JSON block or deny.
    Blocked { reason: String },
    /// A `PreToolUse` `permissionDecision` of `ask`: the human decides the call, whatever an
    /// allowlist or a skill would have let through (as at a checkpoint).
    Ask { reason: String },
    /// A `PreToolUse` `permissionDecision` of `allow`: from the user's own hooks, the call
    /// runs without the approval prompt (never past a checkpoint or a protected path); from a
    /// workspace's, it counts as [`HookOutcome::Ask`].
    Allowed { reason: String },
    /// JSON `"continue": false`: the turn ends here, `stopReason` shown to the human (never
    /// to the model).
    Stopped { reason: String },
    /// Any other exit, or it could not start: reported, blocks nothing.
    Failed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        message: String,
    },
    /// Killed after its timeout: reported, blocks nothing.
    TimedOut { after_secs: u64 },
}

/// One hook run: which, on what, how long, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookRun {
    pub event: HookEvent,
    pub command: String,
    pub source: String,
    /// What the matcher saw (a tool name, a stage, a path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub duration_ms: u64,
    /// A workspace's hook (its `.gearshift/config.toml` or `.claude/settings*.json`), whose
    /// `allow` grants nothing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub workspace: bool,
    /// It ran in the sandbox (it may have run code the model wrote), so its `allow` grants
    /// nothing either.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confined: bool,
    /// What it wrote in the workspace through the gate (a hook in the sandbox).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wrote: Vec<String>,
    /// What it wrote that the gate did not let through (a protected or checkpointed path),
    /// with why: not on disk.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<String>,
    #[serde(flatten)]
    pub outcome: HookOutcome,
}

impl HookRun {
    /// One line for the chat pane and headless output.
    #[must_use]
    pub fn line(&self) -> String {
        let on = self
            .subject
            .as_deref()
            .map(|s| format!(" on {s}"))
            .unwrap_or_default();
        let first = one_line(&self.command);
        let first = if first.chars().count() > 48 {
            format!("{}…", first.chars().take(47).collect::<String>())
        } else {
            first
        };
        let what = match &self.outcome {
            HookOutcome::Passed { .. } => "passed".to_string(),
            HookOutcome::Context { .. } => "passed, adding context".to_string(),
            HookOutcome::Blocked { reason } => format!("blocked: {}", one_line(reason)),
            HookOutcome::Ask { reason } => format!("asks you to decide: {}", one_line(reason)),
            HookOutcome::Allowed { reason } => format!("allowed it: {}", one_line(reason)),
            HookOutcome::Stopped { reason } => format!("ended the turn: {}", one_line(reason)),
            HookOutcome::Failed {
                exit_code: Some(code),
                message,
            } => format!("failed with exit code {code}: {}", one_line(message)),
            HookOutcome::Failed { message, .. } => format!("failed: {}", one_line(message)),
            HookOutcome::TimedOut { after_secs } => {
                format!("killed after its timeout of {after_secs} s")
            }
        };
        let mut line = format!(
            "hook {}{on} `{first}` {what} ({} ms)",
            self.event, self.duration_ms
        );
        if !self.wrote.is_empty() {
            line.push_str(&format!(" · wrote {}", self.wrote.join(", ")));
        }
        if !self.withheld.is_empty() {
            line.push_str(&format!(" · ⚠ not written: {}", self.withheld.join("; ")));
        }
        line
    }
}

pub(super) fn one_line(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 160 {
        format!("{}…", flat.chars().take(160).collect::<String>())
    } else {
        flat
    }
}
