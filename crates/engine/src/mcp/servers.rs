//! A session's MCP servers, supervised: each configured server's state and connection, its
//! start and its watched end running in the background, and the tools each adds to the
//! session's registry. A start or an end that belongs to an earlier connection (the server
//! was restarted since) is told apart by a generation and ignored. The session decides what
//! to say about each [`Change`]; this owns the servers.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rmcp::service::{Peer, RoleClient};
use tokio::task::JoinSet;

use super::client::{self, Connection, ServerEnv};
use super::config::Transport;
use super::{McpServerConfig, McpTool, ServerState, ServerStatus, server_of};
use crate::tools::ToolContext;

/// How long after the session opens the servers start (unless a request needs them first):
/// after the front end's first frame, whose CPU they would share.
const START_DELAY: Duration = Duration::from_millis(100);

/// One configured server.
pub struct Server {
    pub config: McpServerConfig,
    pub state: ServerState,
    pub connection: Option<Connection>,
    /// Bumped at every start, so the end of an earlier connection is told apart.
    generation: u64,
}

/// What a background task reports.
pub enum Wake {
    Started {
        name: String,
        generation: u64,
        result: Result<Connection, String>,
    },
    Closed {
        name: String,
        generation: u64,
        why: String,
    },
}

/// What a [`Wake`] changed, for the session to say.
pub enum Change {
    /// It belonged to an earlier connection: nothing changed.
    Stale,
    /// The server is ready, its tools registered; `refused` are the tools left out, and why.
    Ready { refused: Vec<String> },
    /// The server did not start.
    Failed { name: String, reason: String },
    /// The server stopped; its tools left the registry.
    Closed { name: String, why: String },
}

impl Change {
    /// A start finished, well or not: a request waiting for servers may go.
    #[must_use]
    pub fn started(&self) -> bool {
        matches!(self, Change::Ready { .. } | Change::Failed { .. })
    }
}

/// The session's servers.
#[derive(Default)]
pub struct Servers {
    servers: BTreeMap<String, Server>,
    tasks: JoinSet<Wake>,
    start_at: Option<tokio::time::Instant>,
    workspace: PathBuf,
    env: ServerEnv,
}

impl Servers {
    /// Lists every server as starting (or disabled); they start a moment later, or at once
    /// when a request needs them ([`Servers::launch`]).
    #[must_use]
    pub fn new(
        configs: BTreeMap<String, McpServerConfig>,
        workspace: PathBuf,
        env: ServerEnv,
    ) -> Servers {
        let servers: BTreeMap<String, Server> = configs
            .into_iter()
            .map(|(name, config)| {
                let state = if config.enabled {
                    ServerState::Starting
                } else {
                    ServerState::Disabled
                };
                let server = Server {
                    config,
                    state,
                    connection: None,
                    generation: 0,
                };
                (name, server)
            })
            .collect();
        let start_at = (!servers.is_empty()).then(|| tokio::time::Instant::now() + START_DELAY);
        Servers {
            servers,
            tasks: JoinSet::new(),
            start_at,
            workspace,
            env,
        }
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.servers.is_empty()
    }

    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Server> {
        self.servers.get(name)
    }

