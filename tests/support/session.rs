//! A core session actor on a real store in a temp dir, for driving turns from tests.

use std::path::Path;
use std::time::Duration;

use gearshift::config::{ActiveProvider, from_layers};
use gearshift::core::{self, ApprovalMode, OpenRequest, SessionDeps};
use gearshift::protocol::{Event, Gear, Op};
use gearshift::provider::client_for;
use gearshift::store::{Reader, Store};
use tokio::sync::mpsc;

pub const KEY: &str = "sk-turns-test-4e1d";

pub fn provider(config_extra: &str, name: &str) -> ActiveProvider {
    let mut config = from_layers(&[config_extra]).unwrap();
    config.provider = Some(name.into());
    config.active_provider().unwrap()
}

pub struct Session {
    pub ops: mpsc::UnboundedSender<Op>,
    pub events: mpsc::UnboundedReceiver<Event>,
    pub id: String,
    pub db: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

pub async fn start(p: &ActiveProvider, workspace: &Path) -> Session {
    start_with(p, workspace, ApprovalMode::Ask, "").await
}

/// `config_extra` patches the defaults (e.g. `[agent]` limits).
pub async fn start_with(
    p: &ActiveProvider,
    workspace: &Path,
    mode: ApprovalMode,
    config_extra: &str,
) -> Session {
    let dir = tempfile::tempdir().unwrap();
    open_with(
        p,
        workspace,
        mode,
        config_extra,
        dir,
        OpenRequest::New,
        (None, None),
    )
    .await
}

/// Switches to any provider of `config_text`, its key from `env`.
pub fn switch_for(workspace: &Path, config_text: &str, env: &[(&str, &str)]) -> core::ModelSwitch {
    let config = from_layers(&[config_text]).unwrap();
    let env: std::collections::BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    let ws = workspace.to_path_buf();
    std::sync::Arc::new(move |provider, model| {
        let active = config
            .provider_named(provider, Some(model))
            .map_err(|e| e.to_string())?;
        let client =
            client_for(&active, &|var| env.get(var).cloned(), &ws).map_err(|e| e.to_string())?;
        Ok((active, client))
    })
}

/// A new session that can switch models: any provider of `config_text`, its key from `env`.
pub async fn start_switching(
    p: &ActiveProvider,
    workspace: &Path,
    config_text: &str,
    env: &[(&str, &str)],
) -> Session {
    let switch = switch_for(workspace, config_text, env);
    let dir = tempfile::tempdir().unwrap();
    open_with(
        p,
        workspace,
        ApprovalMode::Ask,
        config_text,
        dir,
        OpenRequest::New,
        (None, Some(switch)),
    )
    .await
}

/// A new session whose user's home is `home` (their skills, their global memory file).
pub async fn start_at_home(p: &ActiveProvider, workspace: &Path, home: &Path) -> Session {
    start_at_home_with(p, workspace, home, "").await
}

/// A new session whose user's home is `home`, under `config_text`.
pub async fn start_at_home_with(
    p: &ActiveProvider,
    workspace: &Path,
    home: &Path,
    config_text: &str,
) -> Session {
    let dir = tempfile::tempdir().unwrap();
    open_with(
        p,
        workspace,
        ApprovalMode::Ask,
        config_text,
        dir,
        OpenRequest::New,
        (Some(home), None),
    )
    .await
}

/// Opens the session again in a new actor, as a new gearshift process would: `old` stops
/// first (its store is closed when its actor ends).
pub async fn resume(
    old: Session,
    p: &ActiveProvider,
    workspace: &Path,
    config_extra: &str,
) -> Session {
    resume_with(old, p, workspace, config_extra, None).await
}

/// [`resume`], with a way to switch models.
pub async fn resume_with(
    old: Session,
    p: &ActiveProvider,
    workspace: &Path,
    config_extra: &str,
    switch: Option<core::ModelSwitch>,
) -> Session {
    old.ops.send(Op::Quit).unwrap();
    let Session {
        id,
        _dir: dir,
        mut events,
        ..
    } = old;
    // The actor has flushed and ended when its event channel closes.
    while events.recv().await.is_some() {}
    open_with(
        p,
        workspace,
        ApprovalMode::Ask,
        config_extra,
        dir,
        OpenRequest::Resume(id),
        (None, switch),
    )
    .await
}

async fn open_with(
    p: &ActiveProvider,
    workspace: &Path,
    mode: ApprovalMode,
    config_extra: &str,
    dir: tempfile::TempDir,
    request: OpenRequest,
    (home, switch): (Option<&Path>, Option<core::ModelSwitch>),
) -> Session {
    let config = from_layers(&[config_extra]).unwrap();
    // Named as gearshift names it, so `gearshift --home DIR` reads it (a replay).
    let db = dir.path().join("gearshift.db");
    // Opening blocks on the store, as it does before the TUI starts: not on a runtime thread.
    let (store, opened) = {
        let (db, p) = (db.clone(), p.clone());
        let ws = workspace.to_string_lossy().into_owned();
        tokio::task::spawn_blocking(move || {
            let store = Store::open(&db).unwrap();
            let reader = store.reader().unwrap();
            let opened =
                core::open_session(&store, &reader, &ws, &p, Gear::Vibe, &request).unwrap();
            (store, opened)
        })
        .await
        .unwrap()
    };
    let client = client_for(p, &|_| Some(KEY.to_string()), workspace).unwrap();
    let (ops, op_rx) = mpsc::unbounded_channel();
    let (ev_tx, events) = mpsc::unbounded_channel();
    let mut deps = SessionDeps::new(store, client, p.clone(), &config, workspace, mode)
        .unwrap()
        .with_sandbox_helper(Some(env!("CARGO_BIN_EXE_gearshift").into()));
    deps.home_dir = home.map(Path::to_path_buf);
    deps.switch = switch;
    let id = opened.state.id.clone();
    tokio::spawn(core::run_session(deps, opened.state, op_rx, ev_tx));
    Session {
        ops,
        events,
        id,
        db,
        _dir: dir,
    }
}

impl Session {
    pub fn submit(&self, text: &str) {
        self.ops
            .send(Op::Submit {
                text: text.into(),
                attachments: vec![],
            })
            .unwrap();
    }

