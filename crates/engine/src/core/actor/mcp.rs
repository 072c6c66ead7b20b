//! MCP servers in the session: started in the background when the session opens (the front
//! end draws without waiting), their tools registered as each becomes ready, their end
//! watched. A server that fails to start or dies is said in the session, its tools leave the
//! registry, and the session goes on; `/mcp restart NAME` starts it again.

use std::sync::Arc;
use std::time::Duration;

use super::Actor;
use super::activity::Activity;
use crate::core::machine::Effect;
use crate::mcp::{self, ServerState, ServerStatus, client};
use crate::protocol::{Event, NoticeLevel};

/// How long after the session opens the servers start (unless a request needs them first).
const MCP_DELAY: Duration = Duration::from_millis(100);

/// One configured server.
pub(super) struct Server {
    pub config: mcp::McpServerConfig,
    pub state: ServerState,
    pub connection: Option<client::Connection>,
    /// Bumped at every start, so the end of an earlier connection is told apart.
    pub generation: u64,
}

/// What the background tasks report.
pub(super) enum McpWake {
    Started {
        name: String,
        generation: u64,
        result: Result<client::Connection, String>,
    },
    Closed {
        name: String,
        generation: u64,
        why: String,
    },
}

impl Actor {
    /// Lists every server as starting; they are started in the background a moment later
    /// (`MCP_DELAY`: after the front end's first frame, whose CPU they would share), or at
    /// once when a request needs them first.
    pub(super) fn start_mcp(&mut self) {
        for text in &self.deps.mcp_problems {
            self.warn(text.clone());
        }
        let configs = self.deps.mcp_servers.clone();
        for (name, config) in configs {
            let state = if config.enabled {
                ServerState::Starting
            } else {
                ServerState::Disabled
            };
            self.mcp.insert(
                name.clone(),
                Server {
                    config,
                    state,
                    connection: None,
                    generation: 0,
                },
            );
        }
        if !self.mcp.is_empty() {
            self.mcp_start_at = Some(tokio::time::Instant::now() + MCP_DELAY);
        }
        self.tell_mcp();
    }

    /// Starts the servers listed by `start_mcp`, once.
    pub(super) fn launch_mcp(&mut self) {
        if self.mcp_start_at.take().is_none() {
            return;
        }
        let names: Vec<String> = self.mcp.keys().cloned().collect();
        for name in names {
            self.connect_mcp(&name);
        }
    }

    /// (Re)connects `name` in the background.
    fn connect_mcp(&mut self, name: &str) {
        let Some(server) = self.mcp.get_mut(name) else {
            return;
        };
        if !server.config.enabled {
            return;
        }
        server.generation += 1;
        server.state = ServerState::Starting;
        let generation = server.generation;
        let config = server.config.clone();
        let workspace = self.deps.tools.workspace.root().to_path_buf();
        let env = self.deps.mcp_env.clone();
        let name = name.to_string();
        self.mcp_tasks.spawn(async move {
            let result = client::connect(&config, &workspace, &env).await;
            McpWake::Started {
                name,
                generation,
                result,
            }
        });
    }

