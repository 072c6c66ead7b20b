//! The core: one actor per session that turns [`Op`]s into persisted [`Event`]s.
//!
//! Decisions are pure ([`state::decide`]); this module only does the IO around them, in the
//! order the design requires: an event is committed to the store *before* it is applied or
//! shown, so a crash never shows the user something that was not saved.

pub mod state;
pub mod turn;

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::config::ActiveProvider;
use crate::protocol::{ErrorKind, Event, Gear, Op, SessionMeta};
use crate::provider::{ModelClient, ModelStream, ProviderError, StreamEvent};
use crate::store::{Reader, Store, StoreError, new_session_id, now_ms};
pub use state::{Decision, SessionState, decide};
use turn::{TurnEnd, TurnProgress};

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

/// The most streamed text folded into one delta for the front end.
const MAX_DELTA_BYTES: usize = 64 * 1024;

/// What a session actor needs besides its state.
#[derive(Clone)]
pub struct SessionDeps {
    pub store: Store,
    pub client: Arc<dyn ModelClient>,
    pub provider: ActiveProvider,
}

/// A model turn in flight.
struct RunningTurn {
    stream: ModelStream,
    progress: TurnProgress,
}

/// The next event of the running turn; pending forever when there is none, so `select!` can
/// always poll it.
async fn next_stream_event(
    turn: &mut Option<RunningTurn>,
) -> Option<Result<StreamEvent, ProviderError>> {
    match turn {
        Some(t) => t.stream.next().await,
        None => std::future::pending().await,
    }
}

/// Runs the session actor until it receives [`Op::Quit`] or every sender is dropped.
///
/// Ops are handled while a turn streams, so a cancel takes effect at once: dropping the stream
/// aborts the request, and what arrived is recorded as an interrupted reply.
pub async fn run_session(
    deps: SessionDeps,
    mut state: SessionState,
    mut ops: mpsc::UnboundedReceiver<Op>,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut turn: Option<RunningTurn> = None;
    // A prompt arrived while a turn was running: answer it when that turn ends.
    let mut owed = false;
    loop {
        tokio::select! {
            op = ops.recv() => {
                let Some(op) = op else { break };
                if op == Op::Cancel {
                    if let Some(t) = turn.take() {
                        end_turn(&deps, &mut state, &events, t, &TurnEnd::Cancelled).await;
                        owed = false;
                    }
                    continue;
                }
                match decide(&state, &op) {
                    Decision::Ignore => {}
                    Decision::Stop => break,
                    Decision::Record(new) => {
                        let submitted = matches!(op, Op::Submit { .. });
                        if record(&deps.store, &mut state, &events, new).await && submitted {
                            owed = true;
                        }
                    }
                }
            }
            item = next_stream_event(&mut turn) => {
                let Some(mut t) = turn.take() else { continue };
                match item {
                    Some(Ok(event)) => {
                        // Fold in what has already arrived, so a fast stream reaches the front
                        // end as a few large deltas rather than thousands of tiny ones.
                        let mut shown = t.progress.absorb(event).unwrap_or_default();
                        let mut pending = None;
                        while shown.len() < MAX_DELTA_BYTES {
                            match t.stream.try_next() {
                                Some(Ok(e)) => {
                                    if let Some(text) = t.progress.absorb(e) {
                                        shown.push_str(&text);
                                    }
                                }
                                other => {
                                    pending = other;
                                    break;
                                }
                            }
                        }
                        if !shown.is_empty() {
                            let _ = events.send(Event::AssistantDelta { text: shown });
                        }
                        match pending {
                            Some(Err(e)) => {
                                end_turn(&deps, &mut state, &events, t, &TurnEnd::Failed(e)).await;
                            }
                            _ => turn = Some(t),
                        }
                    }
                    None => end_turn(&deps, &mut state, &events, t, &TurnEnd::Completed).await,
                    Some(Err(e)) => end_turn(&deps, &mut state, &events, t, &TurnEnd::Failed(e)).await,
                }
            }
        }
        if owed && turn.is_none() {
            owed = false;
            turn = start_turn(&deps, &mut state, &events).await;
        }
    }
    if let Some(t) = turn.take() {
        end_turn(&deps, &mut state, &events, t, &TurnEnd::Cancelled).await;
    }
    // Commit anything queued before the front end restores the terminal and exits.
    let store = deps.store.clone();
    let _ = tokio::task::spawn_blocking(move || store.flush_blocking()).await;
}

async fn start_turn(
    deps: &SessionDeps,
    state: &mut SessionState,
    events: &mpsc::UnboundedSender<Event>,
) -> Option<RunningTurn> {
    let number = state.turns + 1;
    if !record(
        &deps.store,
        state,
        events,
        vec![Event::TurnStarted { turn: number }],
    )
    .await
    {
        return None;
    }
    let request = turn::build_request(state, &deps.provider);
    tracing::info!(turn = number, provider = %deps.client.provider(), "turn started");
    Some(RunningTurn {
        stream: deps.client.stream(request),
        progress: TurnProgress::default(),
    })
}

async fn end_turn(
    deps: &SessionDeps,
    state: &mut SessionState,
    events: &mpsc::UnboundedSender<Event>,
    turn: RunningTurn,
    end: &TurnEnd,
) {
    // Dropping the stream first aborts a request still in flight.
    let RunningTurn { stream, progress } = turn;
    drop(stream);
    if let TurnEnd::Failed(e) = end {
        tracing::warn!(error = %e, "turn failed");
    }
    let finished = turn::finish_events(progress, end, &deps.provider);
    record(&deps.store, state, events, finished).await;
}

/// Commits events, then applies and emits them. Returns whether they were saved.
async fn record(
    store: &Store,
    state: &mut SessionState,
    events: &mpsc::UnboundedSender<Event>,
    new: Vec<Event>,
) -> bool {
    match store.append_acked(&state.id, new.clone()).await {
        Ok(Ok(_)) => {
            for e in new {
                state.apply(&e);
                let _ = events.send(e);
            }
            true
        }
        Ok(Err(e)) => {
            report(events, &e.to_string());
            false
        }
        Err(_) => {
            report(events, "the session store stopped; nothing more is saved");
            false
        }
    }
}

fn report(events: &mpsc::UnboundedSender<Event>, message: &str) {
    tracing::error!(message, "store failure");
    let _ = events.send(Event::Error {
        kind: ErrorKind::Store,
        message: format!("not saved: {message}"),
    });
}
