//! Tool calls: the next queued call routed (see `core::machine::route`), and run in the
//! background.

use super::*;

impl Actor {
    /// Routes the next queued tool call, or ends the round: the turn ends when the model ended
    /// a step or proposed a plan, else the next request goes out.
    pub(super) async fn next_call(&mut self) -> Vec<Effect> {
        let Some(call) = self.queue.pop_front() else {
            if std::mem::take(&mut self.end_turn) {
                return vec![
                    Effect::Record(turn::end_events(&TurnEnd::Completed, None)),
                    Effect::AfterTurn,
                ];
            }
            self.round += 1;
            return vec![Effect::Request { may_compact: true }];
        };
        let registry = Arc::clone(&self.deps.tools);
        let registry = &registry.registry;
        let listed = match tools::command_of(&call) {
            Some(command) if registry.kind_of(&call.name) == Some(tools::ToolKind::Shell) => {
                self.deps.allowlist.allows(&command) && self.sandbox_enforced().await
            }
            _ => false,
        };
        route::route(&self.state, registry, call, listed, self.facts())
    }

    /// Runs a call's handler in the background; its outcome wakes the actor.
    pub(super) fn run_call(&mut self, call: ToolCallRequest) {
        let ctx = Arc::clone(&self.deps.tools);
        let task_call = call.clone();
        let writes = self.deps.writes(self.state.gear);
        let task = tokio::spawn(async move { tools::execute(&task_call, &ctx, writes).await });
        self.activity = Activity::Running {
            call,
            task,
            started: Instant::now(),
        };
    }
}
