//! A 20,000-word reply streamed as fast as a local server can send it, into the release
//! binary: shared by `stream` and `telemetry`.

use std::io::Write;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const WORDS: usize = 20_000;
const LAST_WORD: &str = "ZZLASTWORD";

/// The SSE body: one chunk per word, a paragraph break every 80 words.
pub fn body() -> String {
    let mut out = String::new();
    for i in 0..WORDS {
        let word = if i + 1 == WORDS {
            LAST_WORD.to_string()
        } else if i % 80 == 79 {
            format!("word{i}.\\n\\n")
        } else {
            format!("word{i} ")
        };
        out.push_str(&format!(
            "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{word}\"}},\"finish_reason\":null}}]}}\n\n"
        ));
    }
    out.push_str("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
    out.push_str("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":20000}}\n\ndata: [DONE]\n\n");
    out
}

/// One turn: the delay from the server's last byte to the last word on screen, and
/// gearshift's CPU seconds for the turn (every live thread of the process, by `schedstat`).
pub fn turn(rt: &tokio::runtime::Runtime, body: &str, env: &[(&str, &str)]) -> (Duration, f64) {
    let (last_tx, last_rx) = channel::<Instant>();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let body = body.to_string();
    rt.spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 65536];
        let _ = sock.read(&mut buf).await;
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        sock.write_all(head.as_bytes()).await.unwrap();
        sock.write_all(body.as_bytes()).await.unwrap();
        sock.flush().await.unwrap();
        let _ = last_tx.send(Instant::now());
        tokio::time::sleep(Duration::from_secs(30)).await;
    });

    let home = tempfile::tempdir().unwrap();
    let super::Running {
        mut child,
        rx,
        mut writer,
        ..
    } = super::against_env(&url, home.path(), env);
    let pid = child.process_id().unwrap();
    let mut parser = vt100::Parser::new(40, 120, 0);
    let wait = |parser: &mut vt100::Parser, needle: &str| -> Instant {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let bytes = rx
                .recv_timeout(deadline - Instant::now())
                .expect("timed out");
            parser.process(&bytes);
            if parser.screen().contents().contains(needle) {
                return Instant::now();
            }
        }
    };
    wait(&mut parser, "custom/bench");
    let before = super::cpu_ns(pid);
    writer.write_all(b"go\r").unwrap();
    writer.flush().unwrap();
    let seen = wait(&mut parser, LAST_WORD);
    let last_byte = last_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    // Let the turn's end be recorded, then measure the turn's CPU.
    std::thread::sleep(Duration::from_millis(300));
    let cpu = super::cpu_ns(pid).saturating_sub(before);
    child.kill().unwrap();
    let _ = child.wait();
    (seen.saturating_duration_since(last_byte), cpu as f64 / 1e9)
}
