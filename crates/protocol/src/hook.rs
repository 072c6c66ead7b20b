//! What a hook run is recorded as: the moment it ran at ([`HookEvent`]), what it did
//! ([`HookOutcome`]) and the run as a whole ([`HookRun`]), shown as one line. Running hooks is
//! `crate::hooks`'s.

use serde::{Deserialize, Serialize};

/// The moments a hook can run at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum HookEvent {
    /// A session starts or resumes; the matcher sees `startup` or `resume`. Its output is
    /// added to the model's context.
    SessionStart,
    /// The human sent a prompt, before the model sees it. A block withdraws the prompt; the
    /// output is added to the context.
    UserPromptSubmit,
    /// Before a tool call is approved or run; the matcher sees the tool's name. A block
    /// refuses the call and tells the model why.
    PreToolUse,
    /// After a tool returned, before the model reads the result; a block's reason is added
    /// to the result.
    PostToolUse,
    /// The model ended its reply. A block makes it go on, with the reason as the next
    /// message.
    Stop,
    /// Something waits for the human; the matcher sees `command`, `change`, `plan` or
    /// `stage`.
    GateReached,
    /// A pipeline stage starts; the matcher sees its name.
    StageStarted,
    /// The human passed a stage's gate; the matcher sees its name.
    StagePassed,
    /// A change reached the disk (a vibe edit, or a reviewed change); the matcher sees the
    /// path.
    ChangeApplied,
    /// Claude Code's: something waits for the human (a command, a change, a plan, a stage's
    /// gate); the matcher sees `permission_prompt`, the input carries `message`.
    Notification,
    /// Claude Code's: a compaction starts; the matcher sees `manual` (`/compact`) or `auto`,
    /// the input carries `trigger` and `custom_instructions`. It runs beside the compaction.
    PreCompact,
    /// Claude Code's: the session ends (gearshift quits, `exec` is done); the matcher and the
    /// input's `reason` are `prompt_input_exit` (the human quit) or `other`. gearshift waits
    /// for it (each handler's timeout) before it exits.
    SessionEnd,
}

impl HookEvent {
    pub const ALL: [HookEvent; 12] = [
        HookEvent::SessionStart,
        HookEvent::UserPromptSubmit,
        HookEvent::PreToolUse,
        HookEvent::PostToolUse,
        HookEvent::Stop,
        HookEvent::GateReached,
        HookEvent::StageStarted,
        HookEvent::StagePassed,
        HookEvent::ChangeApplied,
        HookEvent::Notification,
        HookEvent::PreCompact,
        HookEvent::SessionEnd,
    ];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            HookEvent::SessionStart => "SessionStart",
            HookEvent::UserPromptSubmit => "UserPromptSubmit",
            HookEvent::PreToolUse => "PreToolUse",
            HookEvent::PostToolUse => "PostToolUse",
            HookEvent::Stop => "Stop",
            HookEvent::GateReached => "GateReached",
            HookEvent::StageStarted => "StageStarted",
            HookEvent::StagePassed => "StagePassed",
            HookEvent::ChangeApplied => "ChangeApplied",
            HookEvent::Notification => "Notification",
            HookEvent::PreCompact => "PreCompact",
            HookEvent::SessionEnd => "SessionEnd",
        }
    }

    #[must_use]
    pub fn named(name: &str) -> Option<HookEvent> {
        HookEvent::ALL.into_iter().find(|e| e.name() == name)
    }

    /// Whether a block stops what the event is about; for the others it only tells the model.
    #[must_use]
    pub fn can_block(self) -> bool {
        matches!(
            self,
            HookEvent::UserPromptSubmit
                | HookEvent::PreToolUse
                | HookEvent::PostToolUse
                | HookEvent::Stop
        )
    }
}

impl std::fmt::Display for HookEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

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

/// `text` on one line, cut at 160 characters.
pub fn one_line(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 160 {
        format!("{}…", flat.chars().take(160).collect::<String>())
    } else {
        flat
    }
}
