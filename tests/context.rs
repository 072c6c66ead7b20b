//! Context accounting and compaction through the real session actor, against a fake
//! OpenAI-compatible server on 127.0.0.1 that reports usage like a real one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gearshift::core::ApprovalMode;
use gearshift::protocol::{ErrorKind, Event};
use support::session::{provider, start_with};
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const COMPACT_MARK: &str = "You compact a coding session";

fn sse(text: &str, prompt_tokens: usize) -> ResponseTemplate {
    let chunk = serde_json::json!({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": "stop"}]});
    let usage = serde_json::json!({"choices": [], "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": text.len() / 4}});
    ResponseTemplate::new(200)
        .insert_header("content-type", "text/event-stream")
        .set_body_string(format!(
            "data: {chunk}\n\ndata: {usage}\n\ndata: [DONE]\n\n"
        ))
}

/// A server whose replies are long (about 1,000 tokens each) and whose usage reports a prompt
/// token count from the request's size, and which answers compaction requests with a summary.
async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(support::wire::valid())
        .and(body_string_contains(COMPACT_MARK))
        .respond_with(|_: &Request| {
            sse(
                "SUMMARY: the user asked for two reports; both were written.",
                500,
            )
        })
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(support::wire::valid())
        .respond_with(|r: &Request| {
            let n = r.body.len();
            sse(
                &format!(
                    "Report ({n} bytes asked): {}",
                    "the figures hold up well. ".repeat(160)
                ),
                n / 4,
            )
        })
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

fn config(base: &str, window: u32) -> String {
    format!(
        "[providers.fake]\nkind = \"openai\"\nbase_url = \"{base}/v1\"\nmodel = \"m\"\napi_key_env = \"FAKE_KEY\"\ncontext_window = {window}\nmax_output_tokens = 500\n"
    )
}

fn reports(events: &[Event]) -> Vec<(u64, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ContextAccounted { report } => Some((report.used(), report.calibrated)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn the_window_fills_compaction_triggers_and_the_next_request_carries_the_summary() {
    let server = server().await;
    let ws = tempfile::tempdir().unwrap();
    let cfg = config(&server.uri(), 3_600);
    let p = provider(&cfg, "fake");
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, &cfg).await;

    s.submit("write the first report");
    let first = s.turn().await;
    s.submit("write the second report");
    let second = s.turn().await;
    let filled = reports(&first)
        .into_iter()
        .chain(reports(&second))
        .collect::<Vec<_>>();
    assert!(filled.len() >= 4, "{filled:?}");
    assert!(
        filled.windows(2).all(|w| w[1].0 >= w[0].0),
        "the heatmap only fills: {filled:?}"
    );
    assert!(filled.last().unwrap().1, "calibrated after the first reply");
    let last_used = filled.last().unwrap().0;
    assert!(last_used + 500 >= 3_240, "over 90% of 3,600: {last_used}");

    // The third prompt crosses the threshold: compaction first, then the request.
    s.submit("and a third");
    let third = s.turn().await;
    let compacted = third
        .iter()
        .find_map(|e| match e {
            Event::Compacted {
                through,
                summary,
                before,
                after,
            } => Some((*through, summary.clone(), *before, *after)),
            _ => None,
        })
        .expect("compaction");
    assert_eq!(compacted.0, 4, "everything before the third prompt");
    assert!(compacted.1.starts_with("SUMMARY"));
    assert!(compacted.3 < compacted.2 / 2, "{compacted:?}");
    assert!(
        s.stored()
            .await
            .iter()
            .any(|e| matches!(e, Event::Compacted { through: 4, .. }))
    );
    let after = reports(&third);
    assert!(after.last().unwrap().0 < last_used, "{after:?}");

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 4, "two turns, the summary, the third turn");
    let body =
        |i: usize| -> serde_json::Value { serde_json::from_slice(&requests[i].body).unwrap() };
    assert!(body(2).to_string().contains(COMPACT_MARK));
    assert!(body(2)["tools"].is_null() || body(2)["tools"].as_array().unwrap().is_empty());
    let last = body(3);
    let messages = last["messages"].as_array().unwrap();
    let texts: Vec<String> = messages.iter().map(|m| m["content"].to_string()).collect();
    assert!(texts[1].contains("SUMMARY: the user asked"), "{texts:?}");
    assert!(
        !texts.iter().any(|t| t.contains("the figures hold up")),
        "old replies left: {texts:?}"
    );
    assert!(texts.last().unwrap().contains("and a third"));
}

#[tokio::test]
async fn a_request_that_cannot_fit_is_refused_before_it_is_sent() {
    let server = server().await;
    let ws = tempfile::tempdir().unwrap();
    let cfg = config(&server.uri(), 1_500);
    let p = provider(&cfg, "fake");
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, &cfg).await;
    s.submit(&"an enormous first prompt ".repeat(400));
    let seen = s.turn().await;
    let error = seen
        .iter()
        .find_map(|e| match e {
            Event::Error {
                kind: ErrorKind::Context,
                message,
            } => Some(message.clone()),
            _ => None,
        })
        .expect("a context error");
    assert!(error.contains("nothing is left to compact"), "{error}");
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was sent"
    );
    assert!(s.stored().await.iter().any(|e| matches!(
        e,
        Event::Error {
            kind: ErrorKind::Context,
            ..
        }
    )));
}

