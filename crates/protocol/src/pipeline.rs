//! What events say of a pipeline: its definition as a run starts with it, and what happened to
//! each stage. Loading pipelines and running them are `crate::pipeline`'s.

use serde::{Deserialize, Serialize};

/// What a stage does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// The model writes the stage's artifact (reviewed hunk by hunk).
    #[default]
    Artifact,
    /// The model proposes a plan of tasks (the plan gear's machinery and keys).
    Plan,
    /// The approved tasks run one at a time behind their review gates.
    RunPlan,
    /// The test command runs; failures go back to the model.
    Verify,
    /// The artifact ends in a commit message, committed after approval in a git repository.
    Ship,
}

/// How a stage is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gate {
    /// The human passes it (or sends the stage back, or skips it).
    Human,
    /// The test command must pass.
    Command,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageDef {
    pub name: String,
    pub skill: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
    #[serde(default)]
    pub kind: StageKind,
    pub gate: Gate,
    /// The tools the stage may use (all the kind offers when unset); the tool it needs for its
    /// artifact is kept whatever the list says (see `core::shape`). A skill's `allowed-tools`
    /// is something else: what it may run without asking (`tools::grants`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub stages: Vec<StageDef>,
}

/// What happened to a stage; the pipeline's part of the session log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage_event", rename_all = "snake_case")]
pub enum StageEvent {
    Started {
        stage: String,
    },
    /// The stage's work is done and its gate waits.
    AtGate {
        stage: String,
    },
    GatePassed {
        stage: String,
    },
    /// The human sent the stage back with comments; it runs again.
    SentBack {
        stage: String,
        comments: String,
    },
    Skipped {
        stage: String,
    },
    /// The human replied while the stage waited at its gate (answering the model's question,
    /// say): the stage runs again with its tools, and its gate waits again after the turn.
    Answered {
        stage: String,
    },
    /// The test command failed in verify round `round`.
    VerifyFailed {
        round: u32,
        output: String,
    },
}
