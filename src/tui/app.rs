//! The front end's state and how input changes it.
//!
//! Everything here is synchronous and free of IO: terminal input and core events go in,
//! [`Effect`]s (ops for the core, quitting) come out. The event loop in `tui::run` does the IO
//! and the drawing; `tui::view` renders an `&App` without changing it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event as TermEvent, KeyEvent, KeyEventKind, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};
use ratatui::widgets::{Block, BorderType, Borders};
use ratatui_textarea::{TextArea, WrapMode};

use super::approval::ApprovalPrompt;
use super::browser::{Browser, BrowserRequest};
use super::contextview::{ContextRequest, ContextView};
use super::diffview::{DiffRequest, DiffView};
use super::highlight::Highlighter;
use super::history::PromptHistory;
use super::keymap::{Action, KeyCombo, KeyContext, Keymap};
use super::layout::{self, PaneId};
use super::paste::Pastes;
use super::planview::{PlanRequest, PlanView};
use super::theme::Theme;
use super::toolcell::ToolResultView;
use super::transcript::{EntryKind, Transcript};
use crate::config::ActiveProvider;
use crate::core::OpenedSession;
use crate::protocol::{CommandDecision, Event, Gear, Op, StepStatus, Verdict};

/// A second Ctrl+C within this long quits.
const DOUBLE_INTERRUPT: Duration = Duration::from_secs(1);
/// Lines scrolled per mouse-wheel notch.
const WHEEL_LINES: isize = 3;

/// What has keyboard focus. The chat pane has two: its composer and its transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Composer,
    Transcript,
    Plan,
    Diff,
    Context,
}

impl Focus {
    const ORDER: [Focus; 5] = [
        Focus::Composer,
        Focus::Transcript,
        Focus::Plan,
        Focus::Diff,
        Focus::Context,
    ];

    #[must_use]
    pub fn pane(self) -> PaneId {
        match self {
            Focus::Composer | Focus::Transcript => PaneId::Chat,
            Focus::Plan => PaneId::Plan,
            Focus::Diff => PaneId::Diff,
            Focus::Context => PaneId::Context,
        }
    }

    fn next(self) -> Focus {
        let i = Self::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        Self::ORDER[(i + 1) % Self::ORDER.len()]
    }
}

/// What covers the panes. Overlays stack: one opened over another (an approval over the
/// session browser) returns to it when closed.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help {
        scroll: u16,
    },
    /// The model wants to run a command.
    Approval(Box<ApprovalPrompt>),
    Sessions(Box<Browser>),
}

/// What the event loop must do after an input.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Send(Op),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Ask the session store something for the browser.
    Browser(BrowserRequest),
    /// Suspend the screen and edit a hunk's proposed text in `$EDITOR`.
    EditHunk {
        change: String,
        hunk: String,
        text: String,
        extension: String,
    },
    Quit,
}

/// The session as the status bar shows it.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub id: String,
    pub title: String,
    pub gear: Gear,
    pub provider: String,
    pub model: String,
    pub is_demo: bool,
    pub workspace: String,
    /// Set when the session belongs to another workspace: it can be read, not continued.
    pub read_only: bool,
    pub context_window: u64,
    pub context_tokens: u64,
    /// Dollars spent in this session; `None` when the provider has no prices.
    pub cost: Option<f64>,
    /// How the model's commands are confined, once the core has probed it.
    pub sandbox: Option<SandboxView>,
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

pub struct App {
    pub keymap: Keymap,
    pub theme: Theme,
    pub focus: Focus,
    /// Open overlays, the top one last.
    pub overlays: Vec<Overlay>,
    pub zoomed: bool,
    pub session: SessionView,
    pub composer: TextArea<'static>,
    pub transcript: Transcript,
    pub diff: DiffView,
    pub context: ContextView,
    pub plan: PlanView,
    /// The pipeline run, in the pipeline gear (its stage bar).
    pub pipeline: Option<crate::pipeline::Run>,
    /// Fill of the context window at which the UI warns (`[context] warn_at`).
    pub warn_at: f64,
    /// A model turn is running (Ctrl+C cancels it).
    pub busy: bool,
    /// A transient line for the status bar ("press Ctrl+C again to quit").
    pub note: Option<String>,
    pub size: Rect,
    history: PromptHistory,
    /// Large pastes, held as tokens in the composer until the prompt is sent.
    pastes: Pastes,
    /// Code highlighting; `None` shows code plain (tests, or when the worker cannot start).
    highlighter: Option<Arc<Highlighter>>,
    last_interrupt: Option<Instant>,
    /// The fill warning was given and the fill is still above it.
    context_warned: bool,
    dirty: bool,
    quitting: bool,
}

