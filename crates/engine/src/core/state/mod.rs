//! The session's state as a fold over its events (`fold` has how each event changes it).
//! No IO here: the actor persists and emits what `core::decide` and the machine decide.

mod fold;
mod told;

pub use told::{instructions, instructs};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::changes::review::ChangeLog;
use crate::context::Category;
use crate::pipeline::{Run, StageEvent};
use crate::plan::Plan;
use crate::protocol::{Event, Gear};
use crate::provider::{ChatMessage, Reasoning};

/// What the core knows about a session, rebuilt on resume by folding its events.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionState {
    pub id: String,
    pub workspace: String,
    pub gear: Gear,
    pub provider: String,
    pub model: String,
    /// Whose subagent this session is, and its instructions.
    pub subagent: Option<crate::protocol::Subagent>,
    pub title: String,
    pub messages: usize,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// The prompt size of the latest request, which is what fills the context window.
    pub context_tokens: u64,
    /// Dollars spent so far, when the provider has prices (its subagents' included).
    pub cost: f64,
    /// Tokens its subagents held in their contexts, which its own never had to.
    pub agents_read: u64,
    /// Model turns so far.
    pub turns: u32,
    /// The conversation as the model sees it.
    pub conversation: Vec<Arc<ChatMessage>>,
    /// Commands the human allowed for the rest of the session.
    pub allowed_commands: BTreeSet<String>,
    /// The tool call whose command waits for the human's approval, if any: it stays open
    /// across a restart, as a change under review does.
    pub approval: Option<String>,
    /// A reply's text saved while streaming and not yet superseded by its final message.
    pub checkpoint: Option<String>,
    /// The reasoning recorded for the reply that comes next (or, with a checkpoint, the
    /// reasoning of the reply a crash cut short).
    pub reasoning: Option<Reasoning>,
    /// Prompt-cache reads reported so far.
    pub cache: crate::context::CacheShare,
    /// Every file change, and the one under review.
    pub changes: ChangeLog,
    /// Conversation messages (by index) left out of requests.
    pub dropped: BTreeSet<usize>,
    /// Conversation messages kept verbatim through compaction.
    pub pinned: BTreeSet<usize>,
    /// The latest compaction: messages before `through` are replaced by the summary.
    pub compaction: Option<Compaction>,
    /// The plan (the latest version, as edited and run).
    pub plan: Option<Plan>,
    /// The pipeline run, in the pipeline gear.
    pub pipeline: Option<PipelineRun>,
    /// Conversation messages gearshift wrote for pipeline stages, by category (the skill's
    /// instructions, or earlier artifacts), for the context accounting.
    pub stage_messages: BTreeMap<usize, Category>,
    /// The latest event that tells the model something, until the `Instructed` recorded
    /// with it arrives. A log written before instructions were recorded has none: its
    /// instructions are then derived, once, from the state right after that event (see
    /// [`SessionState::apply`]); a live session never derives them at all.
    pub(crate) owed: Option<Event>,
    /// Every file the model wrote, with the SHA-256 of what it last knew was there (`None`:
    /// no such file), so a later undo or human edit can be told at its next request.
    pub known: BTreeMap<String, Option<String>>,
    /// The models the human chose in this session, by the route they apply to (see
    /// [`crate::core::routing`]), which a resumed session goes back to.
    pub switched: BTreeMap<String, crate::core::routing::Target>,
    /// The running turn may write memory files, and only them (see [`Event::MemoryTurn`]).
    pub memory_turn: bool,
    /// A new session's events not written yet: a session is stored with its first prompt,
    /// so starting and quitting leaves nothing behind (see [`crate::core::open_session`]).
    pub unsaved: Vec<Event>,
    /// Commands whose writes wait for review, by call: what they said, for the result that
    /// follows the review (see [`Event::ToolHeld`]).
    pub held: BTreeMap<String, Held>,
    /// Its history was imported from a file (see [`Event::Imported`]).
    pub imported: bool,
    /// The first change of each plan step that ran (an index into `changes.entries`).
    pub step_changes: BTreeMap<String, usize>,
}

/// A command's result held while its writes are reviewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub ok: bool,
    pub content: String,
    pub summary: String,
    pub duration_ms: u64,
}

