//! The plan gear: recording a proposed plan, ending a step at its gate, and running the next
//! approved step (`g`, `G`).

use super::*;

impl Actor {
    /// The id of the plan step being run, if any.
    pub(super) fn running_step(&self) -> Option<String> {
        self.state
            .plan
            .as_ref()
            .and_then(Plan::running)
            .map(|s| s.id.clone())
    }

    /// `propose_plan`: records the plan (a new version) and ends the turn for the human to
    /// review it. Returns whether recording worked.
    pub(super) async fn propose_plan(&mut self, call: &ToolCallRequest) -> bool {
        #[derive(serde::Deserialize)]
        struct Args {
            steps: Vec<StepSpec>,
        }
        let parsed: Result<Args, String> = tools::parse_args(call).map_err(|e| e.0);
        let version = self.state.plan.as_ref().map_or(1, |p| p.version + 1);
        let outcome = parsed.and_then(|a| {
            Plan::propose(version, &a.steps)
                .map(|p| (a.steps, p))
                .map_err(|e| format!("the plan was not accepted: {e}. Propose it again."))
        });
        match outcome {
            Ok((steps, plan)) => {
                let count = plan.walk().count();
                self.end_turn = true;
                self.record(vec![
                    Event::PlanProposed { version, steps },
                    result_event(
                        call,
                        &ToolOutcome::ok(
                            format!(
                                "Plan version {version} with {count} steps is now with the user, \
                                 who edits and approves it. Stop here; approved steps will be \
                                 given to you one at a time."
                            ),
                            format!("plan v{version}: {count} steps"),
                        ),
                        Duration::ZERO,
                    ),
                ])
                .await
            }
            Err(message) => {
                self.record(vec![result_event(
                    call,
                    &ToolOutcome::error(message),
                    Duration::ZERO,
                )])
                .await
            }
        }
    }

    /// `complete_step` / `fail_step`: the running step stops at its gate, or fails.
    pub(super) async fn end_step(&mut self, call: &ToolCallRequest) -> bool {
        #[derive(serde::Deserialize)]
        struct Args {
            #[serde(default, alias = "reason")]
            summary: String,
        }
        let Some(step) = self.running_step() else {
            return self
                .record(vec![result_event(
                    call,
                    &ToolOutcome::error("no plan step is running"),
                    Duration::ZERO,
                )])
                .await;
        };
        let note = tools::parse_args::<Args>(call)
            .map(|a| a.summary)
            .unwrap_or_default();
        let failed = call.name == tools::FAIL_STEP;
        let number = self
            .state
            .plan
            .as_ref()
            .and_then(|p| p.number(&step))
            .unwrap_or_default();
        let (status, text) = if failed {
            self.run_all = false;
            (
                StepStatus::Failed,
                format!("Step {number} is marked failed; execution stops for the user."),
            )
        } else {
            (
                StepStatus::AwaitingReview,
                format!(
                    "Step {number} is complete; the user reviews it before the next step. Stop here."
                ),
            )
        };
        self.end_turn = true;
        self.record(vec![
            result_event(
                call,
                &ToolOutcome::ok(text, format!("step {number}: {}", status.label())),
                Duration::ZERO,
            ),
            Event::StepStatusChanged {
                step,
                status,
                note: (!note.trim().is_empty()).then(|| note.trim().to_string()),
            },
        ])
        .await
    }

    /// `g` / `G`: passes the gate of the step waiting at it, then runs the next approved step.
    pub(super) async fn go(&mut self, all: bool) {
        if !self.ready() {
            self.notify("wait: the model is working or a change waits for review".into());
            return;
        }
        let Some(plan) = &self.state.plan else {
            self.notify("no plan yet: in the plan gear, ask for what you want first".into());
            return;
        };
        let mut events = Vec::new();
        let mut rerun = None;
        match plan.active() {
            Some(s) if s.status == StepStatus::AwaitingReview => {
                events.push(Event::StepStatusChanged {
                    step: s.id.clone(),
                    status: StepStatus::Done,
                    note: None,
                });
            }
            // Running with nothing running: the process stopped mid-step; run it again.
            Some(s) => rerun = Some(s.id.clone()),
            None => {}
        }
        let passed_gate = !events.is_empty();
        if passed_gate && !self.record(events).await {
            return;
        }
        let next = rerun.or_else(|| {
            self.state
                .plan
                .as_ref()
                .and_then(Plan::next_runnable)
                .map(|s| s.id.clone())
        });
        let Some(step) = next else {
            self.run_all = false;
            let (approved, done, total) = self.state.plan.as_ref().map_or((0, 0, 0), Plan::counts);
            if approved == 0 {
                self.notify(
                    "no step is approved: a approves the selected step, A all of them".into(),
                );
            } else if passed_gate {
                let mut events = vec![Event::PlanCompleted { done, total }];
                if let Some(stage) = self.running_stage(StageKind::RunPlan) {
                    events.push(Event::Stage {
                        event: StageEvent::AtGate { stage },
                    });
                }
                self.record(events).await;
            } else {
                self.notify(format!(
                    "no approved step left to run ({done} of {total} done)"
                ));
            }
            return;
        };
        self.run_all = all;
        let events = vec![Event::StepStatusChanged {
            step,
            status: StepStatus::Running,
            note: None,
        }];
        if self.record(events).await {
            self.start_turn().await;
        }
    }

    /// After a turn: with `G`, the next step starts once this one waits at its gate with its
    /// changes decided.
    pub(super) async fn after_step(&mut self) {
        if self.state.gear == Gear::Pipeline && self.after_stage_turn().await {
            return;
        }
        let waiting = self
            .state
            .plan
            .as_ref()
            .and_then(Plan::active)
            .is_some_and(|s| s.status == StepStatus::AwaitingReview);
        if self.run_all && waiting && self.ready() {
            Box::pin(self.go(true)).await;
        }
    }

    /// `r`: sends the plan's comments to the model for a revised plan.
    pub(super) async fn revise_plan(&mut self) {
        let Some(plan) = &self.state.plan else {
            self.notify("no plan to revise".into());
            return;
        };
        if !self.ready() {
            self.notify("revise when the model has finished".into());
            return;
        }
        let text = format!(
            "Please revise the plan with my edits and comments, and propose it again with \
             propose_plan.\n\nThe plan as I left it:\n\n{}",
            plan.render()
        );
        self.submit(&Op::Submit {
            text,
            attachments: Vec::new(),
        })
        .await;
    }
}