impl App {
    #[must_use]
    pub fn new(
        keymap: Keymap,
        theme: Theme,
        opened: &OpenedSession,
        provider: &ActiveProvider,
        prompts: Vec<String>,
        size: Rect,
    ) -> App {
        let state = &opened.state;
        let mut app = App {
            composer: TextArea::default(),
            keymap,
            theme,
            focus: Focus::Composer,
            overlays: Vec::new(),
            zoomed: false,
            session: SessionView {
                id: state.id.clone(),
                title: state.title.clone(),
                gear: state.gear,
                provider: provider.name.clone(),
                model: provider.model.clone(),
                is_demo: provider.is_demo,
                workspace: state.workspace.clone(),
                read_only: false,
                context_window: u64::from(provider.context_window),
                context_tokens: state.context_tokens,
                cost: (provider.prices.input.is_some() || provider.prices.output.is_some())
                    .then_some(state.cost),
                sandbox: None,
            },
            transcript: Transcript::default(),
            diff: DiffView::default(),
            context: ContextView::default(),
            plan: PlanView::default(),
            pipeline: None,
            warn_at: 0.8,
            busy: false,
            note: None,
            size,
            history: PromptHistory::new(prompts),
            pastes: Pastes::default(),
            highlighter: None,
            last_interrupt: None,
            context_warned: false,
            dirty: true,
            quitting: false,
        };
        app.reset_composer(Vec::new());
        if provider.is_demo {
            app.transcript.push(
                EntryKind::Notice,
                "DEMO — no model is configured, so replies come from gearshift's offline demo \
                 script. Send any prompt to learn how to connect a real model; F1 lists every \
                 key.",
            );
        }
        for event in &opened.history {
            app.apply(event, true);
        }
        // A reply cut short by a crash: show what was saved of it, marked.
        app.transcript.interrupt_streaming();
        if opened.resumed {
            let short = &state.id[..state.id.len().min(8)];
            app.transcript
                .push(EntryKind::Notice, format!("Resumed session {short}."));
        }
        app
    }

    pub fn set_highlighter(&mut self, highlighter: Arc<Highlighter>) {
        self.highlighter = Some(highlighter);
        self.transcript.highlights_ready();
        self.dirty = true;
    }

    /// Highlighted code arrived from the worker.
    pub fn on_highlighted(&mut self) {
        self.transcript.highlights_ready();
        self.dirty = true;
    }

    /// The overlay on top, the one keys go to.
    #[must_use]
    pub fn overlay(&self) -> Option<&Overlay> {
        self.overlays.last()
    }

    /// The session browser, wherever it is in the stack (its results arrive while an
    /// approval or the help may cover it).
    pub fn browser_mut(&mut self) -> Option<&mut Browser> {
        self.overlays.iter_mut().rev().find_map(|o| match o {
            Overlay::Sessions(b) => Some(b.as_mut()),
            _ => None,
        })
    }

    /// Why a read-only session refuses, and how to fork it, with the live keys.
    fn read_only_note(&self, to: &str) -> String {
        format!(
            "read-only session: fork it ({}, then {}) {to}",
            super::hints::key(&self.keymap, Action::Sessions),
            super::hints::key(&self.keymap, Action::BrowserFork)
        )
    }

    /// Whether something changed since the last frame.
    #[must_use]
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// A frame was drawn: what it showed counts as seen (an approval prompt's command).
    pub fn mark_drawn(&mut self) {
        self.dirty = false;
        let area = self.size;
        if let Some(Overlay::Approval(p)) = self.overlays.last_mut()
            && p.drawn_in(area)
        {
            // Its keys line changes now that it has been seen.
            self.dirty = true;
        }
    }

    #[must_use]
    pub fn is_quitting(&self) -> bool {
        self.quitting
    }

