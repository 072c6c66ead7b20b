//! The core: one actor per session that turns [`Op`]s into persisted [`Event`]s.
//!
//! Decisions are pure ([`state::decide`]); this module only does the IO around them, in the
//! order the design requires: an event is committed to the store *before* it is applied or
//! shown, so a crash never shows the user something that was not saved.

pub mod state;

use tokio::sync::mpsc;

use crate::config::ActiveProvider;
use crate::protocol::{ErrorKind, Event, Gear, Op, SessionMeta};
use crate::store::{Reader, Store, StoreError, new_session_id, now_ms};
pub use state::{Decision, SessionState, decide};

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
    /// Every persisted event, oldest first (including the ones just appended).
    pub history: Vec<Event>,
    pub resumed: bool,
}

/// Opens a new session or resumes one, and records that in the store before returning.
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
    let (id, mut history, appended) = match existing {
        Some(id) => {
            let history: Vec<Event> = reader.events(&id)?.into_iter().map(|e| e.event).collect();
            let resumed = Event::SessionResumed {
                provider: provider.name.clone(),
                model: provider.model.clone(),
            };
            (id, history, resumed)
        }
        None => {
            let id = new_session_id();
            let opened = Event::SessionOpened {
                meta: SessionMeta {
                    id: id.clone(),
                    workspace: workspace.to_string(),
                    gear,
                    provider: provider.name.clone(),
                    model: provider.model.clone(),
                    created_at: now_ms(),
                },
            };
            (id, Vec::new(), opened)
        }
    };
    store.append_blocking(&id, vec![appended.clone()])?;
    let resumed = !history.is_empty();
    history.push(appended);
    Ok(OpenedSession {
        state: SessionState::fold(&history),
        history,
        resumed,
    })
}

/// Runs the session actor until it receives [`Op::Quit`] or every sender is dropped.
pub async fn run_session(
    store: Store,
    mut state: SessionState,
    mut ops: mpsc::UnboundedReceiver<Op>,
    events: mpsc::UnboundedSender<Event>,
) {
    while let Some(op) = ops.recv().await {
        match decide(&state, &op) {
            Decision::Ignore => {}
            Decision::Stop => break,
            Decision::Record(new_events) => {
                let ack = store.append_acked(&state.id, new_events.clone());
                match ack.await {
                    Ok(Ok(_)) => {
                        for e in new_events {
                            state.apply(&e);
                            let _ = events.send(e);
                        }
                    }
                    Ok(Err(e)) => report(&events, &e.to_string()),
                    Err(_) => report(&events, "the session store stopped; nothing more is saved"),
                }
            }
        }
    }
    // Commit anything queued before the front end restores the terminal and exits.
    let _ = tokio::task::spawn_blocking(move || store.flush_blocking()).await;
}

fn report(events: &mpsc::UnboundedSender<Event>, message: &str) {
    tracing::error!(message, "store failure");
    let _ = events.send(Event::Error {
        kind: ErrorKind::Store,
        message: format!("not saved: {message}"),
    });
}
