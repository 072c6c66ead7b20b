//! Bounded work on hostile input: decoding one 10 MB stream chunk, and the memory of the release
//! binary while a server streams a 50 MB reply at it (cut at the cap, and, for comparison, let
//! through whole with the cap raised). Run: `cargo bench --bench limits`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use gearshift::provider::sse::SseDecoder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn decode_one_chunk() {
    let payload = "y".repeat(10 * 1024 * 1024);
    let event = format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"{payload}\"}}}}]}}\n\n");
    for (label, piece) in [
        ("arriving whole", event.len()),
        ("in 16 KB reads", 16 * 1024),
    ] {
        let mut samples = Vec::new();
        for _ in 0..10 {
            let mut d = SseDecoder::new(64 << 20);
            let mut out = Vec::new();
            let t = Instant::now();
            for chunk in event.as_bytes().chunks(piece) {
                d.feed(chunk, &mut out).unwrap();
            }
            samples.push(t.elapsed());
            assert_eq!(out.len(), 1);
        }
        println!(
            "decode one 10 MB event {label}: median {:?} (max {:?})",
            median(samples.clone()),
            samples.iter().max().unwrap()
        );
    }
}

/// Streams `total` bytes of reply text as small deltas to the first request, then ends.
async fn serve(listener: tokio::net::TcpListener, total: usize) {
    let Ok((mut sock, _)) = listener.accept().await else {
        return;
    };
    let mut buf = vec![0u8; 65536];
    let _ = sock.read(&mut buf).await;
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
    if sock.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let delta = format!(
        "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{}\"}},\"finish_reason\":null}}]}}\n\n",
        "fifty megabytes of reply ".repeat(40)
    );
    let text_per_delta = 25 * 40;
    let mut sent = 0;
    let batch = delta.repeat(16);
    while sent < total {
        if sock.write_all(batch.as_bytes()).await.is_err() {
            return;
        }
        sent += 16 * text_per_delta;
    }
    let _ = sock
        .write_all(b"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
        .await;
}

/// Peak RSS (VmHWM) of `gearshift exec` while the server streams 50 MB, in MB.
fn peak_rss(rt: &tokio::runtime::Runtime, max_output: u32, extra: &str) -> (f64, Duration, String) {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    rt.spawn(serve(listener, 50 * 1024 * 1024));
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "provider = \"big\"\n[providers.big]\nkind = \"openai\"\nbase_url = \"{url}\"\n\
             model = \"m\"\nmax_retries = 0\nmax_output_tokens = {max_output}\n\
             context_window = 9000000\n{extra}"
        ),
    )
    .unwrap();
    let started = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gearshift"))
        .arg("--home")
        .arg(home.path())
        .arg("--workspace")
        .arg(ws.path())
        .args(["exec", "go"])
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    while child.try_wait().unwrap().is_none() {
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kb: u64 = line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            peak_kb = peak_kb.max(kb);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let took = started.elapsed();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    #[allow(clippy::cast_precision_loss)]
    (peak_kb as f64 / 1024.0, took, err.trim().to_string())
}

fn main() {
    decode_one_chunk();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for (label, max_output, extra) in [
        ("default cap (4 MiB)", 262_144, ""),
        (
            "cap raised to 64 MiB (the whole reply kept)",
            4_194_304,
            "[agent]\nmax_reply_bytes = 67108864\n",
        ),
    ] {
        let (mb, took, err) = peak_rss(&rt, max_output, extra);
        let first = err.lines().next().unwrap_or("(exit 0)");
        println!("50 MB reply, {label}: peak RSS {mb:.1} MB in {took:?} — {first}");
    }
}