    /// The key contexts that apply now, most specific first.
    #[must_use]
    pub fn contexts(&self) -> Vec<KeyContext> {
        match self.overlay() {
            Some(Overlay::Help { .. }) => return vec![KeyContext::Help, KeyContext::Global],
            Some(Overlay::Sessions(b)) if b.input.is_none() => {
                return vec![KeyContext::Browser, KeyContext::Global];
            }
            Some(Overlay::Sessions(_)) => return vec![KeyContext::Global],
            Some(Overlay::Approval(p)) if p.reason.is_none() => {
                return vec![KeyContext::Approval, KeyContext::Global];
            }
            // Typing a reason: only the global keys are keys.
            Some(Overlay::Approval(_)) => return vec![KeyContext::Global],
            None => {}
        }
        match self.focus {
            Focus::Composer => vec![KeyContext::Composer, KeyContext::Global],
            Focus::Transcript => vec![
                KeyContext::Transcript,
                KeyContext::Panes,
                KeyContext::Global,
            ],
            // Typing a comment: only the global keys are keys.
            Focus::Diff if self.diff.comment.is_some() => vec![KeyContext::Global],
            Focus::Diff => vec![KeyContext::Diff, KeyContext::Panes, KeyContext::Global],
            Focus::Context => vec![KeyContext::Context, KeyContext::Panes, KeyContext::Global],
            // Typing in the plan pane: only the global keys are keys.
            Focus::Plan if self.plan.input.is_some() => vec![KeyContext::Global],
            Focus::Plan => vec![KeyContext::Plan, KeyContext::Panes, KeyContext::Global],
        }
    }

    #[must_use]
    pub fn layout(&self) -> layout::ScreenLayout {
        layout::compute(self.size, self.focus.pane(), self.zoomed)
    }

    /// Work done before a frame, outside the draw path: wrapping new transcript lines for the
    /// current width and styling the composer for the focus.
    pub fn prepare(&mut self) {
        if let Some(chat) = self.layout().pane(PaneId::Chat) {
            let (transcript, _) = layout::chat_areas(chat, self.composer.lines().len());
            self.transcript.prepare(
                transcript.width,
                transcript.height,
                &self.theme,
                self.highlighter.as_deref(),
            );
        }
        // Each side pane lays out its lines for the area inside its border.
        let layout = self.layout();
        let inner = |id| {
            layout
                .pane(id)
                .map(|r| r.inner(ratatui::layout::Margin::new(1, 1)))
        };
        if let Some(area) = inner(PaneId::Diff) {
            self.diff
                .prepare(area, &self.theme, self.highlighter.as_deref());
        }
        if let Some(area) = inner(PaneId::Plan) {
            self.plan
                .prepare_stages(self.pipeline.as_ref(), &self.theme);
            let area = if self.plan.stages.is_some() {
                Rect {
                    y: area.y + 1,
                    height: area.height.saturating_sub(1),
                    ..area
                }
            } else {
                area
            };
            self.plan.prepare(area, &self.theme, &self.keymap);
        }
        if let Some(area) = inner(PaneId::Context) {
            self.context.prepare(area, &self.theme, self.warn_at);
        }
        let focused = self.focus == Focus::Composer && self.overlays.is_empty();
        let s = &self.theme.styles;
        let hint = format!(
            "Ask the model… ({} send, {} new line)",
            self.keymap
                .keys(Action::Submit)
                .first()
                .map(ToString::to_string)
                .unwrap_or_default(),
            self.keymap
                .keys(Action::Newline)
                .first()
                .map(ToString::to_string)
                .unwrap_or_default(),
        );
        self.composer.set_placeholder_text(hint);
        self.composer.set_placeholder_style(s.dim);
        self.composer.set_style(s.text);
        self.composer.set_block(
            Block::default()
                .borders(Borders::TOP)
                .border_type(BorderType::Plain)
                .border_style(self.theme.border(focused)),
        );
        self.composer.set_cursor_style(if focused {
            s.text.add_modifier(ratatui::style::Modifier::REVERSED)
        } else {
            s.text
        });
    }

    /// Applies an event from the core.
    pub fn on_core(&mut self, event: &Event) {
        self.apply(event, false);
        self.dirty = true;
    }

