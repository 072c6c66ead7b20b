//! Bytes written to the terminal while a reply streams: a 2,000-word reply (paragraphs of 80
//! words) paced over 4 s by a local server — 200 chunks of 10 words, 20 ms apart, as a model
//! streams — into the real release binary in a 120×40 pseudo-terminal. Counted from the
//! prompt's Enter to half a second after the last word is on screen, so the frames of the
//! turn's end are in. Over SSH on a slow link these bytes are what the user waits for.
//! Run: `cargo bench --bench bytes`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WORDS: usize = 2_000;
const PER_CHUNK: usize = 10;
const PACE: Duration = Duration::from_millis(20);
const LAST_WORD: &str = "ZZLASTWORD";
const RUNS: usize = 3;

/// The SSE events of the reply, one per chunk of words.
fn chunks() -> Vec<String> {
    let words: Vec<String> = (0..WORDS)
        .map(|i| {
            if i + 1 == WORDS {
                LAST_WORD.to_string()
            } else if i % 80 == 79 {
                format!("word{i}.\\n\\n")
            } else {
                format!("word{i} ")
            }
        })
        .collect();
    words
        .chunks(PER_CHUNK)
        .map(|c| {
            format!(
                "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{}\"}},\"finish_reason\":null}}]}}\n\n",
                c.concat()
            )
        })
        .collect()
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    println!(
        "reply: {WORDS} words in {} chunks, one every {PACE:?}",
        WORDS / PER_CHUNK
    );
    let mut totals = Vec::new();
    for run in 0..RUNS {
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        rt.spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 65536];
            let _ = sock.read(&mut buf).await;
            let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
            sock.write_all(head.as_bytes()).await.unwrap();
            let end = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n\
                       data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":2600}}\n\n\
                       data: [DONE]\n\n"
                .to_string();
            for event in chunks().into_iter().chain([end]) {
                let framed = format!("{:x}\r\n{event}\r\n", event.len());
                sock.write_all(framed.as_bytes()).await.unwrap();
                sock.flush().await.unwrap();
                tokio::time::sleep(PACE).await;
            }
            sock.write_all(b"0\r\n\r\n").await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
        });

        let home = tempfile::tempdir().unwrap();
        let common::Running {
            mut child,
            rx,
            mut writer,
            ..
        } = common::against(&url, home.path());
        let mut parser = vt100::Parser::new(40, 120, 0);
        let wait = |parser: &mut vt100::Parser, needle: &str, bytes: &mut usize| {
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let chunk = rx
                    .recv_timeout(deadline - Instant::now())
                    .expect("timed out");
                *bytes += chunk.len();
                // To see what a frame rewrites: BYTES_DUMP=file keeps the raw output.
                if let Ok(path) = std::env::var("BYTES_DUMP") {
                    use std::io::Write as _;
                    let mut f = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .unwrap();
                    f.write_all(&chunk).unwrap();
                }
                parser.process(&chunk);
                if parser.screen().contents().contains(needle) {
                    return;
                }
            }
        };
        let mut ignored = 0;
        wait(&mut parser, "custom/bench", &mut ignored);
        // Whatever the first frames still send is not the reply's.
        while rx.recv_timeout(Duration::from_millis(300)).is_ok() {}
        let started = Instant::now();
        writer.write_all(b"go\r").unwrap();
        writer.flush().unwrap();
        let mut bytes = 0;
        wait(&mut parser, LAST_WORD, &mut bytes);

        let settle = Instant::now() + Duration::from_millis(500);
        while let Ok(chunk) = rx.recv_timeout(settle.saturating_duration_since(Instant::now())) {
            bytes += chunk.len();
        }
        let took = started.elapsed();
        #[allow(clippy::cast_precision_loss)]
        let mb = bytes as f64 / 1_000_000.0;
        println!("run {run}: {bytes} bytes ({mb:.3} MB) to the terminal over {took:.1?}");
        totals.push(bytes);
        child.kill().unwrap();
        let _ = child.wait();
    }
    totals.sort_unstable();
    #[allow(clippy::cast_precision_loss)]
    let median = totals[totals.len() / 2] as f64 / 1_000_000.0;
    println!("median: {median:.3} MB");
}
