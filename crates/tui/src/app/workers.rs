//! Plan steps at work in their worktrees, as the chat shows them: a cell per worker with its
//! live steps (what it says arrives as `Event::FromAgent` under its name), closed with what
//! became of it. While any works, the session is busy: Esc cancels them.

use super::App;
use crate::plan::{StepStatus, parallel};
use crate::protocol::Event;
use crate::toolcell::ToolResultView;

impl App {
    /// A step's status changed: its worker's cell opens or closes.
    pub(super) fn tell_worker(&mut self, event: &Event, replay: bool) {
        let Event::StepStatusChanged { step, status, note } = event else {
            return;
        };
        let id = parallel::worker_id(step);
        let note = note.clone().unwrap_or_default();
        match status {
            StepStatus::Working => {
                let plan = self.plan.plan.as_ref();
                let number = plan.and_then(|p| p.number(step)).unwrap_or_default();
                let title = plan
                    .and_then(|p| p.step(step))
                    .map(|s| s.title.clone())
                    .unwrap_or_default();
                let args = serde_json::json!({
                    "summary": format!("step {number} — {title} · {note}")
                });
                self.transcript.push_tool(&id, "worker", &args.to_string());
                self.busy = !replay;
            }
            StepStatus::Worked | StepStatus::Failed | StepStatus::Approved
                if self
                    .transcript
                    .tool(&id)
                    .is_some_and(|c| c.result.is_none()) =>
            {
                let ok = *status == StepStatus::Worked;
                let summary = match status {
                    StepStatus::Worked => "worked · its change comes back in plan order",
                    StepStatus::Failed => "failed",
                    _ => "cancelled",
                };
                self.transcript.tool_result(
                    &id,
                    ToolResultView {
                        ok,
                        summary: summary.into(),
                        content: note,
                        duration_ms: 0,
                    },
                );
                let working = self
                    .plan
                    .plan
                    .as_ref()
                    .is_some_and(|p| p.walk().any(|(_, _, s)| s.status == StepStatus::Working));
                if !working {
                    self.busy = false;
                }
            }
            _ => {}
        }
    }
}