    fn apply(&mut self, event: &Event, replay: bool) {
        if self.diff.on_event(event, replay) {
            if let Event::ChangeProposed { id, .. } = event {
                let waiting = self.diff.log.get(id).is_some_and(|e| e.status.is_open());
                self.transcript.tool_awaits_review(id, waiting);
            }
            if !replay {
                self.change_notice(event);
            }
            return;
        }
        match event {
            Event::UserMessage { text, .. } => {
                if self.session.title.is_empty() {
                    self.session.title = crate::store::default_title(text);
                }
                self.transcript.push(EntryKind::User, text.clone());
                if !replay {
                    self.transcript.to_bottom();
                }
            }
            Event::AssistantMessage { text, interrupted } => {
                self.transcript.finish_streaming(text.clone(), *interrupted);
            }
            Event::AssistantDelta { text } => self.transcript.append_streaming(text),
            Event::ReasoningDelta { text } => self.transcript.append_thinking(text),
            Event::Reasoning { reasoning } => self.transcript.finish_thinking(&reasoning.text),
            Event::AssistantCheckpoint { text, reasoning } => {
                if replay {
                    if !reasoning.is_empty() {
                        self.transcript.finish_thinking(reasoning);
                    }
                    self.transcript.checkpoint(text);
                }
            }
            Event::ToolCall {
                id,
                name,
                arguments,
            } => self.transcript.push_tool(id, name, arguments),
            Event::ToolResult {
                id,
                ok,
                content,
                summary,
                duration_ms,
            } => self.transcript.tool_result(
                id,
                ToolResultView {
                    ok: *ok,
                    summary: summary.clone(),
                    content: content.clone(),
                    duration_ms: *duration_ms,
                },
            ),
            Event::CommandApprovalRequested { id, command } => {
                if !replay {
                    let sandbox = self
                        .session
                        .sandbox
                        .as_ref()
                        .map_or_else(|| "Sandbox: checking…".to_string(), SandboxView::describe);
                    self.overlays
                        .push(Overlay::Approval(Box::new(ApprovalPrompt::new(
                            id, command, sandbox,
                        ))));
                }
            }
            Event::CommandDecided {
                id,
                command,
                decision,
            } => {
                self.overlays
                    .retain(|o| !matches!(o, Overlay::Approval(p) if p.id == *id));
                if let CommandDecision::Denied { reason } = decision {
                    let why = reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default();
                    self.transcript
                        .push(EntryKind::Notice, format!("Denied `{command}`{why}"));
                }
            }
            Event::GearChanged { to, .. } => {
                self.session.gear = *to;
                if !replay {
                    self.transcript.push(EntryKind::Notice, gear_notice(*to));
                }
            }
            Event::TitleChanged { title } => self.session.title.clone_from(title),
            Event::ModelChanged { provider, model } => {
                self.session.provider.clone_from(provider);
                self.session.model.clone_from(model);
            }
            Event::Usage {
                input,
                output,
                cost,
                ..
            } => {
                // `input` includes the cached part.
                self.session.context_tokens = input + output;
                if let (Some(total), false) = (&mut self.session.cost, replay) {
                    *total += cost.unwrap_or(0.0);
                }
            }
            Event::TurnStarted { .. } => self.busy = !replay,
            Event::TurnFinished { .. } => {
                self.busy = false;
                self.transcript.abandon_streaming();
            }
            Event::Error { kind, message } => {
                let text = if *kind == crate::protocol::ErrorKind::Context {
                    super::hints::refusal(
                        &self.keymap,
                        message,
                        Some(crate::protocol::Hint::FreeContext),
                    )
                } else {
                    message.clone()
                };
                self.transcript.push(EntryKind::Error, text);
            }
            Event::Refused { message, hint } => {
                let text = super::hints::refusal(&self.keymap, message, *hint);
                self.transcript.push(EntryKind::Error, text);
            }
            Event::Notice { level, text } => {
                let text = match level {
                    crate::protocol::NoticeLevel::Warning => format!("⚠ {text}"),
                    crate::protocol::NoticeLevel::Info => text.clone(),
                };
                self.transcript.push(EntryKind::Notice, text);
            }
            Event::SandboxStatus {
                mode,
                network,
                enforced,
                problem,
            } => {
                let view = SandboxView {
                    mode: mode.clone(),
                    network: *network,
                    enforced: *enforced,
                    problem: problem.clone(),
                };
                for o in &mut self.overlays {
                    if let Overlay::Approval(p) = o {
                        p.sandbox = view.describe();
                    }
                }
                self.session.sandbox = Some(view);
            }
            Event::SessionForked { from } => {
                let short = &from[..from.len().min(8)];
                self.transcript
                    .push(EntryKind::Notice, format!("Forked from session {short}."));
            }
            Event::ContextAccounted { report } => {
                let fill = report.fill();
                self.session.context_tokens = report.used();
                self.session.context_window = report.window;
                if fill >= self.warn_at && !self.context_warned && !replay {
                    let keys = self.keymap.keys_label(Action::FocusContext);
                    self.transcript.push(
                        EntryKind::Notice,
                        format!(
                            "The context window is {:.0}% full (the request and the reply's \
                             reserve). The context pane ({keys}) shows what fills it: {}; older \
                             turns are compacted automatically before the window overflows.",
                            fill * 100.0,
                            super::hints::say(
                                &self.keymap,
                                &[
                                    (Action::ContextDrop, "leaves an item out"),
                                    (Action::ContextCompact, "compacts older turns now"),
                                ]
                            )
                        ),
                    );
                }
                self.context_warned = fill >= self.warn_at;
                self.context.set_report(report.clone());
            }
            Event::Compacted {
                through,
                before,
                after,
                ..
            } => {
                self.transcript.push(
                    EntryKind::Notice,
                    format!(
                        "Compacted messages 1–{through} into a summary: about {} → {} tokens. \
                         The full history stays in the session.",
                        crate::tui::contextview::thousands(*before),
                        crate::tui::contextview::thousands(*after)
                    ),
                );
            }
            Event::ItemDropped { .. } | Event::ItemPinned { .. } => {}
            Event::PlanProposed { .. }
            | Event::PlanEdited { .. }
            | Event::StepStatusChanged { .. } => {
                self.plan_event(event, replay);
            }
            Event::PipelineStarted { .. } => {
                crate::pipeline::fold(&mut self.pipeline, event);
            }
            Event::Stage { event: stage } => {
                crate::pipeline::fold(&mut self.pipeline, event);
                if !replay {
                    self.stage_notice(stage);
                }
            }
            Event::Shipped { commit, message } => {
                let subject = message.lines().next().unwrap_or_default();
                self.transcript.push(
                    EntryKind::Notice,
                    format!("Committed {}: {subject}", &commit[..commit.len().min(10)]),
                );
            }
            Event::PlanCompleted { done, total } => {
                self.transcript.push(
                    EntryKind::Notice,
                    format!("The plan has run: {done} of {total} steps done."),
                );
            }
            // Folded by the diff pane above.
            Event::FileChanged { .. }
            | Event::ChangeProposed { .. }
            | Event::HunkDecided { .. }
            | Event::HunkCommented { .. }
            | Event::ChangeApplied { .. }
            | Event::ChangeConflicted { .. }
            | Event::ChangeWithdrawn { .. }
            | Event::ChangeUndone { .. }
            | Event::SessionOpened { .. }
            | Event::SessionResumed { .. }
            // What the model was told; the chat tells the story with its own notices.
            | Event::Instructed { .. } => {}
        }
    }