    /// A background task reported.
    pub(super) async fn mcp_woke(&mut self, wake: McpWake) {
        match wake {
            McpWake::Started {
                name,
                generation,
                result,
            } => {
                let Some(server) = self.mcp.get_mut(&name) else {
                    return;
                };
                if server.generation != generation {
                    if let Ok(c) = result {
                        c.stop();
                    }
                    return;
                }
                match result {
                    Ok(mut connection) => {
                        let timeout = server.config.tool_timeout();
                        let tools = Arc::make_mut(&mut self.deps.tools);
                        tools
                            .registry
                            .remove_where(|n| mcp::server_of(n) == Some(&name));
                        let mut added = 0;
                        let mut refused = Vec::new();
                        for tool in &connection.tools {
                            let handler =
                                mcp::McpTool::new(&name, tool, connection.peer.clone(), timeout);
                            match tools.registry.register(Arc::new(handler)) {
                                Ok(()) => added += 1,
                                Err(e) => refused.push(e.to_string()),
                            }
                        }
                        server.state = ServerState::Ready {
                            tools: added,
                            resources: connection.resources.iter().map(|r| r.uri.clone()).collect(),
                        };
                        if let Some(closed) = connection.closed.take() {
                            self.mcp_tasks.spawn(async move {
                                let why = closed
                                    .await
                                    .unwrap_or_else(|e| format!("its watcher failed: {e}"));
                                McpWake::Closed {
                                    name,
                                    generation,
                                    why,
                                }
                            });
                        }
                        server.connection = Some(connection);
                        for text in refused {
                            self.warn(format!("an MCP tool was left out: {text}"));
                        }
                    }
                    Err(reason) => {
                        server.state = ServerState::Failed {
                            reason: reason.clone(),
                        };
                        self.say_mcp(format!(
                            "MCP server `{name}` did not start: {reason}. The session goes on \
                             without its tools; `/mcp restart {name}` tries again."
                        ))
                        .await;
                    }
                }
                self.tell_mcp();
                self.say_commands();
                self.report_context();
                self.mcp_settled().await;
            }
            McpWake::Closed {
                name,
                generation,
                why,
            } => {
                let Some(server) = self.mcp.get_mut(&name) else {
                    return;
                };
                if server.generation != generation {
                    return;
                }
                server.connection = None;
                server.state = ServerState::Failed {
                    reason: format!("it stopped: {why}"),
                };
                self.drop_tools(&name);
                self.say_mcp(format!(
                    "MCP server `{name}` stopped ({why}); its tools are gone until `/mcp restart \
                     {name}`. The session goes on."
                ))
                .await;
                self.tell_mcp();
                self.say_commands();
                self.report_context();
            }
        }
    }

    /// Before a request: waits (as the activity, so Esc stops the wait) while a server is
    /// still starting; each has its startup timeout. Returns whether it waits.
    pub(super) fn await_mcp(&mut self, may_compact: bool) -> bool {
        self.launch_mcp();
        let starting: Vec<&str> = self
            .mcp
            .iter()
            .filter(|(_, s)| s.state == ServerState::Starting)
            .map(|(n, _)| n.as_str())
            .collect();
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
        if self.mcp.values().any(|s| s.state == ServerState::Starting) {
            return;
        }
        self.activity = Activity::Idle;
        // Boxed: a prompt's effects can wait for servers (`mcp_offers`), which lands here.
        Box::pin(self.run(vec![Effect::Request { may_compact }])).await;
    }

    /// `/mcp restart NAME`.
    pub(super) fn restart_mcp(&mut self, name: &str) {
        let Some(server) = self.mcp.get_mut(name) else {
            let known: Vec<&str> = self.mcp.keys().map(String::as_str).collect();
            self.refuse(
                format!(
                    "no MCP server `{name}` (configured: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
                None,
            );
            return;
        };
        if let Some(c) = server.connection.take() {
            c.stop();
        }
        server.config.enabled = true;
        self.drop_tools(name);
        self.connect_mcp(name);
        self.tell_mcp();
    }

    /// Takes the server's tools out of the registry.
    fn drop_tools(&mut self, server: &str) {
        Arc::make_mut(&mut self.deps.tools)
            .registry
            .remove_where(|n| mcp::server_of(n) == Some(server));
    }

    /// A server's failure, said in the session (and kept with it).
    async fn say_mcp(&mut self, text: String) {
        self.record(vec![Event::Notice {
            level: NoticeLevel::Warning,
            text,
        }])
        .await;
    }

    /// Stops every server (the session ends).
    pub(super) fn stop_mcp(&mut self) {
        for server in self.mcp.values_mut() {
            if let Some(c) = server.connection.take() {
                c.stop();
            }
        }
        self.mcp_tasks.abort_all();
    }

    /// Tells the front end every server's state.
    pub(super) fn tell_mcp(&self) {
        if self.mcp.is_empty() {
            return;
        }
        let servers = self
            .mcp
            .iter()
            .map(|(name, s)| ServerStatus {
                name: name.clone(),
                how: match s.config.transport() {
                    Ok(mcp::config::Transport::Stdio { command }) => format!("stdio: {command}"),
                    Ok(mcp::config::Transport::Http { url }) => format!("http: {url}"),
                    Err(e) => e,
                },
                state: s.state.clone(),
            })
            .collect();
        let _ = self.events.send(Event::McpStatus { servers });
    }
}
