//! The gears and what a session is opened with.

use serde::{Deserialize, Serialize};

/// How much autonomy the model has (docs/gears.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Gear {
    /// Chat, and the model edits directly.
    #[default]
    Vibe,
    /// Read-only exploration, an editable plan, gated execution.
    Plan,
    /// A skill pipeline whose every stage is gated on approval of its artifact.
    Pipeline,
}

impl Gear {
    pub const ALL: [Gear; 3] = [Gear::Vibe, Gear::Plan, Gear::Pipeline];

    /// The next gear in the vibe → plan → pipeline → vibe cycle.
    #[must_use]
    pub fn next(self) -> Gear {
        match self {
            Gear::Vibe => Gear::Plan,
            Gear::Plan => Gear::Pipeline,
            Gear::Pipeline => Gear::Vibe,
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Gear::Vibe => "vibe",
            Gear::Plan => "plan",
            Gear::Pipeline => "pipeline",
        }
    }
}

impl std::fmt::Display for Gear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Gear {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "vibe" => Ok(Gear::Vibe),
            "plan" => Ok(Gear::Plan),
            "pipeline" => Ok(Gear::Pipeline),
            other => Err(format!(
                "unknown gear `{other}`; expected vibe, plan or pipeline"
            )),
        }
    }
}

/// What a session is about, recorded when it opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionMeta {
    pub id: String,
    pub workspace: String,
    pub gear: Gear,
    pub provider: String,
    pub model: String,
    /// Unix time in milliseconds.
    pub created_at: i64,
    /// Set when a session's model started this one as a subagent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subagent: Option<Subagent>,
}

/// A subagent's session: whose it is and what it was made to be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subagent {
    /// The session whose model started it.
    pub parent: String,
    /// The agent's name (`explorer`, …).
    pub agent: String,
    /// Its system prompt: the agent definition's instructions, as they were sent.
    pub prompt: String,
}

/// A session's title until the user names it: the first prompt's first line, shortened.
#[must_use]
pub fn default_title(prompt: &str) -> String {
    const MAX_CHARS: usize = 80;
    let line = prompt
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if line.chars().count() <= MAX_CHARS {
        line.to_string()
    } else {
        let cut: String = line.chars().take(MAX_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    }
}
