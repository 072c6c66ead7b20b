//! Turns and their streams: starting a turn, sending each request (compacting first when
//! due), folding the stream into deltas and checkpoints, the end of a response, and cancel.

use std::time::{Duration, Instant};

use super::activity::{Activity, Wake};
use super::{Actor, MAX_DELTA_BYTES};
use crate::core::machine::{Effect, gates, route, stage_gates};
use crate::core::turn::{TurnEnd, TurnProgress};
use crate::core::{machine, turn};
use crate::plan::StepStatus;
use crate::protocol::{CommandDecision, ErrorKind, Event, FinishReason};
use crate::provider::{ModelStream, ProviderError, StreamEvent};
use crate::tools;
use crate::tools::{ToolOutcome, disk};

impl Actor {
    /// Tells the model, before its request, how files it wrote changed since (an undo, the
    /// human's edit): recorded with what it then knows, so it is told once. False when the
    /// store failed.
    async fn tell_drift(&mut self) -> bool {
        if self.state.known.is_empty() {
            return true;
        }
        let ws = self.deps.tools.workspace.clone();
        let paths: Vec<String> = self.state.known.keys().cloned().collect();
        let now = tokio::task::spawn_blocking(move || disk::current(&ws, &paths))
            .await
            .unwrap_or_default();
        let Some(drifted) = crate::core::drift::drift(&self.state, &now) else {
            return true;
        };
        let mut events = vec![Event::FilesSeen {
            edits: drifted.edits(),
            files: drifted.known,
        }];
        if !drifted.files.is_empty() {
            events.push(Event::Instructed {
                text: crate::core::prompts::files_changed(&drifted.files),
                category: None,
            });
        }
        self.record(events).await
    }

    /// Records a new turn and sends its first request.
    pub(super) async fn start_turn(&mut self) -> Option<Vec<Effect>> {
        // The sandbox's state is known (and shown) before the model can ask for a command.
        self.sandbox_enforced().await;
        let number = self.state.turns + 1;
        if !self.record(vec![Event::TurnStarted { turn: number }]).await {
            return None;
        }
        self.round = 1;
        self.stop_continues = 0;
        // Read once per turn, so edits to AGENTS.md and new skills apply from the next prompt.
        if !self.reread_prompt_files().await {
            return None;
        }
        tracing::info!(turn = number, provider = %self.deps.client.provider(), "turn started");
        Some(vec![Effect::Request { may_compact: true }])
    }

    /// Sends the next request of the turn: compacting first when the window is filling up,
    /// refusing when it would not fit and nothing is left to compact.
    pub(super) async fn send_request(&mut self, may_compact: bool) -> Option<Vec<Effect>> {
        if !self.tell_drift().await || !self.tell_nested_memory().await || !self.take_route().await
        {
            return None;
        }
        // The hooks watching what the model did last are heard first.
        if self.await_watching(may_compact) {
            return Some(Vec::new());
        }
        // MCP servers still starting are waited for, so the model is offered their tools.
        if self.await_mcp(may_compact) {
            return Some(Vec::new());
        }
        // What hooks said for the model goes before the request, where the conversation is
        // whole.
        if let Some(said) = self.take_hook_notes()
            && !self.record(vec![said]).await
        {
            return None;
        }
        let report = self.report_context();
        let threshold = self.deps.compact_at;
        if may_compact
            && (report.over() || (threshold > 0.0 && report.fill() >= threshold))
            && let Some(through) = crate::core::compaction::through(&self.state)
        {
            self.start_compaction(true, through, None);
            return Some(Vec::new());
        }
        if report.over() {
            let message = format!(
                "not sent: the request needs about {} tokens plus {} kept for the reply, over \
                 the model's window of {}, and nothing is left to compact. Leave large items \
                 out of the context, or start a new session.",
                report.used(),
                report.reserved,
                report.window
            );
            tracing::warn!("{message}");
            self.activity = Activity::Idle;
            return Some(vec![Effect::Record(vec![
                Event::Error {
                    kind: ErrorKind::Context,
                    message,
                },
                Event::TurnFinished {
                    reason: FinishReason::Error,
                },
            ])]);
        }
        self.sent_raw = self.ledger.last_raw();
        // The system prompt's prefix begins: it keeps these files as they are now.
        self.frozen
            .get_or_insert_with(|| crate::core::frozen::Frozen::new(&self.memory, &self.catalog));
        let (memory, catalog) = self.prompt_files();
        let mut request = turn::build_request(
            &self.state,
            &self.deps.provider,
            memory,
            catalog,
            &self.deps.tools.registry,
        );
        request.probe = self.take_probe();
        let delay = self.models.delay.take().unwrap_or_default();
        let stream = if delay.is_zero() {
            self.deps.client.stream(request)
        } else {
            let client = self.deps.client.clone();
            ModelStream::after(delay, move || client.stream(request))
        };
        self.activity = Activity::Streaming {
            stream,
            // A retry's backoff is not the model's latency.
            progress: TurnProgress::sent_now(report.used()).sent_after(delay),
            last_checkpoint: Instant::now(),
            saved: 0,
        };
        Some(Vec::new())
    }

