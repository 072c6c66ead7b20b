//! MCP: start to first frame with three stdio servers configured against none (the servers
//! start after the first frame), and the cost of a tool call through MCP above the server's
//! own time. Run: `cargo bench --bench mcp` (needs python3 for the test server).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use std::io::{BufRead as _, Write as _};
use std::time::{Duration, Instant};

const RUNS: usize = 30;
const CALLS: usize = 300;

fn server_script() -> String {
    format!(
        "{}/tests/fixtures/mcp_server.py",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn median(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[(v.len() - 1) * 9 / 10])
}

/// Start to first complete frame with each config as the user's, the configs taking turns
/// run after run (so the machine's drift falls on both alike): median and p90 of each.
fn first_frames(configs: &[&str]) -> Vec<(f64, f64)> {
    let homes: Vec<tempfile::TempDir> = configs
        .iter()
        .map(|config| {
            let home = tempfile::tempdir().unwrap();
            std::fs::write(home.path().join("config.toml"), config).unwrap();
            home
        })
        .collect();
    let mut times = vec![Vec::new(); configs.len()];
    for round in 0..=RUNS {
        for (i, home) in homes.iter().enumerate() {
            let h = home.path().to_str().unwrap();
            let r = common::spawn(&["--home", h, "--workspace", h]);
            let frame = r.first_frame();
            // The first round is a warm-up (it creates the database).
            if round > 0 {
                times[i].push((frame - r.started).as_secs_f64() * 1000.0);
            }
            r.kill();
        }
    }
    times.into_iter().map(median).collect()
}

/// The server's own time for one call: a JSON-RPC round trip written straight to its pipes
/// (no SDK), measured the same way.
fn raw_round_trips() -> Vec<f64> {
    let mut child = std::process::Command::new("python3")
        .args([server_script().as_str(), "stdio"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let mut ask = |id: usize, method: &str, params: serde_json::Value| {
        let msg =
            serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        writeln!(stdin, "{msg}").unwrap();
        stdin.flush().unwrap();
        line.clear();
        stdout.read_line(&mut line).unwrap();
    };
    ask(
        0,
        "initialize",
        serde_json::json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}),
    );
    let mut times = Vec::new();
    for i in 0..CALLS {
        let started = Instant::now();
        ask(
            i + 1,
            "tools/call",
            serde_json::json!({"name": "search", "arguments": {"q": "x"}}),
        );
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let _ = child.kill();
    let _ = child.wait();
    times
}

/// A call through gearshift's MCP tool (rmcp, the result read, redacted and cut as the
/// session does).
async fn tool_calls() -> Vec<f64> {
    use gearshift::tools::ToolHandler as _;
    let config = gearshift::mcp::McpServerConfig {
        command: Some("python3".into()),
        args: vec![server_script(), "stdio".into()],
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let env = gearshift::mcp::client::ServerEnv {
        base: std::env::vars().collect(),
        ..Default::default()
    };
    let connection = gearshift::mcp::client::connect(&config, dir.path(), &env)
        .await
        .unwrap();
    let search = connection
        .tools
        .iter()
        .find(|t| t.name == "search")
        .unwrap();
    let tool = gearshift::mcp::McpTool::new(
        "docs",
        search,
        connection.peer.clone(),
        Duration::from_secs(30),
    );
    let ctx = gearshift::tools::ToolContext::plain(
        gearshift::tools::Workspace::new(dir.path()).unwrap(),
        gearshift::tools::ToolLimits::default(),
    );
    let call = gearshift::provider::ToolCallRequest {
        id: "c".into(),
        name: "mcp__docs__search".into(),
        arguments: "{\"q\":\"x\"}".into(),
    };
    let mut times = Vec::new();
    for _ in 0..CALLS {
        let started = Instant::now();
        let out = tool
            .handle(&call, &ctx, gearshift::tools::Writes::Apply)
            .await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(out.content, "found: x");
    }
    connection.stop();
    times
}

fn main() {
    let server = format!(
        "command = \"python3\"\nargs = [\"{}\", \"stdio\"]\n",
        server_script()
    );
    let three = format!(
        "[mcp_servers.one]\n{server}[mcp_servers.two]\n{server}[mcp_servers.three]\n{server}"
    );
    let frames = first_frames(&["", &three]);
    let (none, with) = (frames[0], frames[1]);
    println!(
        "start to first frame, no MCP server: median {:.1} ms, p90 {:.1} ms",
        none.0, none.1
    );
    println!(
        "start to first frame, three stdio MCP servers: median {:.1} ms, p90 {:.1} ms",
        with.0, with.1
    );

    let raw = median(raw_round_trips());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let through = median(runtime.block_on(tool_calls()));
    println!(
        "the server's own round trip (raw JSON-RPC on its pipes, {CALLS} calls): median {:.3} ms, p90 {:.3} ms",
        raw.0, raw.1
    );
    println!(
        "a call through gearshift's MCP tool ({CALLS} calls): median {:.3} ms, p90 {:.3} ms",
        through.0, through.1
    );
    println!(
        "overhead through MCP: median {:.3} ms, p90 {:.3} ms",
        through.0 - raw.0,
        through.1 - raw.1
    );
}
