//! A model server that misbehaves on purpose, speaking raw HTTP/1.1 on 127.0.0.1 (a port the OS
//! picks): what a broken proxy, an overloaded provider or a hostile endpoint sends. Every
//! connection's handler ends when the client hangs up, or after a minute at most.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the server answers a chat-completions request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Text deltas forever, as fast as the client reads them.
    Endless,
    /// One SSE event whose content is this many bytes, sent in one write.
    GiantChunk(usize),
    /// One delta, then silence (the connection stays open).
    Stall,
    /// The connection is closed (reset) before any byte of the response.
    ResetBeforeFirstByte,
    /// Headers and one delta, then the connection is reset.
    ResetAfterFirstByte,
    /// 200 with an HTML page (a captive portal, a proxy's error page).
    Html200,
    /// A stream with bytes that are not UTF-8.
    InvalidUtf8,
    /// 429 with `Retry-After: 1` this many times, then a normal reply.
    RateLimited(usize),
    /// 429 every time, with the provider's own words in the body.
    AlwaysRateLimited(&'static str),
    /// A normal short reply.
    Ok(&'static str),
}

pub struct FaultServer {
    pub url: String,
}

fn delta(text: &str) -> String {
    format!(
        "data: {}\n\n",
        serde_json::json!({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]})
    )
}

const END: &str = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
const SSE_HEAD: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";

/// Serves `fault` on every connection.
pub async fn start(fault: Fault) -> FaultServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let fault = fault.clone();
            let n = served.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(60), serve(sock, fault, n)).await;
            });
        }
    });
    FaultServer { url }
}

/// Closes with a TCP reset rather than a clean FIN.
fn reset(sock: TcpStream) {
    let _ = sock.set_zero_linger();
    drop(sock);
}

async fn serve(mut sock: TcpStream, fault: Fault, n: usize) {
    super::stall_server::read_request(&mut sock).await;
    match fault {
        Fault::Endless => {
            if sock.write_all(SSE_HEAD.as_bytes()).await.is_err() {
                return;
            }
            let chunk = delta(&"endless text ".repeat(80)).repeat(16);
            while sock.write_all(chunk.as_bytes()).await.is_ok() {}
        }
        Fault::GiantChunk(size) => {
            let body = format!("{SSE_HEAD}{}{END}", delta(&"g".repeat(size)));
            let _ = sock.write_all(body.as_bytes()).await;
        }
        Fault::Stall => {
            let _ = sock
                .write_all(format!("{SSE_HEAD}{}", delta("the start, then ")).as_bytes())
                .await;
            let mut buf = [0u8; 64];
            let _ = sock.read(&mut buf).await;
        }
        Fault::ResetBeforeFirstByte => reset(sock),
        Fault::ResetAfterFirstByte => {
            let _ = sock
                .write_all(format!("{SSE_HEAD}{}", delta("half a reply")).as_bytes())
                .await;
            let _ = sock.flush().await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            reset(sock);
        }
        Fault::Html200 => {
            let page = "<!DOCTYPE html><html><head><title>Sign in to the network</title></head>\
                        <body>Please log in.</body></html>";
            let _ = sock
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{page}",
                        page.len()
                    )
                    .as_bytes(),
                )
                .await;
        }
        Fault::InvalidUtf8 => {
            let mut body = format!("{SSE_HEAD}{}", delta("fine so far ")).into_bytes();
            body.extend_from_slice(
                b"data: {\"choices\":[{\"delta\":{\"content\":\"\xff\xfe\"}}]}\n\n",
            );
            let _ = sock.write_all(&body).await;
        }
        Fault::RateLimited(times) if n < times => {
            let body = "{\"error\":{\"message\":\"slow down\"}}";
            let _ = sock
                .write_all(
                    format!(
                        "HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\ncontent-type: \
                         application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                )
                .await;
        }
        Fault::AlwaysRateLimited(message) => {
            let body = serde_json::json!({"error": {"message": message, "code": 429}}).to_string();
            let _ = sock
                .write_all(
                    format!(
                        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                )
                .await;
        }
        Fault::RateLimited(_) | Fault::Ok(_) => {
            let text = match fault {
                Fault::Ok(t) => t,
                _ => "after waiting, a reply",
            };
            let _ = sock
                .write_all(format!("{SSE_HEAD}{}{END}", delta(text)).as_bytes())
                .await;
        }
    }
}

/// A user config whose provider `faulty` is this server (no key, `extra` appended; it must
/// start with a `[section]`).
#[must_use]
pub fn config(url: &str, extra: &str) -> String {
    format!(
        "provider = \"faulty\"\n[providers.faulty]\nkind = \"openai\"\nbase_url = \"{url}\"\n\
         model = \"m\"\nmax_retries = 2\nidle_timeout = 2\n{extra}"
    )
}