    /// The running activity produced something: decide what follows and do it.
    pub(super) async fn on_wake(&mut self, wake: Wake) {
        let effects = self.woken(wake).await;
        self.run(effects).await;
    }

    async fn woken(&mut self, wake: Wake) -> Vec<Effect> {
        if let Activity::Compacting { progress, .. } = &mut self.activity {
            return match wake {
                Wake::Stream(Some(Ok(event))) => {
                    progress.absorb(event);
                    let cap = self.deps.reply_cap();
                    if progress.bytes() <= cap {
                        return Vec::new();
                    }
                    let e = ProviderError::ReplyTooLong {
                        limit: cap,
                        max_output: self.deps.provider.max_output_tokens,
                    };
                    self.finish_compaction(Some(e))
                }
                Wake::Stream(None) => self.finish_compaction(None),
                Wake::Stream(Some(Err(e))) => self.finish_compaction(Some(e)),
                Wake::ToolDone(_) | Wake::Verified(_) | Wake::ShellDone(_) | Wake::Hooked(_) => {
                    Vec::new()
                }
            };
        }
        match wake {
            Wake::Stream(Some(Ok(event))) => match self.on_stream_event(event) {
                Some(e) => self.stream_failed(e),
                None => Vec::new(),
            },
            Wake::Stream(None) => self.round_complete(),
            Wake::Stream(Some(Err(e))) => self.stream_failed(e),
            Wake::ShellDone(result) => {
                let Activity::Shell {
                    id,
                    command,
                    started,
                    ..
                } = std::mem::replace(&mut self.activity, Activity::Idle)
                else {
                    return Vec::new();
                };
                let (output, exit_code) =
                    result.unwrap_or_else(|e| (format!("the command failed to run: {e}"), None));
                let event = Event::ShellRan {
                    id,
                    command,
                    output,
                    exit_code,
                    duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                };
                // A prompt typed while it ran goes once this is recorded (the actor's loop).
                vec![Effect::Record(vec![event])]
            }
            Wake::Verified(result) => {
                self.activity = Activity::Idle;
                let (passed, output) = result
                    .unwrap_or_else(|e| (false, format!("the test command failed to run: {e}")));
                stage_gates::verified(&self.state, passed, &output, self.facts())
            }
            Wake::ToolDone(result) => {
                let Activity::Running { call, started, .. } =
                    std::mem::replace(&mut self.activity, Activity::Idle)
                else {
                    return Vec::new();
                };
                let outcome =
                    result.unwrap_or_else(|e| ToolOutcome::error(format!("the tool failed: {e}")));
                if call.name == tools::SKILL
                    && outcome.ok
                    && let Some(name) = tools::skill::named(&call.arguments)
                {
                    self.granted.push(name);
                }
                // `PostToolUse` hooks see the result before the model does.
                self.post_tool(call, outcome, started.elapsed())
            }
            Wake::Hooked(result) => {
                let Activity::Hooking { then, .. } =
                    std::mem::replace(&mut self.activity, Activity::Idle)
                else {
                    return Vec::new();
                };
                let runs = result.unwrap_or_default();
                self.hooks_done(runs, then).await
            }
        }
    }

