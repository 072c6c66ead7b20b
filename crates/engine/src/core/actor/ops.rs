//! What each op from a front end does: most are decided by `core::machine` or
//! [`decide`]; the rest need the running activity (approvals, cancel) or IO.

use super::*;

impl Actor {
    /// Handles an op; returns false to stop the session.
    pub(super) async fn on_op(&mut self, op: Op) -> bool {
        let facts = self.facts();
        let effects = match op {
            Op::Cancel => {
                self.cancel().await;
                Vec::new()
            }
            Op::ApproveCommand { call_id, always } => {
                let decision = if always {
                    CommandDecision::Always
                } else {
                    CommandDecision::Once
                };
                self.answer(&call_id, decision)
            }
            Op::DenyCommand { call_id, reason } => {
                self.answer(&call_id, CommandDecision::Denied { reason })
            }
            Op::Submit { .. } if !self.ready() => {
                self.prompts.push_back(op);
                Vec::new()
            }
            Op::Submit { .. } => {
                self.submit(&op).await;
                Vec::new()
            }
            Op::SubmitReview { change } => vec![Effect::WriteReview(change)],
            Op::Go { all } => gates::go(&self.state, all, facts),
            Op::MarkStepDone => gates::mark_step_done(&self.state, facts),
            Op::PassGate => stage_gates::stage_gate(&self.state, &GateOp::Pass, facts),
            Op::SendBack { comments } => {
                stage_gates::stage_gate(&self.state, &GateOp::SendBack(comments), facts)
            }
            Op::SkipStage => stage_gates::stage_gate(&self.state, &GateOp::Skip, facts),
            Op::RevisePlan => {
                self.revise_plan().await;
                Vec::new()
            }
            Op::SetModel { provider, model } => {
                self.switch_model(&provider, &model).await;
                Vec::new()
            }
            Op::Unqueue => {
                if let Some(Op::Submit { text, .. }) = self.prompts.pop_back() {
                    let _ = self.events.send(Event::Unqueued { text });
                }
                Vec::new()
            }
            Op::Shell { command } => {
                if self.ready() {
                    self.run_shell(command);
                } else {
                    self.refuse(
                        "run a command when the model has finished and no review waits",
                        Some(Hint::Wait),
                    );
                }
                Vec::new()
            }
            Op::Compact | Op::CompactFocus { .. } => {
                let focus = match &op {
                    Op::CompactFocus { focus } => Some(focus.as_str()),
                    _ => None,
                };
                if !self.ready() {
                    self.refuse(
                        "compact when the model has finished and no review waits",
                        Some(Hint::Wait),
                    );
                } else if !self.start_compaction(false, focus) {
                    self.refuse(
                        "nothing to compact yet: compaction summarises the turns before the \
                         latest prompt",
                        None,
                    );
                }
                Vec::new()
            }
            Op::Repropose { change } => self.repropose(&change),
            Op::RestartMcp { server } => {
                self.restart_mcp(&server);
                Vec::new()
            }
            Op::Undo => {
                self.undo().await;
                Vec::new()
            }
            other => match decide(&self.state, &other) {
                Decision::Ignore => Vec::new(),
                Decision::Stop => return false,
                Decision::Record(new) => vec![Effect::Record(new)],
            },
        };
        self.run(effects).await;
        true
    }

    /// The human answered an approval: acted on only when it is for the call that waits.
    pub(super) fn answer(&mut self, call_id: &str, decision: CommandDecision) -> Vec<Effect> {
        let Activity::Approving { call } = &self.activity else {
            return Vec::new();
        };
        let subject = route::subject(&self.deps.tools.registry, call);
        approval::answer(Some(call), &subject, call_id, decision)
    }

    /// A prompt: recorded, then a turn starts — or, in the pipeline gear with no run under
    /// way, the run starts.
    pub(super) async fn submit(&mut self, op: &Op) {
        // `UserPromptSubmit` hooks see it first, when any are set.
        if let Some(op) = self.prompt_hooks(op.clone(), false) {
            self.submit_now(&op).await;
        }
    }

