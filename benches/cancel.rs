//! Cancel latency: a reply streams from a local server that then stalls; the session is
//! cancelled (as Esc or Ctrl+C do) and we time (a) until the turn is recorded as cancelled
//! and (b) until the server sees the connection closed. Run: `cargo bench --bench cancel`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use gearshift::config::from_layers;
use gearshift::core::{self, ApprovalMode, OpenRequest, SessionDeps};
use gearshift::protocol::{Event, FinishReason, Gear, Op};
use gearshift::provider::client_for;
use gearshift::store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

const RUNS: usize = 20;

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut turn = Vec::new();
    let mut socket = Vec::new();
    for _ in 0..RUNS {
        let (a, b) = rt.block_on(run_once());
        turn.push(a);
        socket.push(b);
    }
    turn.sort();
    socket.sort();
    println!(
        "cancel → turn recorded as cancelled ({RUNS} runs): median {:?}, max {:?}",
        turn[RUNS / 2],
        turn[RUNS - 1]
    );
    println!(
        "cancel → connection closed at the server: median {:?}, max {:?}",
        socket[RUNS / 2],
        socket[RUNS - 1]
    );
}

async fn run_once() -> (Duration, Duration) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let (closed_tx, mut closed_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 65536];
        let _ = sock.read(&mut buf).await;
        let body = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"partial \"},\"finish_reason\":null}]}\n\n";
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n",
            body.len()
        );
        sock.write_all(head.as_bytes()).await.unwrap();
        // Hold the stream open until the client hangs up.
        let n = tokio::time::timeout(Duration::from_secs(20), sock.read(&mut buf)).await;
        if matches!(n, Ok(Ok(0) | Err(_))) {
            let _ = closed_tx.send(Instant::now());
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let config = from_layers(&[&format!(
        "provider = \"t\"\n[providers.t]\nbase_url = \"{url}\"\napi_key_env = \"K\"\nmodel = \"m\"\n"
    )])
    .unwrap();
    let provider = config.active_provider().unwrap();
    let (store, opened) = {
        let (db, p) = (dir.path().join("g.db"), provider.clone());
        tokio::task::spawn_blocking(move || {
            let store = Store::open(&db).unwrap();
            let opened = core::open_session(
                &store,
                &store.reader().unwrap(),
                "/w",
                &p,
                Gear::Vibe,
                &OpenRequest::New,
            )
            .unwrap();
            (store, opened)
        })
        .await
        .unwrap()
    };
    let client = client_for(&provider, &|_| Some("k".into()), dir.path()).unwrap();
    let deps = SessionDeps::new(
        store,
        client,
        provider,
        &config,
        dir.path(),
        ApprovalMode::Ask,
    )
    .unwrap();
    let (ops, op_rx) = mpsc::unbounded_channel();
    let (ev_tx, mut events) = mpsc::unbounded_channel();
    tokio::spawn(core::run_session(deps, opened.state, op_rx, ev_tx));
    ops.send(Op::Submit {
        text: "go".into(),
        attachments: vec![],
    })
    .unwrap();
    while !matches!(events.recv().await, Some(Event::AssistantDelta { .. })) {}
    let t = Instant::now();
    ops.send(Op::Cancel).unwrap();
    loop {
        if let Some(Event::TurnFinished { reason }) = events.recv().await {
            assert_eq!(reason, FinishReason::Cancelled);
            break;
        }
    }
    let turn = t.elapsed();
    let closed = closed_rx.recv().await.unwrap();
    (turn, closed.saturating_duration_since(t))
}
