//! Plan steps at the same time: two independent steps of an approved plan, run one after the
//! other (`[agents] parallel_steps = false`) and then at the same time in worktrees, through
//! the real session actor, store and git, against a fake OpenAI-compatible server on
//! 127.0.0.1 that answers every request after a fixed delay. Each step is two requests (write
//! its file, then finish); the figure is the time from the run key to the plan's completion,
//! every change accepted as `exec --approve-plan` accepts them. Every request is checked
//! against the wire rules a real provider enforces.
//! Run: `cargo bench --bench steps`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gearshift::config::from_layers;
use gearshift::core::{self, ApprovalMode, OpenRequest, SessionDeps};
use gearshift::protocol::{Event, Gear, Op, PlanEdit};
use gearshift::provider::client_for;
use gearshift::store::Store;
use serde_json::{Value, json};
use support::model::Turn;
use support::wire;
use tokio::sync::mpsc;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// What the fake server waits before each answer: a model's time to first token and more.
const DELAY: Duration = Duration::from_millis(400);
const RUNS: usize = 3;

/// Answers by what the request asks: a plan for the first prompt; for a step, its file, then
/// its end (a worker's summary, or `complete_step` for a step the session runs itself).
struct Steps {
    served: AtomicUsize,
}

impl Respond for Steps {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.served.fetch_add(1, Ordering::SeqCst);
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let messages = body["messages"].as_array().cloned().unwrap_or_default();
        let text = |m: &Value| m["content"].as_str().unwrap_or_default().to_string();
        let step = messages
            .iter()
            .rev()
            .filter(|m| m["role"] == "user")
            .map(text)
            .find_map(|t| {
                let rest = t.split("Run step ").nth(1)?;
                rest.split(' ').next().map(str::to_string)
            });
        let worker = messages
            .iter()
            .any(|m| m["role"] == "system" && text(m).contains("You are a worker"));
        let last_is_result = messages.last().is_some_and(|m| m["role"] == "tool");
        let turn = match (step, last_is_result) {
            (None, _) => Turn::tool(
                "propose_plan",
                json!({"steps": [
                    {"title": "First change", "independent": true},
                    {"title": "Second change", "independent": true},
                ]}),
            ),
            (Some(_), true) if worker => Turn::text("done"),
            (Some(_), true) => Turn::tool("complete_step", json!({"summary": "done"})),
            (Some(k), false) => Turn::tool(
                "write_file",
                json!({"path": format!("step{k}.txt"), "content": format!("step {k}\n")}),
            ),
        };
        ResponseTemplate::new(200)
            .insert_header("content-type", "text/event-stream")
            .set_body_string(turn.sse(n))
            .set_delay(DELAY)
    }
}

/// One run: the time from the run key to the plan's completion, and the requests served.
async fn run_once(parallel: bool) -> (Duration, usize) {
    let server = MockServer::start().await;
    let steps = Steps {
        served: AtomicUsize::new(0),
    };
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(steps)
        .mount(&server)
        .await;
    let url = format!("{}/v1", server.uri());
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    std::fs::create_dir(&ws).unwrap();
    support::git_repo(&ws);
    std::fs::write(ws.join("README"), "bench\n").unwrap();
    support::git(&ws, &["add", "README"]);
    support::git(&ws, &["commit", "-q", "-m", "start"]);
    let config = from_layers(&[&format!(
        "provider = \"t\"\n[providers.t]\nbase_url = \"{url}\"\napi_key_env = \"K\"\nmodel = \"m\"\n\
         [review]\nmemory_step = false\n[agents]\nparallel_steps = {parallel}\n"
    )])
    .unwrap();
    let provider = config.active_provider().unwrap();
    let store = Store::open(&dir.path().join("g.db")).unwrap();
    let opened = core::open_session(
        &store,
        &store.reader().unwrap(),
        &ws.to_string_lossy(),
        &provider,
        Gear::Plan,
        &OpenRequest::New,
    )
    .unwrap();
    let client = client_for(&provider, &|_| Some("k".into()), dir.path()).unwrap();
    let deps =
        SessionDeps::new(store, client, provider, &config, &ws, ApprovalMode::Approve).unwrap();
    let (ops, op_rx) = mpsc::unbounded_channel();
    let (ev_tx, mut events) = mpsc::unbounded_channel();
    tokio::spawn(core::run_session(deps, opened.state, op_rx, ev_tx));
    ops.send(Op::Submit {
        text: "make both changes".into(),
        attachments: vec![],
    })
    .unwrap();
    while !matches!(events.recv().await, Some(Event::TurnFinished { .. })) {}
    ops.send(Op::EditPlan {
        edit: PlanEdit::ApproveAll,
    })
    .unwrap();
    let started = Instant::now();
    ops.send(Op::Go { all: true }).unwrap();
    loop {
        match events.recv().await {
            Some(Event::PlanCompleted { done, total }) => {
                assert_eq!((done, total), (2, 2));
                break;
            }
            Some(_) => {}
            None => panic!("the session ended before the plan completed"),
        }
    }
    let took = started.elapsed();
    let _ = ops.send(Op::Quit);
    for k in 1..=2 {
        let written = std::fs::read_to_string(ws.join(format!("step{k}.txt"))).unwrap();
        assert_eq!(written, format!("step {k}\n"));
    }
    let received = server.received_requests().await.unwrap_or_default();
    let broken: Vec<String> = received
        .iter()
        .flat_map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            wire::violations(wire::Format::Chat, &body, wire::Rules::default())
        })
        .collect();
    assert!(
        broken.is_empty(),
        "requests a provider would refuse: {broken:?}"
    );
    (took, received.len())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut serial = Vec::new();
    let mut parallel = Vec::new();
    let mut requests = (0, 0);
    for _ in 0..RUNS {
        let (t, n) = rt.block_on(run_once(false));
        serial.push(t);
        requests.0 = n;
        let (t, n) = rt.block_on(run_once(true));
        parallel.push(t);
        requests.1 = n;
    }
    let (s, p) = (median(serial), median(parallel));
    println!(
        "two independent steps, {} ms a request ({RUNS} runs, median): one after the other \
         {:.2} s ({} requests), at the same time in worktrees {:.2} s ({} requests): {:.2}×",
        DELAY.as_millis(),
        s.as_secs_f64(),
        requests.0,
        p.as_secs_f64(),
        requests.1,
        p.as_secs_f64() / s.as_secs_f64()
    );
}