    /// A prompt the hooks let through.
    pub(super) async fn submit_now(&mut self, op: &Op) {
        let Decision::Record(mut new) = decide(&self.state, op) else {
            return;
        };
        // A new prompt ends the grants of the skills loaded before it; `/name args` invokes
        // a skill: its instructions follow the prompt.
        self.granted.clear();
        let mut invoked = false;
        let typed = !std::mem::take(&mut self.generated);
        if let Op::Submit { text, .. } = op
            && typed
            && let Some((grant, said)) = self.invoked_skill(text)
        {
            new.extend(said);
            self.granted.extend(grant);
            invoked = true;
        }
        if let Op::Submit { attachments, .. } = op
            && !attachments.is_empty()
        {
            new.push(self.attached(attachments).await);
        }
        // `@server:uri` mentions and `/mcp__server__prompt` of the human's own prompt: read
        // now, recorded with it.
        if let Op::Submit { text, .. } = op
            && typed
        {
            match self.mcp_offers(text).await {
                Ok(said) => new.extend(said),
                Err(why) => {
                    let _ = self.events.send(Event::Unqueued { text: text.clone() });
                    self.refuse(format!("not sent: {why}"), None);
                    return;
                }
            }
        }
        if !self.record(new).await {
            return;
        }
        let running = self
            .state
            .pipeline
            .as_ref()
            .is_some_and(|p| !p.run.finished());
        // `/name` runs its skill now, in the pipeline gear too, rather than starting a run.
        let effects = if self.state.gear == Gear::Pipeline && !running && !invoked {
            match op {
                Op::Submit { text, .. } => self.start_pipeline(text),
                _ => Vec::new(),
            }
        } else {
            vec![Effect::StartTurn]
        };
        self.run(effects).await;
    }

    /// The instructions of the skill a prompt invokes as `/name args`, if it names one.
    /// A skill whose artifact is a memory file (`/init`) also makes the turn a memory turn.
    /// A custom command (`commands/NAME.md`) comes first: its template, filled in, follows
    /// the prompt as the user's own words.
    /// Returned are the skill whose `allowed-tools` now apply, and what to record.
    fn invoked_skill(&self, text: &str) -> Option<(Option<String>, Vec<Event>)> {
        let rest = text.trim_start().strip_prefix('/')?;
        let (name, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        if let Some(command) = self.custom.get(name) {
            let said = Event::Instructed {
                text: crate::core::commands::expand(&command.body, args.trim()),
                category: None,
            };
            return Some((None, vec![said]));
        }
        let skills = self.deps.tools.skills.read().ok()?;
        if !skills.contains_key(name) {
            return None;
        }
        let loaded = tools::skill::load_named(&skills, name);
        let memory = skills[name]
            .artifact
            .as_deref()
            .is_some_and(crate::core::memory::is_memory_file);
        let mut events = Vec::new();
        if memory {
            events.push(Event::MemoryTurn {
                skill: name.to_string(),
            });
        }
        events.push(Event::Instructed {
            text: crate::core::prompts::skill_invoked(name, args.trim(), &loaded.content),
            category: Some(crate::context::Category::Skills),
        });
        Some((Some(name.to_string()), events))
    }

    /// The files (and folders) a prompt `@`-mentions, read as the model's own read tools read
    /// them — confined to the workspace, secrets redacted — each cut at
    /// [`crate::core::prompts::ATTACHMENT_BYTES`] with a note saying how to read the rest.
    pub(super) async fn attached(&self, paths: &[String]) -> Event {
        let mut read = Vec::with_capacity(paths.len());
        for path in paths {
            let folder =
                path.ends_with('/') || self.deps.tools.workspace.root().join(path).is_dir();
            let call = ToolCallRequest {
                id: String::new(),
                name: if folder {
                    tools::LIST_DIR
                } else {
                    tools::READ_FILE
                }
                .into(),
                arguments: serde_json::json!({ "path": path }).to_string(),
            };
            let outcome = tools::execute(&call, &self.deps.tools, Writes::Propose).await;
            read.push((path.clone(), outcome.ok, outcome.content));
        }
        Event::Instructed {
            text: crate::core::prompts::attached(&read),
            category: Some(crate::context::Category::User),
        }
    }

    /// `r`: sends the plan's comments to the model for a revised plan.
    async fn revise_plan(&mut self) {
        let Some(plan) = &self.state.plan else {
            self.refuse("no plan to revise", None);
            return;
        };
        if !self.ready() {
            self.refuse("revise when the model has finished", Some(Hint::Wait));
            return;
        }
        let text = crate::core::prompts::revise_plan(&plan.render());
        // The plan is the model's words: an `@server:uri` or `/name` in it is not the human's.
        self.generated = true;
        self.submit(&Op::Submit {
            text,
            attachments: Vec::new(),
        })
        .await;
    }
}
