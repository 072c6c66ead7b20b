//! One connection to an MCP server, through the official SDK (`rmcp`): started, its tools
//! listed, calls made, its end watched. No JSON-RPC is written here.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};

use rmcp::model::{CallToolRequestParams, Tool};
use rmcp::service::{Peer, RoleClient, RunningServiceCancellationToken, ServiceExt as _};
use rmcp::transport::{
    StreamableHttpClientTransport, TokioChildProcess,
    streamable_http_client::StreamableHttpClientTransportConfig,
};
use serde_json::Value;
use tokio::io::AsyncBufReadExt as _;

use super::config::{McpServerConfig, Transport};

/// Lines of a stdio server's stderr kept for saying why it failed.
const STDERR_LINES: usize = 20;

/// A tool a server offers, as gearshift registers it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerTool {
    /// The server's own name for it.
    pub name: String,
    pub description: String,
    /// Its `inputSchema`.
    pub schema: Value,
    /// The server says it changes nothing (`readOnlyHint`).
    pub read_only: bool,
}

/// A running connection: calls go through `peer`; `closed` (taken once, by whoever watches
/// the server) resolves when the server ends, with why.
pub struct Connection {
    pub peer: Peer<RoleClient>,
    pub tools: Vec<ServerTool>,
    /// What it offers besides tools (see [`super::offers`]).
    pub resources: Vec<super::offers::ServerResource>,
    pub prompts: Vec<super::offers::ServerPrompt>,
    token: Option<RunningServiceCancellationToken>,
    /// The server's last stderr lines (stdio).
    stderr: Arc<Mutex<VecDeque<String>>>,
    pub closed: Option<tokio::task::JoinHandle<String>>,
}

impl Connection {
    /// Stops the server (a stdio server's process is ended with it).
    pub fn stop(mut self) {
        if let Some(token) = self.token.take() {
            token.cancel();
        }
    }

    /// The server's last words on stderr, for a failure's message.
    #[must_use]
    pub fn last_stderr(&self) -> String {
        tail(&self.stderr)
    }
}

fn tail(lines: &Mutex<VecDeque<String>>) -> String {
    lines
        .lock()
        .map(|l| l.iter().cloned().collect::<Vec<_>>().join("\n"))
        .unwrap_or_default()
}

/// What a server starts with: gearshift's environment scrubbed of keys (`base`), and the whole
/// of it (`full`) for the variables a server's config names (`env_vars`, a bearer token).
#[derive(Debug, Clone, Default)]
pub struct ServerEnv {
    pub base: Vec<(String, String)>,
    pub full: BTreeMap<String, String>,
    /// The sandbox helper (this binary), which contains a stdio server and all it starts.
    pub helper: Option<std::path::PathBuf>,
}

/// Starts the server `name` and lists its tools, within its startup timeout.
pub async fn connect(
    cfg: &McpServerConfig,
    workspace: &Path,
    env: &ServerEnv,
) -> Result<Connection, String> {
    let stderr = Arc::new(Mutex::new(VecDeque::new()));
    let started = tokio::time::timeout(cfg.startup_timeout(), start(cfg, workspace, env, &stderr));
    let (service, tools, (resources, prompts)) = match started.await {
        Ok(Ok(ok)) => ok,
        Ok(Err(e)) => return Err(with_stderr(e, &stderr)),
        Err(_) => {
            return Err(with_stderr(
                format!(
                    "it did not start within {} s (startup_timeout)",
                    cfg.startup_timeout().as_secs()
                ),
                &stderr,
            ));
        }
    };
    let peer = service.peer().clone();
    let token = Some(service.cancellation_token());
    let tail_of = Arc::clone(&stderr);
    let closed = tokio::spawn(async move {
        let why = match service.waiting().await {
            Ok(rmcp::service::QuitReason::Cancelled) => "stopped".to_string(),
            Ok(_) => "it closed the connection".to_string(),
            Err(e) => format!("its connection failed: {e}"),
        };
        with_stderr(why, &tail_of)
    });
    let tools = tools
        .into_iter()
        .filter(|t| cfg.tool_enabled(&t.name))
        .map(|t| server_tool(&t))
        .collect();
    Ok(Connection {
        peer,
        tools,
        resources,
        prompts,
        token,
        stderr,
        closed: Some(closed),
    })
}

