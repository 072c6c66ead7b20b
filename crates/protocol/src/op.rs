//! What a front end asks of the core.

use serde::{Deserialize, Serialize};

use super::{Gear, PlanEdit, Verdict};

/// Requests from a front end to the core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Send a prompt to the model.
    Submit {
        text: String,
        /// Paths of files the user attached to the prompt.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<String>,
    },
    /// Stop whatever the core is doing (a stream, a tool) as soon as possible.
    Cancel,
    SetGear {
        gear: Gear,
    },
    SetModel {
        provider: String,
        model: String,
    },
    SetTitle {
        title: String,
    },
    /// Run the command the model asked for; `always` allows this exact command for the rest
    /// of the session.
    ApproveCommand {
        call_id: String,
        #[serde(default)]
        always: bool,
    },
    /// Refuse the command; the reason goes to the model.
    DenyCommand {
        call_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Decide one hunk of the change under review.
    DecideHunk {
        change: String,
        hunk: String,
        #[serde(flatten)]
        verdict: Verdict,
    },
    /// Attach a comment for the model to a hunk (an empty comment removes it).
    CommentHunk {
        change: String,
        hunk: String,
        comment: String,
    },
    /// Write the accepted hunks and tell the model the decisions.
    SubmitReview {
        change: String,
    },
    /// Withdraw the change and ask the model for a fresh proposal (after a conflict, say).
    Repropose {
        change: String,
    },
    /// Undo the last applied change that is not undone yet.
    Undo,
    /// Leave a conversation message out of future requests (or bring it back).
    DropItem {
        item: usize,
        dropped: bool,
    },
    /// Keep a conversation message verbatim through compaction (or stop keeping it).
    PinItem {
        item: usize,
        pinned: bool,
    },
    /// Summarise the older turns now.
    Compact,
    /// `/compact FOCUS`: summarise them now, keeping most of what `focus` names.
    CompactFocus {
        focus: String,
    },
    /// Take back the last prompt sent while the model worked and not delivered yet (to edit
    /// it); answered by [`Event::Unqueued`](super::Event::Unqueued).
    Unqueue,
    /// `!command` in the composer: the human runs a shell command (no approval: they typed
    /// it); its output goes to the model with the next prompt.
    Shell {
        command: String,
    },
    /// Change the plan (approve, reject, edit, add, delete, move, comment).
    EditPlan {
        #[serde(flatten)]
        edit: PlanEdit,
    },
    /// Send the plan's comments to the model for a revised plan.
    RevisePlan,
    /// Pass the current step's gate and run the next approved step (`all`: every remaining
    /// one, each still waiting for its changes to be decided).
    Go {
        #[serde(default)]
        all: bool,
    },
    /// Mark the step the model left incomplete as done, deliberately.
    MarkStepDone,
    /// Pass the current pipeline stage's gate.
    PassGate,
    /// Send the current stage back to the model with comments.
    SendBack {
        comments: String,
    },
    /// Skip the current stage (recorded).
    SkipStage,
    /// `/mcp restart NAME`: stop the MCP server if it runs, and start it again.
    RestartMcp {
        server: String,
    },
    Quit,
}

/// A command the composer can send as `/name args`, which the core expands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandInfo {
    pub name: String,
    /// What its arguments are (`argument-hint`).
    #[serde(default)]
    pub hint: String,
    pub description: String,
    pub kind: CommandKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// A skill: its instructions follow the prompt.
    Skill,
    /// A prompt template (`commands/NAME.md`): it becomes the prompt, `$ARGUMENTS` filled in.
    Custom,
    /// An MCP server's prompt (`/mcp__server__prompt args`): its messages become the prompt.
    McpPrompt,
}
