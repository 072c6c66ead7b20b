//! What the session's own events say in the chat and the status bar: the gear, the title
//! and the model, usage, errors and notices, the sandbox, MCP servers, the context, the
//! commands offered.

use super::App;
use super::events::gear_notice;
use super::session::SandboxView;
use crate::keymap::Action;
use crate::overlay::Overlay;
use crate::protocol::Event;
use crate::transcript::EntryKind;

impl App {
    /// What the chat and the status bar show of the session: its gear, title and model, usage,
    /// errors and notices, the sandbox, MCP servers, the context, the commands offered.
    pub(super) fn tell_session(&mut self, event: &Event, replay: bool) {
        match event {
            Event::GearChanged { .. }
            | Event::TitleChanged { .. }
            | Event::ModelChanged { .. }
            | Event::SessionResumed { .. }
            | Event::ModelFellBack { .. }
            | Event::Usage { .. }
            | Event::AgentSpent { .. }
            | Event::Imported { .. }
            | Event::SessionForked { .. }
            | Event::Commands { .. } => self.tell_model(event, replay),
            _ => self.tell_status(event, replay),
        }
    }

    /// The model the session uses from here on, as the status bar names it: a switch away
    /// from the offline demo drops its badge.
    fn set_model(&mut self, provider: &str, model: &str) {
        provider.clone_into(&mut self.session.provider);
        model.clone_into(&mut self.session.model);
        self.session.model_label = format!("{provider}/{model}");
        self.session.is_demo = provider == "demo";
    }

    /// The gear, the title, the model and what it used, where the session came from, the commands
    /// offered.
    fn tell_model(&mut self, event: &Event, replay: bool) {
        match event {
            Event::GearChanged { to, .. } => {
                self.session.gear = *to;
                self.transcript.push(EntryKind::Notice, gear_notice(*to));
            }
            Event::TitleChanged { title } => self.session.title.clone_from(title),
            Event::ModelChanged {
                provider,
                model,
                route,
                routed,
            } => {
                self.set_model(provider, model);
                let change = crate::core::routing::describe_change(
                    provider,
                    model,
                    route.as_deref(),
                    *routed,
                );
                self.transcript
                    .push(EntryKind::Notice, format!("Model: {change}"));
            }
            // This run's model: what the status bar shows from here on, as the replies' lines do.
            Event::SessionResumed { provider, model } => self.set_model(provider, model),
            Event::ModelFellBack { from, to, reason } => {
                self.transcript.push(
                    EntryKind::Notice,
                    format!("⚠ {from} is down, so the request went to {to}: {reason}"),
                );
            }
            Event::Usage {
                input,
                output,
                cost,
                ..
            } => {
                // `input` includes the cached part.
                self.session.context_tokens = input + output;
                self.turn_requests
                    .extend(crate::library::RequestRow::of(event));
                // A model with prices (perhaps switched to) shows the session's cost.
                if let (Some(cost), false) = (cost, replay) {
                    *self.session.cost.get_or_insert(0.0) += cost;
                }
            }
            // A subagent's spend: the turn's and the session's, never the context's.
            Event::AgentSpent {
                agent,
                input,
                output,
                cost,
                ..
            } => {
                self.turn_agents.push(crate::report::figures::AgentSpend {
                    agent: agent.clone(),
                    tokens: input + output,
                    cost: *cost,
                });
                if let (Some(cost), false) = (cost, replay) {
                    *self.session.cost.get_or_insert(0.0) += cost;
                }
            }
            Event::Imported { .. } => {
                self.transcript.push(
                    EntryKind::Notice,
                    "Imported from a file: what came before is history. Nothing it approved \
                     (\"always\" for a command, a model switch) is in force here.",
                );
            }
            Event::SessionForked { from } => {
                let short = &from[..from.len().min(8)];
                self.transcript
                    .push(EntryKind::Notice, format!("Forked from session {short}."));
            }
            Event::Commands { commands } => {
                self.commands = super::super::commands::Commands::new(commands);
            }
            _ => {}
        }
    }

    /// Errors, refusals and notices, the sandbox, MCP servers and the context.
    fn tell_status(&mut self, event: &Event, replay: bool) {
        match event {
            Event::Error { kind, message } => {
                if *kind == crate::protocol::ErrorKind::Store {
                    self.session.stopped = true;
                }
                let text = if *kind == crate::protocol::ErrorKind::Context {
                    crate::hints::refusal(
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
                let text = crate::hints::refusal(&self.keymap, message, *hint);
                self.transcript.push(EntryKind::Error, text);
            }
            Event::McpStatus { servers } => {
                self.session.mcp.clone_from(servers);
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
                            crate::hints::say(
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
            }
            _ => {}
        }
    }
}
