//! A listener on what sessions say, besides their front end: telemetry listens here.
//!
//! Every event a session actor sends its front end — recorded or not, with every key
//! redacted — is also offered to the [`Tap`], tagged with the session it comes from. A tap must
//! not block: it is called on the session's own path, so it copies what it wants onto a
//! bounded queue of its own and returns (dropping, and counting, what does not fit).

use std::time::SystemTime;

use crate::{Event, Gear};

/// Which session an event comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    pub session: String,
    /// The agent's name when the session is a subagent's (`explorer`, a worker).
    pub agent: Option<String>,
    /// The session whose model started it, for a subagent.
    pub parent: Option<String>,
}

/// A session's actor starting: a new session, or one reopened with its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub gear: Gear,
    pub provider: String,
    pub model: String,
    pub resumed: bool,
    /// A human drives it from the workbench; else a headless run (`exec`) or a subagent,
    /// whose decisions are the flags' and the rules'.
    pub interactive: bool,
    /// The tools it has at start (its registry's names): a tool call naming any other is the
    /// model's own text, which telemetry never sends as a name.
    pub tools: Vec<String>,
}

/// What listens to every session's events.
pub trait Tap: Send + Sync {
    /// A session's actor started, at `at`.
    fn started(&self, origin: &Origin, started: &Started, at: SystemTime);
    /// One event, as its front end gets it, at `at`. Must return at once.
    fn event(&self, origin: &Origin, event: &Event, at: SystemTime);
    /// Something the human should be told once (the collector stopped answering, say), taken
    /// when it is said. `None` most of the time.
    fn problem(&self) -> Option<String>;
}