    /// Every server, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Server)> {
        self.servers.iter()
    }

    /// When the servers are due to start, until [`Servers::launch`] has started them.
    #[must_use]
    pub fn start_at(&self) -> Option<tokio::time::Instant> {
        self.start_at
    }

    /// Starts the servers listed by [`Servers::new`], once.
    pub fn launch(&mut self) {
        if self.start_at.take().is_none() {
            return;
        }
        let names: Vec<String> = self.servers.keys().cloned().collect();
        for name in names {
            self.connect(&name);
        }
    }

    /// (Re)connects `name` in the background.
    fn connect(&mut self, name: &str) {
        let Some(server) = self.servers.get_mut(name) else {
            return;
        };
        if !server.config.enabled {
            return;
        }
        server.generation += 1;
        server.state = ServerState::Starting;
        let generation = server.generation;
        let config = server.config.clone();
        let workspace = self.workspace.clone();
        let env = self.env.clone();
        let name = name.to_string();
        self.tasks.spawn(async move {
            let result = client::connect(&config, &workspace, &env).await;
            Wake::Started {
                name,
                generation,
                result,
            }
        });
    }

    /// The next report of a background task; `None` when none runs.
    pub async fn next(&mut self) -> Option<Wake> {
        loop {
            match self.tasks.join_next().await? {
                Ok(wake) => return Some(wake),
                // A task that panicked or was aborted reports nothing.
                Err(_) => continue,
            }
        }
    }

    /// Whether a task runs, so [`Servers::next`] can report.
    #[must_use]
    pub fn busy(&self) -> bool {
        !self.tasks.is_empty()
    }

    /// The servers among `names` (every one when `None`) still starting.
    #[must_use]
    pub fn starting(&self, names: Option<&[String]>) -> Vec<String> {
        self.servers
            .iter()
            .filter(|(n, s)| {
                s.state == ServerState::Starting && names.is_none_or(|ns| ns.contains(n))
            })
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Applies a report: a ready server's tools join `tools`' registry, a stopped one's
    /// leave it.
    pub fn woke(&mut self, wake: Wake, tools: &mut Arc<ToolContext>) -> Change {
        match wake {
            Wake::Started {
                name,
                generation,
                result,
            } => self.started(name, generation, result, tools),
            Wake::Closed {
                name,
                generation,
                why,
            } => {
                let Some(server) = self.servers.get_mut(&name) else {
                    return Change::Stale;
                };
                if server.generation != generation {
                    return Change::Stale;
                }
                server.connection = None;
                server.state = ServerState::Failed {
                    reason: format!("it stopped: {why}"),
                };
                drop_tools(tools, &name);
                Change::Closed { name, why }
            }
        }
    }

    fn started(
        &mut self,
        name: String,
        generation: u64,
        result: Result<Connection, String>,
        tools: &mut Arc<ToolContext>,
    ) -> Change {
        let Some(server) = self.servers.get_mut(&name) else {
            return Change::Stale;
        };
        if server.generation != generation {
            if let Ok(c) = result {
                c.stop();
            }
            return Change::Stale;
        }
        let mut connection = match result {
            Ok(connection) => connection,
            Err(reason) => {
                server.state = ServerState::Failed {
                    reason: reason.clone(),
                };
                return Change::Failed { name, reason };
            }
        };
        let timeout = server.config.tool_timeout();
        let registry = &mut Arc::make_mut(tools).registry;
        registry.remove_where(|n| server_of(n) == Some(&name));
        let mut added = 0;
        let mut refused = Vec::new();
        for tool in &connection.tools {
            let handler = McpTool::new(&name, tool, connection.peer.clone(), timeout);
            match registry.register(Arc::new(handler)) {
                Ok(()) => added += 1,
                Err(e) => refused.push(e.to_string()),
            }
        }
        server.state = ServerState::Ready {
            tools: added,
            resources: connection.resources.iter().map(|r| r.uri.clone()).collect(),
        };
        if let Some(closed) = connection.closed.take() {
            self.tasks.spawn(async move {
                let why = closed
                    .await
                    .unwrap_or_else(|e| format!("its watcher failed: {e}"));
                Wake::Closed {
                    name,
                    generation,
                    why,
                }
            });
        }
        server.connection = Some(connection);
        Change::Ready { refused }
    }

    /// `/mcp restart NAME`: the server starts again (enabled if it was not), its tools out
    /// of the registry until it is ready. Refused, naming the servers there are, when there
    /// is no such server.
    pub fn restart(&mut self, name: &str, tools: &mut Arc<ToolContext>) -> Result<(), String> {
        let Some(server) = self.servers.get_mut(name) else {
            let known: Vec<&str> = self.servers.keys().map(String::as_str).collect();
            let known = if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            };
            return Err(format!("no MCP server `{name}` (configured: {known})"));
        };
        if let Some(c) = server.connection.take() {
            c.stop();
        }
        server.config.enabled = true;
        drop_tools(tools, name);
        self.connect(name);
        Ok(())
    }

    /// Stops every server (the session ends).
    pub fn stop(&mut self) {
        for server in self.servers.values_mut() {
            if let Some(c) = server.connection.take() {
                c.stop();
            }
        }
        self.tasks.abort_all();
    }

    /// Every server's state, as the front end shows it.
    #[must_use]
    pub fn statuses(&self) -> Vec<ServerStatus> {
        self.servers
            .iter()
            .map(|(name, s)| ServerStatus {
                name: name.clone(),
                how: match s.config.transport() {
                    Ok(Transport::Stdio { command }) => format!("stdio: {command}"),
                    Ok(Transport::Http { url }) => format!("http: {url}"),
                    Err(e) => e,
                },
                state: s.state.clone(),
            })
            .collect()
    }

    /// A running server's connection to it.
    #[must_use]
    pub fn peer(&self, name: &str) -> Option<Peer<RoleClient>> {
        let connection = self.servers.get(name)?.connection.as_ref()?;
        Some(connection.peer.clone())
    }
}

/// Takes a server's tools out of the registry.
fn drop_tools(tools: &mut Arc<ToolContext>, server: &str) {
    Arc::make_mut(tools)
        .registry
        .remove_where(|n| server_of(n) == Some(server));
}