type Service = rmcp::service::RunningService<RoleClient, ()>;
type Offers = (
    Vec<super::offers::ServerResource>,
    Vec<super::offers::ServerPrompt>,
);

async fn start(
    cfg: &McpServerConfig,
    workspace: &Path,
    env: &ServerEnv,
    stderr: &Arc<Mutex<VecDeque<String>>>,
) -> Result<(Service, Vec<Tool>, Offers), String> {
    let service = match cfg.transport()? {
        Transport::Stdio { command } => {
            let cwd = cfg
                .cwd
                .as_deref()
                .map_or_else(|| workspace.to_path_buf(), |c| workspace.join(c));
            let named = cfg
                .env_vars
                .iter()
                .filter_map(|k| env.full.get(k).map(|v| (k.clone(), v.clone())));
            // Contained where the helper is known: whatever the server starts ends with it.
            let (program, args) = match &env.helper {
                Some(helper) => gearshift_sandbox::contained(helper, command, &cfg.args),
                None => (std::path::PathBuf::from(command), cfg.args.clone()),
            };
            let mut cmd = tokio::process::Command::new(program);
            cmd.args(&args)
                .env_clear()
                .envs(env.base.iter().map(|(k, v)| (k, v)))
                .envs(named)
                .envs(&cfg.env)
                .current_dir(&cwd)
                // Its own process group: the terminal's signals are gearshift's to handle.
                .process_group(0);
            let (transport, err) = TokioChildProcess::builder(cmd)
                .stderr(std::process::Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot start `{command}`: {e}"))?;
            if let Some(err) = err {
                let sink = Arc::clone(stderr);
                tokio::spawn(async move {
                    let mut lines = tokio::io::BufReader::new(err).lines();
                    while let Ok(Some(line)) = lines.next_line().await {
                        if let Ok(mut kept) = sink.lock() {
                            kept.push_back(line);
                            while kept.len() > STDERR_LINES {
                                kept.pop_front();
                            }
                        }
                    }
                });
            }
            ().serve(transport)
                .await
                .map_err(|e| format!("it did not answer MCP's initialize: {e}"))?
        }
        Transport::Http { url } => {
            let mut config = StreamableHttpClientTransportConfig::with_uri(url.to_string());
            if let Some(var) = &cfg.bearer_token_env {
                let token = env
                    .full
                    .get(var)
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| format!("its bearer token variable {var} is not set"))?;
                config = config.auth_header(token.clone());
            }
            let mut headers = std::collections::HashMap::new();
            for (k, v) in &cfg.headers {
                let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
                    .map_err(|e| format!("header `{k}`: {e}"))?;
                let value = reqwest::header::HeaderValue::from_str(v)
                    .map_err(|e| format!("header `{k}`: {e}"))?;
                headers.insert(name, value);
            }
            config = config.custom_headers(headers);
            crate::tls::install();
            let client = reqwest::Client::builder()
                .build()
                .map_err(|e| format!("cannot set up HTTP: {e}"))?;
            let transport = StreamableHttpClientTransport::with_client(client, config);
            ().serve(transport)
                .await
                .map_err(|e| format!("it did not answer MCP's initialize at {url}: {e}"))?
        }
    };
    let tools = service
        .list_all_tools()
        .await
        .map_err(|e| format!("it did not list its tools: {e}"))?;
    // Only what the server says it has is asked for.
    let info = service.peer_info();
    let caps = info.as_ref().map(|i| &i.capabilities);
    let (has_resources, has_prompts) = (
        caps.is_some_and(|c| c.resources.is_some()),
        caps.is_some_and(|c| c.prompts.is_some()),
    );
    let offers = if has_resources || has_prompts {
        let (mut resources, mut prompts) = super::offers::list(service.peer()).await;
        if !has_resources {
            resources.clear();
        }
        if !has_prompts {
            prompts.clear();
        }
        (resources, prompts)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok((service, tools, offers))
}

fn with_stderr(why: String, stderr: &Mutex<VecDeque<String>>) -> String {
    let said = tail(stderr);
    if said.trim().is_empty() {
        why
    } else {
        let last = said.lines().last().unwrap_or_default();
        format!("{why} (its stderr: {last})")
    }
}

fn server_tool(t: &Tool) -> ServerTool {
    ServerTool {
        name: t.name.to_string(),
        description: t
            .description
            .as_deref()
            .or(t.title.as_deref())
            .unwrap_or_default()
            .to_string(),
        schema: Value::Object((*t.input_schema).clone()),
        read_only: t
            .annotations
            .as_ref()
            .and_then(|a| a.read_only_hint)
            .unwrap_or(false),
    }
}

/// What a call returned, as the model reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub ok: bool,
    pub text: String,
}

