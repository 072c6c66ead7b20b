//! The core: one actor per session that turns [`Op`]s into persisted [`Event`]s.
//!
//! Decisions are pure ([`decide::decide`]); this module only does the IO around them, in the
//! order the design requires: an event is committed to the store *before* it is applied or
//! shown, so a crash never shows the user something that was not saved.

pub mod accounting;
mod actor;
pub mod commands;
pub mod compaction;
pub mod decide;
pub mod drift;
pub mod frozen;
pub mod machine;
pub mod memory;
pub mod prompts;
pub mod routing;
pub mod shape;
pub mod state;
pub mod turn;

use crate::config::ActiveProvider;
use crate::protocol::{Event, Gear, SessionMeta};
use crate::store::{Reader, Store, StoreError, new_session_id, now_ms};
pub use actor::{ModelSwitch, SessionDeps, run_session};
pub use decide::{Decision, decide};
pub use machine::{ApprovalMode, ApprovalPolicy};
pub use state::SessionState;

/// Which session to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenRequest {
    New,
    /// A session ID or unique prefix.
    Resume(String),
    /// The newest session of the workspace.
    ContinueLatest,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("there is no earlier session in {0} to continue; start without --continue")]
    NothingToContinue(String),
}

/// An open session: its state and its history, for the front end to show.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    pub state: SessionState,
    /// Whether it is a stored session opened again (its events are read from the store, a
    /// page at a time, by whoever shows them: see [`crate::store::Reader::pages`]).
    pub resumed: bool,
}

/// Loads a session to read without continuing it (nothing is appended).
pub fn load_session(reader: &Reader, id: &str) -> Result<OpenedSession, OpenError> {
    let mut state = SessionState::default();
    let mut any = false;
    for e in reader.pages(id) {
        state.apply(&e?.event);
        any = true;
    }
    if !any {
        return Err(OpenError::Store(StoreError::UnknownSession(id.to_string())));
    }
    Ok(OpenedSession {
        state: state.finish(),
        resumed: true,
    })
}

/// Opens a new session or resumes one. A resumed session records that at once; a new one is
/// written with its first prompt (its opening event waits in [`SessionState::unsaved`]), so
/// starting and quitting without a prompt leaves no empty session for `--continue` to find.
pub fn open_session(
    store: &Store,
    reader: &Reader,
    workspace: &str,
    provider: &ActiveProvider,
    gear: Gear,
    request: &OpenRequest,
) -> Result<OpenedSession, OpenError> {
    let existing = match request {
        OpenRequest::New => None,
        OpenRequest::Resume(prefix) => Some(reader.resolve_id(prefix)?),
        OpenRequest::ContinueLatest => Some(
            reader
                .latest_in_workspace(workspace)?
                .ok_or_else(|| OpenError::NothingToContinue(workspace.to_string()))?,
        ),
    };
    let Some(id) = existing else {
        return Ok(OpenedSession {
            state: new_session(workspace, gear, provider, None),
            resumed: false,
        });
    };
    let mut state = SessionState::default();
    // Folded a page at a time: a long session is never all in memory as events.
    for e in reader.pages(&id) {
        state.apply(&e?.event);
    }
    let resumed = Event::SessionResumed {
        provider: provider.name.clone(),
        model: provider.model.clone(),
    };
    store.append_blocking(&id, vec![resumed.clone()])?;
    state.apply(&resumed);
    Ok(OpenedSession {
        state: state.finish(),
        resumed: true,
    })
}

/// A new session's state (a subagent's when `subagent` says whose): its opening event waits
/// in [`SessionState::unsaved`], to be written with its first prompt.
#[must_use]
pub fn new_session(
    workspace: &str,
    gear: Gear,
    provider: &ActiveProvider,
    subagent: Option<crate::protocol::Subagent>,
) -> SessionState {
    let opened = Event::SessionOpened {
        meta: SessionMeta {
            id: new_session_id(),
            workspace: workspace.to_string(),
            gear,
            provider: provider.name.clone(),
            model: provider.model.clone(),
            created_at: now_ms(),
            subagent,
        },
    };
    let mut state = SessionState::default();
    state.apply(&opened);
    let mut state = state.finish();
    state.unsaved.push(opened);
    state
}