    /// Handles one terminal event at time `now`.
    pub fn on_terminal(&mut self, event: TermEvent, now: Instant) -> Vec<Effect> {
        match event {
            TermEvent::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key, now),
            TermEvent::Paste(text) => {
                self.on_paste(&text);
                Vec::new()
            }
            TermEvent::Mouse(m) => {
                self.on_mouse(m);
                Vec::new()
            }
            TermEvent::Resize(w, h) => {
                self.size = Rect::new(0, 0, w, h);
                self.dirty = true;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn on_key(&mut self, key: KeyEvent, now: Instant) -> Vec<Effect> {
        self.dirty = true;
        if let Some(effects) = self.type_reason(&key) {
            return effects;
        }
        if let Some(effects) = self.type_comment(&key) {
            return effects;
        }
        if let Some(effects) = self.type_plan(&key) {
            return effects;
        }
        if let Some(effects) = self.type_in_browser(&key) {
            return effects;
        }
        let combo = KeyCombo::from_event(&key);
        if let Some(action) = self.keymap.resolve(&self.contexts(), combo) {
            return self.perform(action, key, now);
        }
        if self.focus == Focus::Composer && self.overlays.is_empty() {
            self.note = None;
            self.composer.input(key);
        }
        Vec::new()
    }

    fn perform(&mut self, action: Action, key: KeyEvent, now: Instant) -> Vec<Effect> {
        if action != Action::Interrupt {
            self.last_interrupt = None;
            self.note = None;
        }
        match action {
            Action::Quit => return self.quit(),
            Action::Interrupt => return self.interrupt(now),
            Action::FocusNext => self.focus = self.focus.next(),
            Action::Sessions => match self.overlay() {
                Some(Overlay::Sessions(_)) => {
                    self.overlays.pop();
                }
                // The approval must be answered first.
                Some(Overlay::Approval(_)) => {}
                // The browser is open beneath: back to it.
                _ if self
                    .overlays
                    .iter()
                    .any(|o| matches!(o, Overlay::Sessions(_))) =>
                {
                    while !matches!(self.overlay(), Some(Overlay::Sessions(_))) {
                        self.overlays.pop();
                    }
                }
                _ => {
                    let (browser, request) =
                        Browser::open(&self.session.id, &self.session.workspace);
                    self.overlays.push(Overlay::Sessions(Box::new(browser)));
                    return vec![Effect::Browser(request)];
                }
            },
            Action::BrowserUp
            | Action::BrowserDown
            | Action::BrowserOpen
            | Action::BrowserScope
            | Action::BrowserSearch
            | Action::BrowserFork
            | Action::BrowserRename
            | Action::BrowserDelete
            | Action::BrowserExport => return self.browser_action(action),
            Action::FocusChat => self.focus = Focus::Composer,
            Action::FocusPlan => self.focus = Focus::Plan,
            Action::FocusDiff => self.focus = Focus::Diff,
            Action::FocusContext => self.focus = Focus::Context,
            Action::CycleGear if self.session.read_only => {
                self.note = Some(self.read_only_note("to continue"));
            }
            Action::CycleGear => {
                return vec![Effect::Send(Op::SetGear {
                    gear: self.session.gear.next(),
                })];
            }
            Action::Help | Action::PaneHelp => match self.overlay() {
                Some(Overlay::Help { .. }) => {
                    self.overlays.pop();
                }
                // The approval must be answered first.
                Some(Overlay::Approval(_)) => {}
                _ => self.overlays.push(Overlay::Help { scroll: 0 }),
            },
            Action::HelpClose => {
                self.overlays.pop();
            }
            Action::HelpUp | Action::HelpDown => {
                if let Some(Overlay::Help { scroll }) = self.overlays.last_mut() {
                    *scroll = if action == Action::HelpUp {
                        scroll.saturating_sub(1)
                    } else {
                        scroll.saturating_add(1)
                    };
                }
            }
            Action::Back => {
                if matches!(
                    self.overlay(),
                    Some(Overlay::Help { .. } | Overlay::Sessions(_))
                ) {
                    self.overlays.pop();
                } else if matches!(self.overlay(), Some(Overlay::Approval(_))) {
                    // Esc does not answer an approval; y, a or n does (Ctrl+C cancels the turn).
                } else if self.busy && self.diff.log.pending().is_none() {
                    self.note = Some("cancelling…".into());
                    return vec![Effect::Send(Op::Cancel)];
                } else {
                    // With a change waiting for review, Esc only moves focus: cancelling would
                    // withdraw the change (Ctrl+C still does, on purpose).
                    self.focus = Focus::Composer;
                    self.zoomed = false;
                }
            }
            Action::Submit => return self.submit(),
            Action::Newline => self.composer.insert_newline(),
            Action::HistoryPrev => {
                if self.composer.cursor().0 == 0 {
                    let current = self.composer.lines().join("\n");
                    if let Some(text) = self.history.prev(&current) {
                        self.set_composer_text(&text);
                    }
                } else {
                    self.composer.input(key);
                }
            }
            Action::HistoryNext => {
                if self.composer.cursor().0 + 1 >= self.composer.lines().len() {
                    if let Some(text) = self.history.next() {
                        self.set_composer_text(&text);
                    }
                } else {
                    self.composer.input(key);
                }
            }
            Action::Zoom => self.zoomed = !self.zoomed,
            Action::ScrollUp => self.transcript.scroll_by(-1),
            Action::ScrollDown => self.transcript.scroll_by(1),
            Action::PageUp => self.transcript.page(false),
            Action::PageDown => self.transcript.page(true),
            Action::ScrollTop => self.transcript.to_top(),
            Action::ScrollBottom => self.transcript.to_bottom(),
            Action::SelectPrev => self.transcript.select_by(-1),
            Action::SelectNext => self.transcript.select_by(1),
            Action::ToggleCell => {
                self.transcript.toggle_selected();
            }
            Action::Copy => {
                if let Some(text) = self.transcript.selected_text() {
                    self.note = Some("copied to the clipboard".into());
                    return vec![Effect::Copy(text)];
                }
                self.note = Some("select a message first ([ or ])".into());
            }
            Action::DiffDown => self.diff.scroll_by(1),
            Action::DiffUp => self.diff.scroll_by(-1),
            Action::DiffPageDown => self.diff.page(true),
            Action::DiffPageUp => self.diff.page(false),
            Action::DiffNextHunk => self.diff.step_hunk(true),
            Action::DiffPrevHunk => self.diff.step_hunk(false),
            Action::DiffNextFile => self.diff.step_file(true),
            Action::DiffPrevFile => self.diff.step_file(false),
            Action::DiffSplit => self.note = self.diff.toggle_split(),
            Action::DiffAccept
            | Action::DiffReject
            | Action::DiffAcceptFile
            | Action::DiffRejectFile
            | Action::DiffComment
            | Action::DiffEdit
            | Action::DiffSubmit
            | Action::DiffRepropose
            | Action::DiffUndo => return self.diff_action(action),
            Action::PlanDown => self.plan.step(1),
            Action::PlanUp => self.plan.step(-1),
            Action::PlanCollapse => self.plan.fold(true),
            Action::PlanExpand => self.plan.fold(false),
            Action::PlanApprove
            | Action::PlanApproveAll
            | Action::PlanReject
            | Action::PlanEdit
            | Action::PlanAdd
            | Action::PlanDelete
            | Action::PlanMoveUp
            | Action::PlanMoveDown
            | Action::PlanComment
            | Action::PlanRevise
            | Action::PlanGo
            | Action::PlanGoAll
            | Action::StageBack
            | Action::StageSkip => return self.plan_action(action),
            Action::ContextDown => self.context.step(1),
            Action::ContextUp => self.context.step(-1),
            Action::ContextDrop | Action::ContextPin | Action::ContextCompact => {
                if self.session.read_only {
                    self.note = Some(self.read_only_note("to change it"));
                    return Vec::new();
                }
                let request = match action {
                    Action::ContextDrop => self.context.toggle_drop(),
                    Action::ContextPin => self.context.toggle_pin(),
                    _ => {
                        self.note = Some("compacting…".into());
                        ContextRequest::Send(Op::Compact)
                    }
                };
                match request {
                    ContextRequest::Send(op) => return vec![Effect::Send(op)],
                    ContextRequest::Note(n) => self.note = Some(n),
                    ContextRequest::None => {}
                }
            }
            Action::ApproveOnce | Action::ApproveAlways => {
                if let Some(Overlay::Approval(p)) = self.overlay() {
                    let keys = self.keymap.keys_label(Action::ApprovalDown);
                    if let Some(why) = p.not_ready(&keys) {
                        self.note = Some(why);
                        return Vec::new();
                    }
                    let call_id = p.id.clone();
                    self.overlays.pop();
                    return vec![Effect::Send(Op::ApproveCommand {
                        call_id,
                        always: action == Action::ApproveAlways,
                    })];
                }
            }
            Action::Deny => {
                if let Some(Overlay::Approval(p)) = self.overlays.last_mut() {
                    p.reason = Some(String::new());
                }
            }
            Action::ApprovalDown
            | Action::ApprovalUp
            | Action::ApprovalPageDown
            | Action::ApprovalPageUp => {
                let area = self.size;
                if let Some(Overlay::Approval(p)) = self.overlays.last_mut() {
                    let page = isize::try_from(p.page(area)).unwrap_or(1);
                    let delta = match action {
                        Action::ApprovalDown => 1,
                        Action::ApprovalUp => -1,
                        Action::ApprovalPageDown => page,
                        _ => -page,
                    };
                    p.scroll_by(area, delta);
                }
            }
        }
        Vec::new()
    }

    fn quit(&mut self) -> Vec<Effect> {
        self.quitting = true;
        vec![Effect::Quit]
    }

    fn interrupt(&mut self, now: Instant) -> Vec<Effect> {
        if self.busy {
            self.note = Some("cancelling…".into());
            return vec![Effect::Send(Op::Cancel)];
        }
        if self
            .last_interrupt
            .is_some_and(|t| now.duration_since(t) <= DOUBLE_INTERRUPT)
        {
            return self.quit();
        }
        self.last_interrupt = Some(now);
        if !self.composer.is_empty() {
            self.history.reset();
            self.reset_composer(Vec::new());
            self.pastes.clear();
        }
        let keys = self.keymap.keys_label(Action::Interrupt);
        self.note = Some(format!("press {keys} again to quit"));
        Vec::new()
    }

    fn submit(&mut self) -> Vec<Effect> {
        let text = self.pastes.expand(&self.composer.lines().join("\n"));
        if text.trim().is_empty() {
            return Vec::new();
        }
        if self.session.read_only {
            self.note = Some(self.read_only_note("to continue it here"));
            return Vec::new();
        }
        if self.busy {
            self.note = Some("queued: sent when the model has finished".into());
        }
        self.history.push(text.clone());
        self.reset_composer(Vec::new());
        self.pastes.clear();
        vec![Effect::Send(Op::Submit {
            text,
            attachments: Vec::new(),
        })]
    }

    fn on_paste(&mut self, text: &str) {
        if !self.overlays.is_empty() {
            return;
        }
        self.dirty = true;
        self.focus = Focus::Composer;
        // Terminals send CR for newlines in pastes; the composer wants LF.
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let inserted = self.pastes.admit(text);
        self.composer.insert_str(inserted);
    }

    fn on_mouse(&mut self, m: MouseEvent) {
        let delta = match m.kind {
            MouseEventKind::ScrollUp => -WHEEL_LINES,
            MouseEventKind::ScrollDown => WHEEL_LINES,
            _ => return,
        };
        self.dirty = true;
        match self.overlays.last_mut() {
            Some(Overlay::Help { scroll }) => {
                *scroll = scroll.saturating_add_signed(i16::try_from(delta).unwrap_or(0));
                return;
            }
            Some(Overlay::Approval(_) | Overlay::Sessions(_)) => return,
            None => {}
        }
        if let Some(chat) = self.layout().pane(PaneId::Chat) {
            let (transcript, _) = layout::chat_areas(chat, self.composer.lines().len());
            if transcript.contains(Position::new(m.column, m.row)) {
                self.transcript.scroll_by(delta);
            }
        }
    }

    fn set_composer_text(&mut self, text: &str) {
        self.pastes.clear();
        let text = self.pastes.admit(text.to_string());
        self.reset_composer(text.split('\n').map(str::to_string).collect());
        self.composer
            .move_cursor(ratatui_textarea::CursorMove::Bottom);
        self.composer.move_cursor(ratatui_textarea::CursorMove::End);
    }

    fn reset_composer(&mut self, lines: Vec<String>) {
        let mut composer = if lines.is_empty() {
            TextArea::default()
        } else {
            TextArea::new(lines)
        };
        composer.set_wrap_mode(WrapMode::WordOrGlyph);
        composer.set_cursor_line_style(ratatui::style::Style::default());
        self.composer = composer;
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn gear_notice(gear: Gear) -> String {
    match gear {
        Gear::Vibe => "Gear: vibe — chat, and the model edits directly.".into(),
        Gear::Plan => "Gear: plan — the model explores read-only and proposes a plan; you edit \
                       and approve it step by step, and review each step's diff at a gate."
            .into(),
        Gear::Pipeline => "Gear: pipeline — requirements → design → tasks → implement → verify → \
                           review → ship, each stage gated on your approval."
            .into(),
    }
}

mod overlays;
mod panes;
#[cfg(test)]
mod tests;