    /// Events until (and including) the first that `stop` accepts.
    pub async fn until(&mut self, stop: impl Fn(&Event) -> bool) -> Vec<Event> {
        let mut out = Vec::new();
        loop {
            let e = tokio::time::timeout(Duration::from_secs(20), self.events.recv())
                .await
                .expect("the awaited event did not come")
                .unwrap();
            let done = stop(&e);
            out.push(e);
            if done {
                return out;
            }
        }
    }

    pub fn send(&self, op: Op) {
        self.ops.send(op).unwrap();
    }

    /// Waits for the next command approval a subagent (or a plan step's worker) asks of the
    /// human through the session: who asks, and the question; with every event seen until
    /// then.
    pub async fn next_agent_question(&mut self) -> (AgentQuestion, Vec<Event>) {
        let seen = self
            .until(|e| {
                matches!(e, Event::FromAgent { event, .. }
                    if matches!(**event, Event::CommandApprovalRequested { .. }))
            })
            .await;
        let Some(Event::FromAgent { id, agent, event }) = seen.last() else {
            unreachable!()
        };
        let Event::CommandApprovalRequested {
            id: question,
            command,
            ..
        } = &**event
        else {
            unreachable!()
        };
        let asked = AgentQuestion {
            asker: id.clone(),
            agent: agent.clone(),
            id: question.clone(),
            command: command.clone(),
        };
        (asked, seen)
    }

