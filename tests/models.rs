//! Switching models mid-session through the real session actor, against two fake
//! OpenAI-compatible servers on 127.0.0.1: the next request goes to the new one, with its
//! window in the context accounting; a provider whose key is missing is refused, saying why.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gearshift::protocol::{Event, Op};
use support::model::{FakeModel, Turn};
use support::session::{provider, resume_with, start_switching, switch_for};

fn providers(one: &str, two: &str) -> String {
    format!(
        "[providers.one]\nkind = \"openai\"\nbase_url = \"{one}\"\napi_key_env = \"ONE_KEY\"\nmodel = \"m1\"\ncontext_window = 100000\nmax_retries = 0\n\
         [providers.two]\nkind = \"openai\"\nbase_url = \"{two}\"\napi_key_env = \"TWO_KEY\"\nmodel = \"m2\"\ncontext_window = 50000\nmax_retries = 0\n\
         [providers.three]\nkind = \"openai\"\nbase_url = \"{two}\"\napi_key_env = \"THREE_KEY\"\nmodel = \"m3\"\nmax_retries = 0\n"
    )
}

#[tokio::test]
async fn a_switch_mid_session_sends_the_next_request_to_the_new_model_with_its_window() {
    let a = FakeModel::start(vec![Turn::text("from one")]).await;
    let b = FakeModel::start(vec![Turn::text("from two")]).await;
    let ws = tempfile::tempdir().unwrap();
    let config = providers(&a.url(), &b.url());
    let p = provider(&config, "one");
    let mut s = start_switching(
        &p,
        ws.path(),
        &config,
        &[("ONE_KEY", "k1"), ("TWO_KEY", "k2")],
    )
    .await;
    s.submit("first");
    s.turn().await;
    // A provider without its key: refused, and nothing changes.
    s.send(Op::SetModel {
        provider: "three".into(),
        model: "m3".into(),
    });
    let refused = s.until(|e| matches!(e, Event::Refused { .. })).await;
    assert!(
        matches!(refused.last(), Some(Event::Refused { message, .. }) if message.contains("THREE_KEY")),
        "{refused:?}"
    );
    s.send(Op::SetModel {
        provider: "two".into(),
        model: "m2".into(),
    });
    let seen = s
        .until(|e| matches!(e, Event::ContextAccounted { report } if report.window == 50_000))
        .await;
    assert!(seen.iter().any(|e| matches!(
        e,
        Event::ModelChanged { provider, model, .. } if provider == "two" && model == "m2"
    )));
    s.submit("second");
    let turn = s.turn().await;
    assert!(
        turn.iter()
            .any(|e| matches!(e, Event::AssistantMessage { text, .. } if text == "from two"))
    );
    assert_eq!(a.requests().await.len(), 1, "the first server is done");
    let bodies = b.bodies().await;
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["model"], "m2");
    let history = bodies[0]["messages"].to_string();
    assert!(
        history.contains("first") && history.contains("from one"),
        "{history}"
    );
    let stored = s.stored().await;
    assert!(
        stored
            .iter()
            .any(|e| matches!(e, Event::ModelChanged { provider, .. } if provider == "two"))
    );
    assert!(
        !stored
            .iter()
            .any(|e| matches!(e, Event::ModelChanged { provider, .. } if provider == "three"))
    );

    // Resumed (the config still says `one`), the session goes on with `two`.
    let env = [("ONE_KEY", "k1"), ("TWO_KEY", "k2")];
    let switch = switch_for(ws.path(), &config, &env);
    let mut s = resume_with(s, &p, ws.path(), &config, Some(switch)).await;
    s.submit("third");
    s.turn().await;
    assert_eq!(a.requests().await.len(), 1, "not back to one");
    assert_eq!(b.requests().await.len(), 2);
    // Without the key now, it says so and goes on with the run's model.
    let c = FakeModel::start(vec![Turn::text("from one again")]).await;
    let config2 = providers(&c.url(), &b.url());
    let p2 = provider(&config2, "one");
    let switch = switch_for(ws.path(), &config2, &[("ONE_KEY", "k1")]);
    let mut s = resume_with(s, &p2, ws.path(), &config2, Some(switch)).await;
    let said = s
        .until(|e| matches!(e, Event::Notice { text, .. } if text.contains("last used two/m2")))
        .await;
    assert!(matches!(said.last(), Some(Event::Notice { text, .. }) if text.contains("TWO_KEY")));
    s.submit("fourth");
    s.turn().await;
    assert_eq!(c.requests().await.len(), 1);
}