#[tokio::test]
async fn dropping_a_message_shrinks_the_next_request_and_is_recorded() {
    let server = server().await;
    let ws = tempfile::tempdir().unwrap();
    let cfg = config(&server.uri(), 100_000);
    let p = provider(&cfg, "fake");
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, &cfg).await;
    s.submit("write the first report");
    s.turn().await;
    // Message 1 is the long reply.
    s.send(gearshift::protocol::Op::DropItem {
        item: 1,
        dropped: true,
    });
    let seen = s
        .until(|e| matches!(e, Event::ContextAccounted { .. }))
        .await;
    let Some(Event::ContextAccounted { report }) = seen.last() else {
        unreachable!()
    };
    let item = report
        .items
        .iter()
        .find(|i| i.id == gearshift::context::ItemId::Message(1))
        .unwrap();
    assert!(item.dropped && item.tokens < 50, "{item:?}");
    s.submit("again");
    s.turn().await;
    let requests = server.received_requests().await.unwrap();
    let last: serde_json::Value = serde_json::from_slice(&requests[1].body).unwrap();
    assert!(!last.to_string().contains("the figures hold up"));
    assert!(
        last.to_string()
            .contains("left out of the context by the user")
    );
    assert!(s.stored().await.iter().any(|e| matches!(
        e,
        Event::ItemDropped {
            item: 1,
            dropped: true
        }
    )));
}

#[tokio::test]
async fn a_compaction_asked_for_with_c_can_be_cancelled_and_ends_no_turn() {
    let ws = tempfile::tempdir().unwrap();
    let script = "chunk_delay_ms = 150\n[[turns]]\ntext = \"one two three four five six seven eight\"\n[[turns]]\ntext = \"done\"\n[[turns]]\ntext = \"done again\"\n";
    let p = support::session::script_provider(ws.path(), script);
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, "").await;
    s.submit("first");
    s.turn().await;
    s.submit("second");
    s.turn().await;
    s.send(gearshift::protocol::Op::Compact);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    s.send(gearshift::protocol::Op::Cancel);
    let seen = s
        .until(|e| {
            matches!(
                e,
                Event::Error {
                    kind: ErrorKind::Context,
                    ..
                }
            )
        })
        .await;
    assert!(
        matches!(seen.last(), Some(Event::Error { message, .. }) if message == "compaction cancelled")
    );
    let stored = s.stored().await;
    assert_eq!(
        stored
            .iter()
            .filter(|e| e.kind() == "turn_finished")
            .count(),
        2,
        "the two turns only"
    );
    assert!(!stored.iter().any(|e| matches!(e, Event::Compacted { .. })));
}