    /// Waits for the next proposed change: its id and its hunks' ids.
    pub async fn next_proposal(&mut self) -> (String, Vec<String>) {
        let seen = self
            .until(|e| matches!(e, Event::ChangeProposed { .. }))
            .await;
        let mut log = gearshift::changes::review::ChangeLog::default();
        log.apply(seen.last().unwrap());
        let entry = &log.entries[0];
        let hunks = entry.hunks.iter().map(|h| h.id.clone()).collect();
        (entry.id.clone(), hunks)
    }

    /// Accepts every hunk of the next proposed change and submits the review.
    pub async fn accept_next_change(&mut self) {
        let (change, hunks) = self.next_proposal().await;
        self.decide_all(&change, &hunks, &gearshift::protocol::Verdict::Accept);
    }

    /// Accepts every hunk of `proposed` (a `ChangeProposed` event) and submits the review.
    pub fn accept(&self, proposed: &Event) {
        let mut log = gearshift::changes::review::ChangeLog::default();
        log.apply(proposed);
        let entry = &log.entries[0];
        let hunks: Vec<String> = entry.hunks.iter().map(|h| h.id.clone()).collect();
        self.decide_all(&entry.id, &hunks, &gearshift::protocol::Verdict::Accept);
    }

    /// Decides every hunk of `change` as `verdict` and submits the review.
    pub fn decide_all(
        &self,
        change: &str,
        hunks: &[String],
        verdict: &gearshift::protocol::Verdict,
    ) {
        for hunk in hunks {
            self.send(Op::DecideHunk {
                change: change.into(),
                hunk: hunk.clone(),
                verdict: verdict.clone(),
            });
        }
        self.send(Op::SubmitReview {
            change: change.into(),
        });
    }

    /// Events until the pipeline stage `stage` waits at its gate.
    pub async fn at_gate(&mut self, stage: &str) -> Vec<Event> {
        self.until(|e| {
            matches!(e, Event::Stage { event: gearshift::pipeline::StageEvent::AtGate { stage: st } } if st == stage)
        })
        .await
    }

    /// Cancels (Esc) and returns the events until the turn finishes, which must be within
    /// `limit`.
    pub async fn cancel_within(&mut self, limit: Duration) -> Vec<Event> {
        let asked = std::time::Instant::now();
        self.send(Op::Cancel);
        let seen = self.turn().await;
        let took = asked.elapsed();
        assert!(
            took < limit,
            "the turn took {took:?} to end after the cancel"
        );
        seen
    }

    /// Events until (and including) the next TurnFinished.
    pub async fn turn(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        loop {
            let e = tokio::time::timeout(Duration::from_secs(20), self.events.recv())
                .await
                .expect("turn did not finish")
                .unwrap();
            let done = matches!(e, Event::TurnFinished { .. });
            out.push(e);
            if done {
                return out;
            }
        }
    }

    pub async fn stored(&self) -> Vec<Event> {
        let db = self.db.clone();
        let id = self.id.clone();
        // The actor commits before it emits, so what was seen is already on disk.
        tokio::task::spawn_blocking(move || {
            Reader::open(&db)
                .unwrap()
                .events(&id)
                .unwrap()
                .into_iter()
                .map(|e| e.event)
                .collect()
        })
        .await
        .unwrap()
    }
}

/// The text of the first tool result among `events`.
pub fn first_result(events: &[Event]) -> Option<String> {
    events.iter().find_map(|e| match e {
        Event::ToolResult { content, .. } => Some(content.clone()),
        _ => None,
    })
}

/// A command approval a subagent asked for: the parent's name for who asks (its `task` call,
/// or `worker:<step>`), the agent, the question's id, and the command.
#[derive(Debug, Clone)]
pub struct AgentQuestion {
    pub asker: String,
    pub agent: String,
    pub id: String,
    pub command: String,
}

pub fn script_provider(dir: &Path, script: &str) -> ActiveProvider {
    std::fs::write(dir.join("script.toml"), script).unwrap();
    provider(
        "[providers.scripted]\nkind = \"script\"\nmodel = \"s\"\nscript = \"script.toml\"\ninput_price = 1.0\noutput_price = 2.0\n",
        "scripted",
    )
}
