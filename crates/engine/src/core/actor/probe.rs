//! The command sandbox as the session sees it: the probe's verdict shown and said once, and
//! whether it is in force when a command asks.

use gearshift_sandbox as sandbox;

use super::Actor;
use super::activity::probed;
use crate::protocol::{Event, NoticeLevel};

impl Actor {
    /// The probe's verdict arrived: the front end shows it, and a sandbox that is not in
    /// force is said in the session, once.
    pub(super) async fn sandbox_probed(&mut self, status: sandbox::Status) {
        let policy = &self.deps.tools.runner.sandbox.policy;
        let problem = match &status {
            sandbox::Status::Unavailable(why) => Some(why.clone()),
            _ => None,
        };
        let _ = self.events.send(Event::SandboxStatus {
            mode: policy.mode.as_str().to_string(),
            network: policy.network,
            enforced: status.enforced(),
            problem: problem.clone(),
        });
        tracing::info!(?status, "sandbox probed");
        self.sandbox = Some(status);
        let mut notices = Vec::new();
        if let Some(text) = problem {
            notices.push(Event::Notice {
                level: NoticeLevel::Warning,
                text: format!("{text} (`gearshift doctor` shows each layer and its fix)"),
            });
        }
        // How commands' writes are held for the gate, when it is not the overlay.
        let sandbox = &self.deps.tools.runner.sandbox;
        if sandbox.policy.mode != crate::config::SandboxMode::ReadOnly
            && let Err(why) = sandbox.overlay()
        {
            notices.push(Event::Notice {
                level: NoticeLevel::Info,
                text: format!(
                    "Commands' writes cannot be held in an overlay here ({why}): gearshift reads \
                     the workspace before each command and compares it after, so their writes \
                     still pass the review — more slowly in a large workspace."
                ),
            });
        }
        if !notices.is_empty() {
            self.record(notices).await;
        }
    }

    /// Whether the sandbox is in force, waiting for the probe if it has not answered yet.
    pub(super) async fn sandbox_enforced(&mut self) -> bool {
        if let Some(probe) = self.probe.take() {
            let mut probe = Some(probe);
            let status = probed(&mut probe).await;
            self.sandbox_probed(status).await;
        }
        self.sandbox.as_ref().is_some_and(sandbox::Status::enforced)
    }
}
