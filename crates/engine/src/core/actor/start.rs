//! How a session starts: the actor built from what the session needs, and what it says and
//! finds before the first prompt (warnings, the context, a pending approval or review, the
//! pipeline, MCP servers starting, the start hooks).

use std::collections::VecDeque;

use tokio::sync::mpsc;

use super::activity::Activity;
use super::deps::SessionDeps;
use super::outbox::Outbox;
use super::{Actor, from_agents, models};
use crate::context::Ledger;
use crate::core::SessionState;
use crate::protocol::tap::{Origin, Started};
use crate::protocol::{Event, NoticeLevel};

impl Actor {
    pub(super) fn new(
        deps: SessionDeps,
        state: SessionState,
        events: mpsc::UnboundedSender<Event>,
    ) -> Actor {
        let tap = deps.tap.clone().map(|tap| {
            let sub = state.subagent.as_ref();
            let origin = Origin {
                session: state.id.clone(),
                agent: sub.map(|s| s.agent.clone()),
                parent: sub.map(|s| s.parent.clone()),
            };
            (tap, origin)
        });
        let outbox = Outbox {
            tx: events,
            secrets: deps.tools.runner.secrets.clone(),
            tap,
        };
        let (forward_tx, forward_rx) = from_agents::channel();
        Actor {
            deps,
            state,
            events: outbox,
            activity: Activity::Idle,
            queue: VecDeque::new(),
            round: 0,
            prompts: VecDeque::new(),
            memory: String::new(),
            catalog: String::new(),
            frozen: None,
            skills_said: (Vec::new(), Vec::new()),
            listed_commands: Vec::new(),
            custom: std::collections::BTreeMap::new(),
            ledger: Ledger::default(),
            sent_raw: 0,
            last_report: None,
            end_turn: false,
            run_all: false,
            sandbox: None,
            probe: None,
            stopped: false,
            quit: false,
            granted: Vec::new(),
            memory_scan: 0,
            folders_seen: std::collections::HashSet::new(),
            models: models::Models::default(),
            hook_notes: Vec::new(),
            stop_continues: 0,
            transcript: None,
            pending_reply: None,
            generated: false,
            watching: tokio::task::JoinSet::new(),
            mcp: crate::mcp::servers::Servers::default(),
            agents: std::collections::BTreeMap::new(),
            subagents: Vec::new(),
            workers: Vec::new(),
            handles: 0,
            forward_tx,
            forward_rx,
            asked: from_agents::Asked::default(),
            reviews: super::reviews::Reviews::default(),
            ending: Vec::new(),
        }
    }

    /// Starts the sandbox probe and says, reads and resumes what the session holds.
    pub(super) async fn start(&mut self) {
        let runner = self.deps.tools.runner.clone();
        self.probe = Some(tokio::task::spawn_blocking(move || runner.sandbox.probe()));
        self.events.started(&Started {
            gear: self.state.gear,
            provider: self.state.provider.clone(),
            model: self.state.model.clone(),
            resumed: self.state.messages > 0,
            interactive: self.deps.interactive,
            tools: self
                .deps
                .tools
                .registry
                .names()
                .map(str::to_string)
                .collect(),
        });
        // A model the catalog does not know runs on the provider's figures: said once, at start,
        // and not stored (it describes this run's configuration, not the session).
        for text in &self.deps.config_problems {
            let _ = self.events.send(Event::Notice {
                level: NoticeLevel::Warning,
                text: text.clone(),
            });
        }
        if let Some(text) = self.deps.provider.unknown_model_notice() {
            let _ = self.events.send(Event::Notice {
                level: NoticeLevel::Info,
                text,
            });
        }
        // What fills the window is on screen before the first prompt.
        self.memory = self.read_memory();
        self.find_skills();
        self.find_agents();
        self.check_models().await;
        self.report_context();
        self.resume_approval().await;
        self.resume_review().await;
        self.preview_pipeline();
        // MCP servers start in the background: nothing here waits for them.
        self.start_mcp();
        // A resumed approval waits first; the hooks of the session's start run otherwise.
        if matches!(self.activity, Activity::Idle) {
            self.session_start_hooks();
        }
    }
}
