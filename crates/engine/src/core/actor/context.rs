//! What fills the next request (reported after every change), calibration by reported usage,
//! and compaction of older turns.

use super::Actor;
use super::activity::Activity;
use crate::context::ContextReport;
use crate::core::machine::Effect;
use crate::core::turn::TurnProgress;
use crate::core::{shape, turn};
use crate::protocol::{ErrorKind, Event};
use crate::provider::ProviderError;

impl Actor {
    /// Accounts the next request and sends the report when it changed.
    pub(super) fn report_context(&mut self) -> ContextReport {
        let (memory, catalog) = match &self.frozen {
            Some(f) => (f.memory.as_str(), f.catalog.as_str()),
            None => (self.memory.as_str(), self.catalog.as_str()),
        };
        let mut report = crate::core::accounting::account(
            &mut self.ledger,
            &self.state,
            &self.deps.provider,
            memory,
            catalog,
            &self.deps.tools.registry,
        );
        report.delegated = self.state.agents_read;
        if self.last_report.as_ref() != Some(&report) {
            let _ = self.events.send(Event::ContextAccounted {
                report: report.clone(),
            });
            self.last_report = Some(report.clone());
        }
        report
    }

    /// Asks the model to summarise the turns before message `through` (see
    /// [`crate::core::compaction::through`]).
    pub(super) fn start_compaction(&mut self, resume: bool, through: usize, focus: Option<&str>) {
        let before = self.last_report.as_ref().map_or(0, ContextReport::used);
        let (model, client) = self.compaction_model();
        // The session's own model summarises from its cached prefix; another model, or a
        // conversation over the window, gets a cut-down transcript.
        let fits = self.last_report.as_ref().is_some_and(|r| !r.over());
        let request = if fits && model.source() == self.deps.provider.source() {
            let (memory, catalog) = self.prompt_files();
            crate::core::compaction::in_place(
                &self.state,
                &model,
                memory,
                catalog,
                &self.deps.tools.registry,
                through,
                focus,
            )
        } else {
            shape::compaction_request(&self.state, &model, through, focus)
        };
        tracing::info!(through, before, model = %model.source(), "compacting");
        // Claude Code's `PreCompact`: `auto` when the window filled, `manual` for /compact.
        let trigger = if resume { "auto" } else { "manual" };
        self.watch(
            crate::hooks::HookEvent::PreCompact,
            trigger.to_string(),
            serde_json::json!({
                "trigger": trigger,
                "custom_instructions": focus.unwrap_or_default(),
            }),
        );
        let input_estimate = crate::context::estimate_tokens(&request.system) as u64
            + request
                .messages
                .iter()
                .map(|m| crate::context::ledger::message_tokens(m))
                .sum::<u64>();
        self.activity = Activity::Compacting {
            stream: client.stream(request),
            progress: TurnProgress::sent_now(input_estimate),
            model: Box::new(model),
            through,
            before,
            resume,
        };
    }

    /// The summary arrived (or the request failed): record it, then carry on.
    pub(super) fn finish_compaction(&mut self, failed: Option<ProviderError>) -> Vec<Effect> {
        let Activity::Compacting {
            progress,
            model,
            through,
            before,
            resume,
            ..
        } = std::mem::replace(&mut self.activity, Activity::Idle)
        else {
            return Vec::new();
        };
        let summary = progress.text.trim().to_string();
        let error = failed.as_ref().map(ProviderError::kind);
        let origin = self.origin("compact");
        let mut events: Vec<Event> = turn::usage_event(&progress, &model, &origin, error)
            .into_iter()
            .collect();
        if failed.is_some() || summary.is_empty() {
            let why =
                failed.map_or_else(|| "the model returned no summary".into(), |e| e.to_string());
            events.push(Event::Error {
                kind: ErrorKind::Context,
                message: format!("compaction failed: {why}"),
            });
        } else {
            // What the request will cost with the summary in place of the turns.
            let saved = self
                .state
                .compaction
                .replace(crate::core::state::Compaction {
                    through,
                    summary: summary.clone(),
                });
            // The compacted session starts a new prefix, with the files as they are now.
            self.frozen = None;
            let after = crate::core::accounting::account(
                &mut self.ledger.clone(),
                &self.state,
                &self.deps.provider,
                &self.memory,
                &self.catalog,
                &self.deps.tools.registry,
            )
            .used();
            self.state.compaction = saved;
            events.push(Event::Compacted {
                through,
                summary,
                before,
                after,
            });
        }
        let compacted = events.iter().any(|e| matches!(e, Event::Compacted { .. }));
        let mut effects = vec![Effect::Record(events)];
        if resume {
            // Without a summary the request is sent if it fits, refused if not.
            effects.push(Effect::Request {
                may_compact: compacted,
            });
        }
        effects
    }

    /// Scales the estimates by what the provider reported for the request just answered.
    pub(super) fn calibrate(&mut self, progress: &TurnProgress) {
        if let Some(u) = progress.usage {
            self.ledger.calibrate(u.input, self.sent_raw);
        }
    }
}
