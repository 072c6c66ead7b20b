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

/// Three providers on three fake servers: `base` (the session's model), `one` and `two`.
fn routed(base: &str, one: &str, two: &str, routing: &str) -> String {
    format!(
        "[providers.base]\nkind = \"openai\"\nbase_url = \"{base}\"\napi_key_env = \"BASE_KEY\"\nmodel = \"m0\"\nmax_retries = 0\n\
         [providers.one]\nkind = \"openai\"\nbase_url = \"{one}\"\napi_key_env = \"ONE_KEY\"\nmodel = \"m1\"\ncontext_window = 100000\nmax_retries = 0\n\
         [providers.two]\nkind = \"openai\"\nbase_url = \"{two}\"\napi_key_env = \"TWO_KEY\"\nmodel = \"m2\"\ncontext_window = 50000\nmax_retries = 0\n\
         [providers.three]\nkind = \"openai\"\nbase_url = \"{two}\"\napi_key_env = \"THREE_KEY\"\nmodel = \"m3\"\nmax_retries = 0\n\
         [review]\nmemory_step = false\n[routing]\n{routing}"
    )
}

const KEYS: [(&str, &str); 3] = [("BASE_KEY", "k0"), ("ONE_KEY", "k1"), ("TWO_KEY", "k2")];

/// The request facts of every usage stored, as (provider/model, purpose, failed).
fn requests(stored: &[Event]) -> Vec<(String, String, bool)> {
    stored
        .iter()
        .filter_map(|e| match e {
            Event::Usage {
                request: Some(r), ..
            } => Some((
                format!("{}/{}", r.provider, r.model),
                r.purpose.clone(),
                r.error.is_some(),
            )),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn routing_sends_planning_and_the_steps_to_different_models() {
    use gearshift::protocol::{Gear, PlanEdit};
    let base = FakeModel::start(vec![]).await;
    let planner = FakeModel::start(vec![Turn::tool(
        "propose_plan",
        serde_json::json!({"steps": [{"title": "Write one", "detail": "create one.txt"}]}),
    )])
    .await;
    let coder = FakeModel::start(vec![
        Turn::tool(
            "write_file",
            serde_json::json!({"path": "one.txt", "content": "one\n"}),
        ),
        Turn::tool("complete_step", serde_json::json!({"summary": "written"})),
    ])
    .await;
    let ws = tempfile::tempdir().unwrap();
    let config = routed(
        &base.url(),
        &planner.url(),
        &coder.url(),
        "plan = \"one/m1\"\nimplement = \"two/m2\"\n",
    );
    let p = provider(&config, "base");
    let mut s = start_switching(&p, ws.path(), &config, &KEYS).await;
    s.send(Op::SetGear { gear: Gear::Plan });
    s.submit("write one file");
    s.turn().await;
    s.send(Op::EditPlan {
        edit: PlanEdit::Approve { step: "s1".into() },
    });
    s.send(Op::Go { all: false });
    s.accept_next_change().await;
    s.turn().await;
    assert_eq!(
        std::fs::read_to_string(ws.path().join("one.txt")).unwrap(),
        "one\n"
    );
    assert_eq!(base.requests().await.len(), 0, "every request had a route");
    assert_eq!(planner.requests().await.len(), 1);
    let bodies = coder.bodies().await;
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["model"], "m2");
    // The step's model sees the plan the other one made.
    assert!(bodies[0]["messages"].to_string().contains("Write one"));
    let stored = s.stored().await;
    assert!(stored.iter().any(|e| matches!(
        e,
        Event::ModelChanged { provider, route: Some(r), routed: true, .. }
            if provider == "two" && r == "implement"
    )));
    assert_eq!(
        requests(&stored),
        [
            ("one/m1".into(), "turn".into(), false),
            ("two/m2".into(), "turn".into(), false),
            ("two/m2".into(), "turn".into(), false),
        ]
    );
}

#[tokio::test]
async fn a_route_whose_key_is_missing_is_said_before_any_run() {
    use gearshift::protocol::Gear;
    let base = FakeModel::start(vec![Turn::text("from base")]).await;
    let planner = FakeModel::start(vec![Turn::text("from one")]).await;
    let ws = tempfile::tempdir().unwrap();
    let config = routed(
        &base.url(),
        &planner.url(),
        &base.url(),
        "implement = \"three/m3\"\nvibe = \"three/m3\"\nplan = \"one/m1\"\n",
    );
    let p = provider(&config, "base");
    let mut s = start_switching(&p, ws.path(), &config, &KEYS).await;
    let said = s
        .until(|e| matches!(e, Event::Notice { text, .. } if text.contains("three/m3")))
        .await;
    let Some(Event::Notice { text, .. }) = said.last() else {
        unreachable!()
    };
    assert!(
        text.contains("[routing] implement") && text.contains("THREE_KEY"),
        "{text}"
    );
    assert!(
        !said.iter().any(|e| matches!(e, Event::TurnStarted { .. })),
        "said before a run"
    );
    // Planning goes to its route; back in vibe, whose route cannot be used, the request goes
    // to the session's own model, not to the one used last.
    s.send(Op::SetGear { gear: Gear::Plan });
    s.submit("plan it");
    s.turn().await;
    s.send(Op::SetGear { gear: Gear::Vibe });
    s.submit("hello");
    let turn = s.turn().await;
    assert!(
        turn.iter()
            .any(|e| matches!(e, Event::AssistantMessage { text, .. } if text == "from base")),
        "{turn:?}"
    );
    assert_eq!(planner.requests().await.len(), 1);
    assert_eq!(base.bodies().await[0]["model"], "m0");
}

#[tokio::test]
async fn a_provider_down_with_503_falls_back_to_the_routes_next_model() {
    let down = support::model::down_503().await;
    let spare = FakeModel::start(vec![Turn::text("from two")]).await;
    let ws = tempfile::tempdir().unwrap();
    let config = routed(
        &spare.url(),
        &format!("{}/v1", down.uri()),
        &spare.url(),
        "vibe = { model = \"one/m1\", fallback = [\"two/m2\"] }\n",
    );
    let p = provider(&config, "base");
    let mut s = start_switching(&p, ws.path(), &config, &KEYS).await;
    s.submit("hello");
    let turn = s.turn().await;
    assert!(
        turn.iter()
            .any(|e| matches!(e, Event::AssistantMessage { text, .. } if text == "from two")),
        "{turn:?}"
    );
    assert_eq!(down.received_requests().await.unwrap().len(), 1);
    let bodies = spare.bodies().await;
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["model"], "m2");
    assert!(bodies[0]["messages"].to_string().contains("hello"));
    let stored = s.stored().await;
    let fell = stored
        .iter()
        .find(|e| matches!(e, Event::ModelFellBack { .. }))
        .expect("the fallback is recorded");
    assert!(
        matches!(fell, Event::ModelFellBack { from, to, reason }
            if from == "one/m1" && to == "two/m2" && reason.contains("503")),
        "{fell:?}"
    );
    // The failed request is counted as one, with its error; no error ends the turn.
    assert_eq!(
        requests(&stored),
        [
            ("one/m1".into(), "turn".into(), true),
            ("two/m2".into(), "turn".into(), false),
        ]
    );
    assert!(!stored.iter().any(|e| matches!(e, Event::Error { .. })));
}
