//! A fake OpenTelemetry collector on 127.0.0.1, on a port the OS picks: it takes OTLP over
//! HTTP (protobuf or JSON, HTTP/1.1) and over gRPC (HTTP/2, by the `h2` crate), keeps every
//! request's body, and decodes them with the protocol's own types (`opentelemetry-proto`).
//! It can also take a connection and never answer, as a hung collector does. It stops with
//! the test.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Request {
    /// `traces`, `metrics` or `logs`.
    pub signal: &'static str,
    pub json: bool,
    pub body: Vec<u8>,
    pub headers: BTreeMap<String, String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Answer,
    /// Takes the connection and the request, and never answers.
    Hang,
}

pub struct Collector {
    pub port: u16,
    got: Arc<Mutex<Vec<Request>>>,
}

/// A span as the collector got it.
#[derive(Debug, Clone)]
pub struct Span {
    pub name: String,
    pub id: Vec<u8>,
    pub parent: Vec<u8>,
    pub trace: Vec<u8>,
    pub attrs: BTreeMap<String, String>,
}

/// A data point of a metric: its attributes and its value (a histogram's: its count).
#[derive(Debug, Clone)]
pub struct Point {
    pub attrs: BTreeMap<String, String>,
    pub value: f64,
}

fn signal_of(path: &str) -> &'static str {
    if path.contains("race") {
        "traces"
    } else if path.contains("etric") {
        "metrics"
    } else {
        "logs"
    }
}

fn text(v: Option<&AnyValue>) -> String {
    match v.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        other => format!("{other:?}"),
    }
}

fn attrs(kvs: &[KeyValue]) -> BTreeMap<String, String> {
    kvs.iter()
        .map(|kv| (kv.key.clone(), text(kv.value.as_ref())))
        .collect()
}