/// A pipeline run with what it was started with.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineRun {
    pub run: Run,
    pub skills: BTreeMap<String, String>,
    pub request: String,
    /// How many changes the session had when the run began: the run's own are the later ones.
    pub first_change: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Compaction {
    pub through: usize,
    pub summary: String,
}

impl SessionState {
    /// Rebuilds the state from a session's events. A log cut short by a crash is closed
    /// off so the conversation is valid for the next request: a checkpointed reply becomes an
    /// interrupted message, and a tool call with no result gets one saying so.
    #[must_use]
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> SessionState {
        let mut state = SessionState::default();
        for e in events {
            state.apply(e);
        }
        state.finish()
    }

    /// The state once every event is applied: what a stop left open is settled (a reply cut
    /// short keeps its saved text, a call that never finished is answered as interrupted).
    #[must_use]
    pub fn finish(mut self) -> SessionState {
        let state = &mut self;
        state.settle();
        if let Some(text) = state.checkpoint.take() {
            state.conversation.push(
                ChatMessage::Assistant {
                    text,
                    tool_calls: Vec::new(),
                    reasoning: state.reasoning.take(),
                }
                .into(),
            );
        }
        // A change still under review keeps its call open: the review's result answers it. So
        // does a command still waiting for approval: the human answers it after the restart.
        // (A change set's changes are `CALL#n`: its call is `CALL`.)
        let reviewing = state
            .changes
            .pending()
            .map(|e| crate::changes::call_of(&e.id).to_string());
        for id in state.unanswered_calls() {
            if reviewing.as_ref() == Some(&id) || state.approval.as_ref() == Some(&id) {
                continue;
            }
            state.conversation.push(
                ChatMessage::ToolResult {
                    call_id: id,
                    content: "interrupted: gearshift stopped before this tool call finished".into(),
                    is_error: true,
                }
                .into(),
            );
        }
        self
    }

    /// Tool calls of the latest reply that have no result yet.
    #[must_use]
    pub fn unanswered_calls(&self) -> Vec<String> {
        let Some(pos) = self
            .conversation
            .iter()
            .rposition(|m| matches!(&**m, ChatMessage::Assistant { .. }))
        else {
            return Vec::new();
        };
        let ChatMessage::Assistant { tool_calls, .. } = &*self.conversation[pos] else {
            return Vec::new();
        };
        let answered: BTreeSet<&str> = self.conversation[pos..]
            .iter()
            .filter_map(|m| match &**m {
                ChatMessage::ToolResult { call_id, .. } => Some(call_id.as_str()),
                _ => None,
            })
            .collect();
        tool_calls
            .iter()
            .filter(|c| !answered.contains(c.id.as_str()))
            .map(|c| c.id.clone())
            .collect()
    }

    /// Applies one event. What the model was told is recorded as `Instructed` right after
    /// the event that called for it (a step or stage starting); a log from before that was
    /// recorded gets the same instructions derived here, once the next event shows none was.
    pub fn apply(&mut self, event: &Event) {
        if let Event::Instructed { text, category } = event {
            self.owed = None;
            self.say(text.clone(), *category);
            return;
        }
        self.settle();
        self.fold_event(event);
        if instructs(event) {
            self.owed = Some(event.clone());
        }
    }

    /// Says what an older log implies but did not record. The state is still as the owing
    /// event left it: this runs before the next event is folded, or at the end of the log.
    fn settle(&mut self) {
        if let Some(event) = self.owed.take() {
            for (text, category) in instructions(self, &event) {
                self.say(text, category);
            }
        }
    }
}

impl SessionState {
    /// Every path the pipeline run wrote and did not undo (both sides of a move): what its
    /// ship stage may commit.
    #[must_use]
    pub fn run_paths(&self) -> BTreeSet<String> {
        use crate::changes::review::ChangeStatus;
        let from = self.pipeline.as_ref().map_or(0, |p| p.first_change);
        self.changes
            .entries
            .iter()
            .skip(from)
            .filter(|e| e.status != ChangeStatus::Undone)
            .filter_map(|e| e.written.as_ref())
            .flat_map(|w| std::iter::once(w.path.clone()).chain(w.renamed_from.clone()))
            .collect()
    }

