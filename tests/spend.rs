//! What a request costs is never under-reported: a reply cancelled before the provider said
//! its usage records an estimate (marked so) instead of 0 tokens and $0, and attempts the
//! provider refused before it answered are counted with the request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use gearshift::protocol::Event;
use support::model::Turn;
use support::session::{provider, start};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A provider named `t` at `url` whose figures are gpt-4.1's (priced).
fn config(url: &str) -> String {
    format!(
        "[providers.t]\nkind = \"openai\"\nbase_url = \"{url}\"\napi_key_env = \"K\"\n\
         model = \"gpt-4.1\"\nmax_retries = 2\n"
    )
}

fn usages(events: &[Event]) -> Vec<(u64, u64, Option<f64>, gearshift::protocol::RequestFacts)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Usage {
                input,
                output,
                cost,
                request: Some(r),
                ..
            } => Some((*input, *output, *cost, (**r).clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_cancelled_reply_records_what_it_was_billed_as_an_estimate() {
    let words: Vec<String> = (0..40)
        .map(|i| {
            format!(
                r#"{{"choices":[{{"index":0,"delta":{{"content":"word{i} and more words "}},"finish_reason":null}}]}}"#
            )
        })
        .collect();
    let server =
        support::stall_server::start(words, Duration::from_millis(50), Duration::from_secs(20))
            .await;
    let p = provider(&config(&format!("{}/v1", server.url)), "t");
    let ws = tempfile::tempdir().unwrap();
    let mut s = start(&p, ws.path()).await;
    s.submit("write at length");
    s.until(|e| matches!(e, Event::AssistantDelta { .. })).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    s.cancel_within(Duration::from_secs(5)).await;
    let stored = s.stored().await;
    let usage = usages(&stored);
    assert_eq!(usage.len(), 1, "{stored:?}");
    let (input, output, cost, facts) = &usage[0];
    assert!(facts.estimated, "marked as an estimate");
    assert!(
        *input > 500,
        "the request's input as estimated when sent: {input}"
    );
    assert!(*output > 0, "what arrived: {output}");
    assert!(cost.is_some_and(|c| c > 0.0), "{cost:?}");
}

#[tokio::test]
async fn attempts_refused_before_the_answer_are_counted_with_the_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(support::model::overloaded())
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/event-stream")
                .set_body_string(Turn::text("fine").sse(0)),
        )
        .mount(&server)
        .await;
    let p = provider(&config(&format!("{}/v1", server.uri())), "t");
    let ws = tempfile::tempdir().unwrap();
    let mut s = start(&p, ws.path()).await;
    s.submit("hello");
    s.turn().await;
    let stored = s.stored().await;
    let usage = usages(&stored);
    assert_eq!(usage.len(), 1);
    assert_eq!(usage[0].3.retries, 1);
    assert!(!usage[0].3.estimated, "the provider's own figures");
}
