//! The session and its sandbox as the status bar and the approval modal show them, and what
//! the chat says when a stored session opens.

use crate::protocol::{Event, Gear};

/// The session as the status bar shows it.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub id: String,
    pub title: String,
    pub gear: Gear,
    pub provider: String,
    pub model: String,
    /// `provider/model` as the stage bar names it (empty for the demo).
    pub model_label: String,
    pub is_demo: bool,
    pub workspace: String,
    /// Set when the session belongs to another workspace: it can be read, not continued.
    pub read_only: bool,
    /// Set when the session stopped because nothing more could be saved (or its core is
    /// gone): a prompt is not sent, and stays in the composer.
    pub stopped: bool,
    pub context_window: u64,
    pub context_tokens: u64,
    /// Dollars spent in this session; `None` when the provider has no prices.
    pub cost: Option<f64>,
    /// How the model's commands are confined, once the core has probed it.
    pub sandbox: Option<SandboxView>,
    /// The MCP servers' states, as the core last said.
    pub mcp: Vec<crate::mcp::ServerStatus>,
}

/// The command sandbox as the status bar and the approval modal show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxView {
    pub mode: String,
    pub network: bool,
    pub enforced: bool,
    pub problem: Option<String>,
}

impl SandboxView {
    /// One line for the approval modal: what the command will and will not be able to do.
    #[must_use]
    pub fn describe(&self) -> String {
        if !self.enforced {
            return match self.mode.as_str() {
                "off" => "It runs unconfined: the sandbox is off ([sandbox] mode).".into(),
                _ => "It runs unconfined: the sandbox is not in force on this system.".into(),
            };
        }
        let net = if self.network {
            "with network"
        } else {
            "no network"
        };
        match self.mode.as_str() {
            "read-only" => format!("Sandbox: it can read files but write nothing; {net}."),
            _ => format!(
                "Sandbox: it can write only the workspace and the temp dir (never .git); {net}."
            ),
        }
    }
}

/// What the chat says when a stored session opens: a fork not yet used is a fork, not a
/// resumed session. Learnt from its events as they are shown.
#[derive(Debug, Default)]
pub struct Reopened {
    /// The session it was forked from, and whether a prompt came since.
    fork: Option<(String, bool)>,
}

impl Reopened {
    pub(super) fn see(&mut self, event: &Event) {
        match event {
            Event::SessionForked { from } => self.fork = Some((from.clone(), false)),
            Event::UserMessage { .. } => {
                if let Some((_, used)) = &mut self.fork {
                    *used = true;
                }
            }
            _ => {}
        }
    }

    pub(super) fn notice(&self, short: &str) -> String {
        match &self.fork {
            Some((from, false)) => format!(
                "Opened session {short}, a fork of session {}: it goes on from here, the \
                 original is left as it is.",
                &from[..from.len().min(8)]
            ),
            _ => format!("Resumed session {short}."),
        }
    }
}