    /// The text of the latest write of `path` (an artifact), if any.
    #[must_use]
    pub fn written(&self, path: &str) -> Option<&str> {
        self.changes
            .entries
            .iter()
            .rev()
            .filter(|e| e.change.path == path)
            .find_map(|e| e.written.as_ref()?.after.as_deref())
    }

    fn say(&mut self, text: String, category: Option<Category>) {
        if let Some(category) = category {
            self.stage_messages
                .insert(self.conversation.len(), category);
        }
        self.conversation.push(ChatMessage::User { text }.into());
    }

    /// Keeps [`SessionState::known`]: a write the model made, or what it was told of since.
    fn learn(&mut self, event: &Event) {
        let written = match event {
            Event::FileChanged { change, .. } => Some(change),
            Event::ChangeApplied { written, .. } => written.as_ref(),
            Event::FilesSeen { files, .. } => {
                self.known
                    .extend(files.iter().map(|(p, h)| (p.clone(), h.clone())));
                None
            }
            _ => None,
        };
        if let Some(change) = written {
            let hash = change
                .after
                .as_deref()
                .map(|a| crate::changes::hash(a.as_bytes()));
            self.known.insert(change.path.clone(), hash);
            if let Some(from) = &change.renamed_from {
                self.known.insert(from.clone(), None);
            }
        }
    }