    /// The stream failed (or was cut for length): the turn ends with what arrived, marked.
    fn stream_failed(&mut self, e: ProviderError) -> Vec<Effect> {
        let progress = self.take_progress();
        if let Some(effects) = self.fall_back(&progress, &e) {
            return effects;
        }
        self.calibrate(&progress);
        tracing::warn!("turn failed");
        let origin = self.origin("turn");
        vec![Effect::Record(turn::finish_events(
            &progress,
            &TurnEnd::Failed(e),
            &self.deps.provider,
            &origin,
        ))]
    }

    /// Folds what arrived into the reply and sends it on as deltas; returns the stream's
    /// failure, if it failed.
    fn on_stream_event(&mut self, first: StreamEvent) -> Option<ProviderError> {
        let Activity::Streaming {
            stream, progress, ..
        } = &mut self.activity
        else {
            return None;
        };
        // Fold in what has already arrived, so a fast stream reaches the front end as a few
        // large deltas rather than thousands of tiny ones.
        let thought_from = progress.reasoning.len();
        let mut shown = progress.absorb(first).unwrap_or_default();
        let mut failed = None;
        while shown.len() + progress.reasoning.len() - thought_from < MAX_DELTA_BYTES {
            match stream.try_next() {
                Some(Ok(e)) => {
                    if let Some(text) = progress.absorb(e) {
                        shown.push_str(&text);
                    }
                }
                Some(Err(e)) => {
                    failed = Some(e);
                    break;
                }
                None => break,
            }
        }
        let cap = self.deps.reply_cap();
        if failed.is_none() && progress.bytes() > cap {
            // An endless reply: stop it here, keep it, say why.
            failed = Some(ProviderError::ReplyTooLong {
                limit: cap,
                max_output: self.deps.provider.max_output_tokens,
            });
        }
        // Reasoning comes before the answer in every wire form.
        if progress.reasoning.len() > thought_from {
            let text = progress.reasoning[thought_from..].to_string();
            let _ = self.events.send(Event::ReasoningDelta { text });
        }
        if !shown.is_empty() {
            let _ = self.events.send(Event::AssistantDelta { text: shown });
        }
        failed
    }

    /// Saves the reply so far. Not waited for: the writer keeps order, and the final message
    /// supersedes it.
    pub(super) fn checkpoint(&mut self) {
        if let Activity::Streaming {
            progress,
            last_checkpoint,
            saved,
            ..
        } = &mut self.activity
        {
            // Checkpoints are not waited for, so an earlier one's failure surfaces here.
            if let Some(failure) = self.deps.store.take_error() {
                let _ = self.events.send(Event::Error {
                    kind: ErrorKind::Store,
                    message: format!("not saved: {failure}"),
                });
            }
            *last_checkpoint = Instant::now();
            *saved = progress.text.len();
            self.deps.store.append(
                &self.state.id,
                vec![Event::AssistantCheckpoint {
                    text: progress.text.clone(),
                    reasoning: progress.reasoning.clone(),
                }],
            );
        }
    }

    fn take_progress(&mut self) -> TurnProgress {
        match std::mem::replace(&mut self.activity, Activity::Idle) {
            Activity::Streaming { progress, .. } => progress,
            _ => TurnProgress::default(),
        }
    }

    /// A model response ended normally: record it, then run its tool calls or end the turn.
    fn round_complete(&mut self) -> Vec<Effect> {
        let progress = self.take_progress();
        self.calibrate(&progress);
        let calls = progress.tool_calls();
        let origin = self.origin("turn");
        let mut effects = vec![Effect::Record(turn::reply_events(
            &progress,
            true,
            &self.deps.provider,
            &origin,
            None,
        ))];
        if calls.is_empty() {
            // `Stop` hooks may send the model on; the turn ends once they are done.
            if self.stop_hooks(progress.reason, &progress.text) {
                return effects;
            }
            // The reply's events do not touch the plan: the step is judged as it stands.
            effects.extend(gates::turn_completed(&self.state, progress.reason));
        } else {
            effects.extend(gates::calls_requested(
                calls,
                self.round,
                self.deps.max_tool_rounds,
            ));
        }
        effects
    }

