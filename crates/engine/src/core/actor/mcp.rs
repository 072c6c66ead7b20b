//! MCP servers in the session: `mcp::servers` owns them (started in the background when the
//! session opens, so the front end draws without waiting; their tools registered as each
//! becomes ready; their end watched). Here the session says what happened: a server that
//! fails to start or dies is said (and kept with the session), the front end is told every
//! server's state, and a request that waited for servers goes out; `/mcp restart NAME`
//! starts one again.

use super::Actor;
use super::activity::Activity;
use crate::core::machine::Effect;
use crate::mcp::servers::{Change, Servers, Wake};
use crate::protocol::{Event, NoticeLevel};

impl Actor {
    /// Lists every server as starting; they start a moment later, or at once when a request
    /// needs them first.
    pub(super) fn start_mcp(&mut self) {
        for text in &self.deps.mcp_problems {
            self.warn(text.clone());
        }
        self.mcp = Servers::new(
            self.deps.mcp_servers.clone(),
            self.deps.tools.workspace.root().to_path_buf(),
            self.deps.mcp_env.clone(),
        );
        self.tell_mcp();
    }

    /// A background task reported: what changed is said, and a request waiting for the
    /// servers goes once none is starting.
    pub(super) async fn mcp_woke(&mut self, wake: Wake) {
        let change = self.mcp.woke(wake, &mut self.deps.tools);
        match &change {
            Change::Stale => return,
            Change::Ready { refused } => {
                for text in refused {
                    self.warn(format!("an MCP tool was left out: {text}"));
                }
            }
            Change::Failed { name, reason } => {
                self.say_mcp(format!(
                    "MCP server `{name}` did not start: {reason}. The session goes on without \
                     its tools; `/mcp restart {name}` tries again."
                ))
                .await;
            }
            Change::Closed { name, why } => {
                self.say_mcp(format!(
                    "MCP server `{name}` stopped ({why}); its tools are gone until `/mcp restart \
                     {name}`. The session goes on."
                ))
                .await;
            }
        }
        self.tell_mcp();
        self.say_commands();
        self.report_context();
        if change.started() {
            self.mcp_settled().await;
        }
    }

    /// Before a request: waits (as the activity, so Esc stops the wait) while a server is
    /// still starting; each has its startup timeout. Returns whether it waits.
    pub(super) fn await_mcp(&mut self, may_compact: bool) -> bool {
        self.mcp.launch();
        let starting = self.mcp.starting(None);
        if starting.is_empty() {
            return false;
        }
        let _ = self.events.send(Event::Notice {
            level: NoticeLevel::Info,
            text: format!("Waiting for MCP servers to start: {}", starting.join(", ")),
        });
        self.activity = Activity::McpStarting { may_compact };
        true
    }

    /// A server is no longer starting: the request that waited goes out once none is.
    async fn mcp_settled(&mut self) {
        let Activity::McpStarting { may_compact } = self.activity else {
            return;
        };
        if !self.mcp.starting(None).is_empty() {
            return;
        }
        self.activity = Activity::Idle;
        // Boxed: a prompt's effects can wait for servers (`mcp_offers`), which lands here.
        Box::pin(self.run(vec![Effect::Request { may_compact }])).await;
    }

    /// `/mcp restart NAME`.
    pub(super) fn restart_mcp(&mut self, name: &str) {
        match self.mcp.restart(name, &mut self.deps.tools) {
            Ok(()) => self.tell_mcp(),
            Err(why) => self.refuse(why, None),
        }
    }

    /// A server's failure, said in the session (and kept with it).
    async fn say_mcp(&mut self, text: String) {
        self.record(vec![Event::Notice {
            level: NoticeLevel::Warning,
            text,
        }])
        .await;
    }

    /// Tells the front end every server's state.
    pub(super) fn tell_mcp(&self) {
        if self.mcp.is_empty() {
            return;
        }
        let _ = self.events.send(Event::McpStatus {
            servers: self.mcp.statuses(),
        });
    }
}