/// Calls `tool` with `arguments` (a JSON object, or nothing).
pub async fn call(peer: &Peer<RoleClient>, tool: &str, arguments: Value) -> Result<Reply, String> {
    let arguments = match arguments {
        Value::Object(map) => Some(map),
        Value::Null => None,
        other => return Err(format!("the arguments must be a JSON object, not {other}")),
    };
    let mut params = CallToolRequestParams::new(tool.to_string());
    params.arguments = arguments;
    let result = peer.call_tool(params).await.map_err(|e| e.to_string())?;
    let json = serde_json::to_value(&result).unwrap_or(Value::Null);
    Ok(reply(&json))
}

/// A `tools/call` result as text: text items as they are, images and audio as a note (the
/// model gets no pixels through a tool result here), resources by their text or address, and
/// the structured content when nothing else came.
#[must_use]
pub fn reply(result: &Value) -> Reply {
    let mut parts = Vec::new();
    for item in result["content"].as_array().into_iter().flatten() {
        let kind = item["type"].as_str().unwrap_or_default();
        match kind {
            "text" => parts.push(item["text"].as_str().unwrap_or_default().to_string()),
            "image" | "audio" => {
                let mime = item["mimeType"].as_str().unwrap_or("?");
                let bytes = item["data"].as_str().map_or(0, |d| d.len() * 3 / 4);
                parts.push(format!(
                    "[{kind} ({mime}, about {bytes} bytes) returned by the tool; not shown]"
                ));
            }
            "resource" => {
                let r = &item["resource"];
                match r["text"].as_str() {
                    Some(text) => parts.push(text.to_string()),
                    None => parts.push(format!(
                        "[resource {}]",
                        r["uri"].as_str().unwrap_or_default()
                    )),
                }
            }
            "resource_link" => parts.push(format!(
                "[resource {}]",
                item["uri"].as_str().unwrap_or_default()
            )),
            other => parts.push(format!("[{other} content, not shown]")),
        }
    }
    if parts.is_empty()
        && let Some(structured) = result.get("structuredContent")
        && !structured.is_null()
    {
        parts.push(structured.to_string());
    }
    Reply {
        ok: !result["isError"].as_bool().unwrap_or(false),
        text: parts.join("\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn results_read_as_text_with_images_summarised() {
        let r = reply(&json!({"content": [
            {"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"},
            {"type": "text", "text": "sales by month"},
            {"type": "resource", "resource": {"uri": "file:///a", "text": "A"}},
            {"type": "resource_link", "uri": "file:///b", "name": "b"}
        ]}));
        assert!(r.ok);
        assert_eq!(
            r.text,
            "[image (image/png, about 9 bytes) returned by the tool; not shown]\nsales by month\nA\n[resource file:///b]"
        );
        let e = reply(&json!({"content": [{"type": "text", "text": "no"}], "isError": true}));
        assert!(!e.ok);
        let s = reply(&json!({"content": [], "structuredContent": {"n": 1}}));
        assert_eq!(s.text, "{\"n\":1}");
    }
}