    /// The turn stops here (a cancel, a hook's `continue: false`): every call left gets
    /// `outcome` as its result, approved steps no longer run by themselves, and a running plan
    /// step waits to run again, `note` saying why. Returns the calls' results and the step's
    /// change, for the caller to record in its order.
    pub(super) fn stop_here(
        &mut self,
        outcome: &ToolOutcome,
        note: &str,
    ) -> (Vec<Event>, Option<Event>) {
        // The subagents still running end too: every call of the round gets its result now.
        let mut results = self.cancel_subagents(outcome);
        results.extend(
            self.queue
                .drain(..)
                .map(|c| gates::result_event(&c, outcome, Duration::ZERO)),
        );
        self.set_run_all(false);
        self.end_turn = false;
        let step = gates::running_step(&self.state).map(|step| Event::StepStatusChanged {
            step,
            status: StepStatus::Approved,
            note: Some(note.into()),
        });
        (results, step)
    }

    /// Stops whatever runs and closes the turn: a partial reply is kept (interrupted), and
    /// every tool call left gets a result saying it was cancelled.
    /// `end_turn`: the work was part of a turn, which ends cancelled (see
    /// [`crate::core::machine::activity::Activity::in_turn`]).
    pub(super) async fn cancel(&mut self, end_turn: bool) {
        let cancelled = ToolOutcome::error("cancelled by the user");
        let origin = self.origin("turn");
        let mut events = match std::mem::replace(&mut self.activity, Activity::Idle) {
            Activity::Idle => return,
            Activity::Streaming {
                stream, progress, ..
            } => {
                // Dropping the stream aborts the request.
                drop(stream);
                turn::reply_events(&progress, false, &self.deps.provider, &origin, None)
            }
            Activity::Approving { call } => vec![
                Event::CommandDecided {
                    id: call.id.clone(),
                    command: route::subject(&self.deps.tools.registry, &call),
                    decision: CommandDecision::Denied {
                        reason: Some("cancelled".into()),
                    },
                },
                gates::result_event(&call, &cancelled, Duration::ZERO),
            ],
            Activity::Running {
                call,
                task,
                started,
            } => {
                // Aborting drops a command's process-group guard, killing it.
                task.abort();
                vec![gates::result_event(&call, &cancelled, started.elapsed())]
            }
            // The subagents' results follow, as for any other activity.
            Activity::Delegating => Vec::new(),
            Activity::Working => self.cancel_workers().await,
            Activity::Verifying { task } => {
                task.abort();
                vec![Event::Error {
                    kind: ErrorKind::Tool,
                    message: "the test command was cancelled".into(),
                }]
            }
            Activity::Shell {
                id,
                command,
                task,
                started,
            } => {
                // Aborting drops the command's process-group guard, which kills the group.
                task.abort();
                vec![Event::ShellRan {
                    id,
                    command,
                    output: "[stopped by the user]".into(),
                    exit_code: None,
                    duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                }]
            }
            Activity::Compacting {
                stream,
                progress,
                model,
                ..
            } => {
                drop(stream);
                // What the summary read and wrote before the cancel is billed all the same.
                let origin = self.origin("compact");
                let mut events: Vec<Event> = turn::usage_event(&progress, &model, &origin, None)
                    .into_iter()
                    .collect();
                events.push(Event::Error {
                    kind: ErrorKind::Context,
                    message: "compaction cancelled".into(),
                });
                events
            }
            Activity::McpStarting { .. } => Vec::new(),
            // Aborting drops the hooks' process-group guards, which kill them.
            Activity::Hooking { task, then } => {
                task.abort();
                self.hooks_cancelled(then)
            }
            Activity::Reviewing { call } => machine::review::cancelled(&self.state, &call),
        };
        let (results, step) = self.stop_here(
            &cancelled,
            "cancelled before it finished; it runs again when the plan goes on",
        );
        events.extend(results);
        events.extend(step);
        if end_turn {
            events.extend(turn::end_events(&TurnEnd::Cancelled, None));
        }
        self.record(events).await;
    }
}