    /// Folds a pipeline stage event.
    fn stage_event(&mut self, event: &StageEvent) {
        if let Some(p) = &mut self.pipeline {
            p.run.apply(event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::decide::{Decision, decide};
    use crate::protocol::Op;
    use crate::protocol::SessionMeta;

    fn opened() -> Event {
        Event::SessionOpened {
            meta: SessionMeta {
                id: "s".into(),
                workspace: "/w".into(),
                gear: Gear::Vibe,
                provider: "demo".into(),
                model: "demo".into(),
                created_at: 0,
                subagent: None,
            },
        }
    }

    #[test]
    fn a_change_set_waiting_for_review_keeps_its_call_open_across_a_restart() {
        let change = crate::changes::FileChange::new("a.txt".into(), None, Some("a\n".into()));
        let events = [
            opened(),
            Event::UserMessage {
                text: "go".into(),
                attachments: vec![],
            },
            Event::ToolCall {
                id: "T".into(),
                name: "task".into(),
                arguments: "{}".into(),
            },
            Event::ToolHeld {
                id: "T".into(),
                ok: true,
                content: "done".into(),
                summary: "writer".into(),
                duration_ms: 1,
            },
            Event::ChangeProposed {
                id: "T#1".into(),
                change,
                context: 3,
                checkpoint: None,
            },
        ];
        let state = SessionState::fold(&events);
        // Its review answers it: no "interrupted" result is made up for it meanwhile.
        assert!(
            !state
                .conversation
                .iter()
                .any(|m| matches!(&**m, ChatMessage::ToolResult { .. })),
            "{:?}",
            state.conversation
        );
    }

    #[test]
    fn fold_rebuilds_gear_title_and_tokens() {
        let events = [
            opened(),
            Event::UserMessage {
                text: "first prompt\nmore".into(),
                attachments: vec![],
            },
            Event::GearChanged {
                from: Gear::Vibe,
                to: Gear::Pipeline,
            },
            Event::Usage {
                input: 1000,
                output: 50,
                cached: 200,
                cache_write: 0,
                reasoning: 0,
                cost: None,
                request: None,
            },
            Event::UserMessage {
                text: "second".into(),
                attachments: vec![],
            },
        ];
        let s = SessionState::fold(&events);
        assert_eq!(s.gear, Gear::Pipeline);
        assert_eq!(s.title, "first prompt");
        assert_eq!(s.messages, 2);
        // The prompt (which includes its cached part) and the reply.
        assert_eq!(s.context_tokens, 1050);
    }

    #[test]
    fn tool_calls_attach_to_their_reply_and_a_crash_is_closed_off() {
        let call = |id: &str| Event::ToolCall {
            id: id.into(),
            name: "read_file".into(),
            arguments: "{}".into(),
        };
        let events = [
            opened(),
            Event::UserMessage {
                text: "go".into(),
                attachments: vec![],
            },
            Event::AssistantMessage {
                text: "reading".into(),
                interrupted: false,
            },
            call("a"),
            call("b"),
            Event::ToolResult {
                id: "a".into(),
                ok: true,
                content: "data".into(),
                summary: String::new(),
                duration_ms: 1,
            },
            // The process died while `b` ran.
        ];
        let s = SessionState::fold(&events);
        assert_eq!(s.conversation.len(), 4);
        let ChatMessage::Assistant { tool_calls, .. } = &*s.conversation[1] else {
            panic!()
        };
        assert_eq!(tool_calls.len(), 2);
        assert!(matches!(
            &*s.conversation[3],
            ChatMessage::ToolResult { call_id, is_error: true, .. } if call_id == "b"
        ));

        let events = [
            opened(),
            Event::AssistantCheckpoint {
                text: "half a rep".into(),
                reasoning: String::new(),
            },
        ];
        let s = SessionState::fold(&events);
        assert_eq!(
            s.conversation,
            vec![Arc::new(ChatMessage::Assistant {
                text: "half a rep".into(),
                tool_calls: vec![],
                reasoning: None,
            })]
        );
    }

    #[test]
    fn gear_change_is_recorded_only_when_it_changes() {
        let s = SessionState::fold(&[opened()]);
        assert_eq!(
            decide(&s, &Op::SetGear { gear: Gear::Plan }),
            Decision::Record(vec![Event::GearChanged {
                from: Gear::Vibe,
                to: Gear::Plan
            }])
        );
        assert_eq!(
            decide(&s, &Op::SetGear { gear: Gear::Vibe }),
            Decision::Ignore
        );
    }

    #[test]
    fn blank_prompts_are_ignored_and_quit_stops() {
        let s = SessionState::fold(&[opened()]);
        let blank = Op::Submit {
            text: "  \n ".into(),
            attachments: vec![],
        };
        assert_eq!(decide(&s, &blank), Decision::Ignore);
        assert_eq!(decide(&s, &Op::Quit), Decision::Stop);
        let title = Op::SetTitle {
            title: " Named ".into(),
        };
        assert_eq!(
            decide(&s, &title),
            Decision::Record(vec![Event::TitleChanged {
                title: "Named".into()
            }])
        );
    }

    #[test]
    fn a_session_is_rebuilt_with_the_words_recorded_and_an_older_log_with_derived_ones() {
        use crate::plan::{StepSpec, StepStatus};
        let step = StepSpec {
            title: "add the parser".into(),
            detail: String::new(),
            files: vec![],
            acceptance: None,
            children: vec![],
            independent: false,
        };
        let mut events = vec![
            opened(),
            Event::PlanProposed {
                version: 1,
                steps: vec![step],
            },
        ];
        let id = SessionState::fold(&events)
            .plan
            .unwrap()
            .walk()
            .next()
            .unwrap()
            .2
            .id
            .clone();
        events.push(Event::StepStatusChanged {
            step: id,
            status: StepStatus::Running,
            note: None,
        });
        let user_texts = |s: &SessionState| -> Vec<String> {
            s.conversation
                .iter()
                .filter_map(|m| match &**m {
                    ChatMessage::User { text } => Some(text.clone()),
                    _ => None,
                })
                .collect()
        };
        // Recorded: exactly what was sent, whatever prompts.rs says today.
        let mut recorded = events.clone();
        recorded.push(Event::Instructed {
            text: "Run step 1, in the words of an older gearshift.".into(),
            category: None,
        });
        recorded.push(Event::TurnStarted { turn: 1 });
        let s = SessionState::fold(&recorded);
        assert_eq!(
            user_texts(&s),
            ["Run step 1, in the words of an older gearshift."]
        );
        // A log from before instructions were recorded: derived once, in the same place.
        let mut older = events;
        older.push(Event::TurnStarted { turn: 1 });
        let s = SessionState::fold(&older);
        let texts = user_texts(&s);
        assert_eq!(texts.len(), 1);
        assert!(texts[0].starts_with("Run step 1 of the approved plan: add the parser"));
        let s = SessionState::fold(&older[..older.len() - 1]);
        assert_eq!(user_texts(&s).len(), 1, "derived at the end of the log too");
    }
}