impl Collector {
    pub fn start(behaviour: Behaviour) -> Collector {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let store = got.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    let Ok((sock, _)) = listener.accept().await else {
                        return;
                    };
                    tokio::spawn(serve(sock, store.clone(), behaviour));
                }
            });
        });
        Collector { port, got }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.got.lock().unwrap().clone()
    }

    /// Everything that arrived, as text: for checking what must never leave.
    pub fn all_bytes(&self) -> String {
        self.requests()
            .iter()
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn bodies<T: prost::Message + Default + serde::de::DeserializeOwned>(
        &self,
        signal: &str,
    ) -> Vec<T> {
        self.requests()
            .into_iter()
            .filter(|r| r.signal == signal)
            .map(|r| {
                if r.json {
                    serde_json::from_slice(&r.body).unwrap()
                } else {
                    T::decode(r.body.as_slice()).unwrap()
                }
            })
            .collect()
    }

    pub fn spans(&self) -> Vec<Span> {
        self.bodies::<ExportTraceServiceRequest>("traces")
            .into_iter()
            .flat_map(|r| r.resource_spans)
            .flat_map(|r| r.scope_spans)
            .flat_map(|s| s.spans)
            .map(|s| Span {
                name: s.name,
                id: s.span_id,
                parent: s.parent_span_id,
                trace: s.trace_id,
                attrs: attrs(&s.attributes),
            })
            .collect()
    }

    /// The resource attributes of every request, of every signal.
    pub fn resources(&self) -> Vec<BTreeMap<String, String>> {
        let mut out: Vec<BTreeMap<String, String>> = Vec::new();
        for r in self.bodies::<ExportTraceServiceRequest>("traces") {
            out.extend(
                r.resource_spans
                    .iter()
                    .filter_map(|s| s.resource.as_ref())
                    .map(|r| attrs(&r.attributes)),
            );
        }
        for r in self.bodies::<ExportMetricsServiceRequest>("metrics") {
            out.extend(
                r.resource_metrics
                    .iter()
                    .filter_map(|s| s.resource.as_ref())
                    .map(|r| attrs(&r.attributes)),
            );
        }
        for r in self.bodies::<ExportLogsServiceRequest>("logs") {
            out.extend(
                r.resource_logs
                    .iter()
                    .filter_map(|s| s.resource.as_ref())
                    .map(|r| attrs(&r.attributes)),
            );
        }
        out
    }

    /// Every data point of the metric `name`, of the last export that had it (metrics are
    /// cumulative: the last export holds the totals).
    pub fn points(&self, name: &str) -> Vec<Point> {
        let mut last = Vec::new();
        for r in self.bodies::<ExportMetricsServiceRequest>("metrics") {
            let mut here = Vec::new();
            for m in r
                .resource_metrics
                .into_iter()
                .flat_map(|r| r.scope_metrics)
                .flat_map(|s| s.metrics)
                .filter(|m| m.name == name)
            {
                match m.data {
                    Some(Data::Sum(sum)) => here.extend(sum.data_points.iter().map(|p| Point {
                        attrs: attrs(&p.attributes),
                        value: match p.value {
                            Some(opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsInt(i)) => i as f64,
                            Some(opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsDouble(d)) => d,
                            None => 0.0,
                        },
                    })),
                    Some(Data::Histogram(h)) => here.extend(h.data_points.iter().map(|p| Point {
                        attrs: attrs(&p.attributes),
                        value: p.count as f64,
                    })),
                    other => panic!("{name}: {other:?}"),
                }
            }
            if !here.is_empty() {
                last = here;
            }
        }
        last
    }

    /// The sum of the metric `name` over the points whose attributes hold every `with`.
    pub fn total(&self, name: &str, with: &[(&str, &str)]) -> f64 {
        self.points(name)
            .iter()
            .filter(|p| {
                with.iter()
                    .all(|(k, v)| p.attrs.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|p| p.value)
            .sum()
    }

    /// Every event (log record) by its `event.name`, with its attributes.
    pub fn events(&self) -> Vec<(String, BTreeMap<String, String>)> {
        self.bodies::<ExportLogsServiceRequest>("logs")
            .into_iter()
            .flat_map(|r| r.resource_logs)
            .flat_map(|r| r.scope_logs)
            .flat_map(|s| s.log_records)
            .map(|l| {
                let a = attrs(&l.attributes);
                let name = if l.event_name.is_empty() {
                    a.get("event.name").cloned().unwrap_or_default()
                } else {
                    l.event_name
                };
                (name, a)
            })
            .collect()
    }

    /// Waits until `ready` holds of what arrived, or [`super::WAIT`] passes.
    pub fn wait_for(&self, what: &str, ready: impl Fn(&Collector) -> bool) {
        let until = std::time::Instant::now() + super::WAIT;
        while !ready(self) {
            assert!(
                std::time::Instant::now() < until,
                "the collector never got {what}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

async fn serve(
    mut sock: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<Request>>>,
    behaviour: Behaviour,
) {
    let mut preface = [0u8; 3];
    if sock.peek(&mut preface).await.is_err() {
        return;
    }
    if &preface == b"PRI" {
        serve_grpc(sock, store, behaviour).await;
        return;
    }
    // HTTP/1.1, kept alive: headers, a body of content-length bytes, an empty answer.
    let mut buf = Vec::new();
    loop {
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 8192];
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.lines();
        let path = lines
            .next()
            .unwrap_or("")
            .split(' ')
            .nth(1)
            .unwrap_or("")
            .to_string();
        let headers: BTreeMap<String, String> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + len {
            let mut chunk = [0u8; 8192];
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = buf[head_end..head_end + len].to_vec();
        buf.drain(..head_end + len);
        let json = headers
            .get("content-type")
            .is_some_and(|c| c.contains("json"));
        store.lock().unwrap().push(Request {
            signal: signal_of(&path),
            json,
            body,
            headers,
        });
        if behaviour == Behaviour::Hang {
            std::future::pending::<()>().await;
        }
        let kind = if json {
            "application/json"
        } else {
            "application/x-protobuf"
        };
        let answer =
            format!("HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\ncontent-length: 0\r\n\r\n");
        if sock.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

async fn serve_grpc(
    sock: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<Request>>>,
    behaviour: Behaviour,
) {
    let Ok(mut conn) = h2::server::handshake(sock).await else {
        return;
    };
    while let Some(Ok((request, mut respond))) = conn.accept().await {
        let store = store.clone();
        tokio::spawn(async move {
            let path = request.uri().path().to_string();
            let headers: BTreeMap<String, String> = request
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect();
            let mut body = request.into_body();
            let mut data = Vec::new();
            while let Some(Ok(chunk)) = body.data().await {
                let _ = body.flow_control().release_capacity(chunk.len());
                data.extend_from_slice(&chunk);
            }
            // A gRPC message: a flag byte and a 4-byte length, then the protobuf.
            let message = data.get(5..).unwrap_or_default().to_vec();
            store.lock().unwrap().push(Request {
                signal: signal_of(&path),
                json: false,
                body: message,
                headers,
            });
            if behaviour == Behaviour::Hang {
                std::future::pending::<()>().await;
            }
            let response = http::Response::builder()
                .status(200)
                .header("content-type", "application/grpc")
                .body(())
                .unwrap();
            let Ok(mut send) = respond.send_response(response, false) else {
                return;
            };
            let _ = send.send_data(bytes::Bytes::from_static(&[0, 0, 0, 0, 0]), false);
            let mut trailers = http::HeaderMap::new();
            trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
            let _ = send.send_trailers(trailers);
        });
    }
}
