//! `gearshift stats` against a seeded store: its figures equal sums computed from the stored
//! usage events themselves, by model and by gear, and `--since` leaves older requests out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;

use gearshift::protocol::{ErrorKind, Event, Gear, RequestFacts, SessionMeta};
use gearshift::store::Store;

const DAY_MS: i64 = 86_400_000;

fn opened(id: &str, gear: Gear) -> Event {
    Event::SessionOpened {
        meta: SessionMeta {
            id: id.into(),
            workspace: "/w".into(),
            gear,
            provider: "openai".into(),
            model: "gpt-4.1".into(),
            created_at: 0,
            subagent: None,
        },
    }
}

#[allow(clippy::too_many_arguments)]
fn usage(
    model: &str,
    gear: Gear,
    stage: Option<&str>,
    input: u64,
    cached: u64,
    output: u64,
    cost: Option<f64>,
    latency: u64,
    error: Option<ErrorKind>,
) -> Event {
    let (provider, model) = model.split_once('/').unwrap();
    Event::Usage {
        input,
        output,
        cached,
        cache_write: 0,
        reasoning: 0,
        cost,
        request: Some(Box::new(RequestFacts {
            provider: provider.into(),
            model: model.into(),
            gear,
            stage: stage.map(Into::into),
            purpose: "turn".into(),
            latency_ms: latency,
            ttft_ms: Some(latency / 4),
            error,
            retries: 0,
            estimated: false,
        })),
    }
}

/// Per group: requests, errors, input, cached, output, cost — from the events.
type Sums = BTreeMap<String, (u64, u64, u64, u64, u64, f64)>;

fn add(sums: &mut Sums, key: String, e: &Event) {
    let Event::Usage {
        input,
        output,
        cached,
        cost,
        request,
        ..
    } = e
    else {
        return;
    };
    let s = sums.entry(key).or_default();
    s.0 += 1;
    s.1 += u64::from(request.as_ref().is_some_and(|r| r.error.is_some()));
    s.2 += input;
    s.3 += cached;
    s.4 += output;
    s.5 += cost.unwrap_or(0.0);
}

fn stats(home: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let out = support::command(home, home, &[&["stats", "--json"], args].concat())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn stats_equal_the_sums_of_the_stored_usage_by_model_and_gear_since_a_period() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("gearshift.db");
    let store = Store::open(&db).unwrap();
    let sessions = [
        (
            "s1",
            Gear::Plan,
            vec![
                usage(
                    "anthropic/claude-opus-4-5",
                    Gear::Plan,
                    None,
                    12_000,
                    8_000,
                    900,
                    Some(0.12),
                    4_000,
                    None,
                ),
                usage(
                    "deepseek/deepseek-chat",
                    Gear::Plan,
                    None,
                    30_000,
                    25_000,
                    2_000,
                    Some(0.01),
                    2_500,
                    None,
                ),
                usage(
                    "deepseek/deepseek-chat",
                    Gear::Plan,
                    None,
                    0,
                    0,
                    0,
                    None,
                    300,
                    Some(ErrorKind::Provider),
                ),
            ],
        ),
        (
            "s2",
            Gear::Pipeline,
            vec![
                usage(
                    "openai/gpt-5",
                    Gear::Pipeline,
                    Some("review"),
                    50_000,
                    0,
                    3_000,
                    Some(0.09),
                    9_000,
                    None,
                ),
                usage(
                    "deepseek/deepseek-chat",
                    Gear::Pipeline,
                    Some("implement"),
                    40_000,
                    39_000,
                    4_000,
                    Some(0.02),
                    3_100,
                    None,
                ),
            ],
        ),
        (
            // Ten days old: outside `--since 7d`.
            "s3",
            Gear::Vibe,
            vec![usage(
                "openai/gpt-5",
                Gear::Vibe,
                None,
                99_000,
                0,
                9_000,
                Some(5.0),
                1_000,
                None,
            )],
        ),
    ];
    for (id, gear, events) in &sessions {
        let mut all = vec![
            opened(id, *gear),
            Event::UserMessage {
                text: "go".into(),
                attachments: vec![],
            },
        ];
        all.extend(events.iter().cloned());
        store.append_blocking(id, all).unwrap();
    }
    store.close();
    let conn = rusqlite::Connection::open(&db).unwrap();
    for table in ["events", "requests"] {
        conn.execute(
            &format!("UPDATE {table} SET ts = ts - ?1 WHERE session_id = 's3'"),
            [10 * DAY_MS],
        )
        .unwrap();
    }
    drop(conn);

    // The expected sums, from the events as stored (read back, not the literals above).
    let store = Store::open(&db).unwrap();
    let reader = store.reader().unwrap();
    let since = gearshift::store::now_ms() - 7 * DAY_MS;
    let (mut by_model, mut by_gear) = (Sums::new(), Sums::new());
    for (id, ..) in &sessions {
        for stored in reader.events(id).unwrap() {
            if stored.ts < since {
                continue;
            }
            if let Event::Usage {
                request: Some(r), ..
            } = &stored.event
            {
                add(
                    &mut by_model,
                    format!("{}/{}", r.provider, r.model),
                    &stored.event,
                );
                add(&mut by_gear, r.gear.as_str().to_string(), &stored.event);
            }
        }
    }
    store.close();
    assert_eq!(by_model.len(), 3, "s3's gpt-5 request is out of the period");

    for (by, expected) in [("model", &by_model), ("gear", &by_gear)] {
        let report = stats(home.path(), &["--by", by, "--since", "7d"]);
        let groups = report["groups"].as_array().unwrap();
        let got: Sums = groups
            .iter()
            .map(|g| {
                let n = |k: &str| g[k].as_u64().unwrap();
                (
                    g["key"].as_str().unwrap().to_string(),
                    (
                        n("requests"),
                        n("errors"),
                        n("input"),
                        n("cached"),
                        n("output"),
                        g["cost"].as_f64().unwrap(),
                    ),
                )
            })
            .collect();
        assert_eq!(got.len(), expected.len(), "{by}: {report}");
        for (key, e) in expected {
            let g = got[key];
            assert_eq!(
                (g.0, g.1, g.2, g.3, g.4),
                (e.0, e.1, e.2, e.3, e.4),
                "{by} {key}"
            );
            assert!((g.5 - e.5).abs() < 1e-9, "{by} {key}: {} vs {}", g.5, e.5);
        }
        let total = &report["total"];
        assert_eq!(total["requests"], 5);
        assert_eq!(total["errors"], 1);
    }
    // The dearest first; the failed request is no latency; shares and percentiles are there.
    let report = stats(home.path(), &["--by", "model"]);
    let first = &report["groups"][0];
    assert_eq!(first["key"], "anthropic/claude-opus-4-5");
    let deepseek = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "deepseek/deepseek-chat")
        .unwrap();
    assert_eq!(deepseek["latency_p95_ms"], 3_100);
    assert_eq!(deepseek["latency_p50_ms"], 2_500);
    assert_eq!(deepseek["ttft_p50_ms"], 625);
    let share = deepseek["cached_share"].as_f64().unwrap();
    assert!((share - 64_000.0 / 70_000.0).abs() < 1e-9);
    // A longer period takes s3 in; the table names every group.
    assert_eq!(
        stats(home.path(), &["--since", "30d"])["total"]["requests"],
        6
    );
    let out = support::command(home.path(), home.path(), &["stats", "--by", "stage"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    for word in ["stage", "review", "implement", "total", "ttft p95"] {
        assert!(table.contains(word), "{table}");
    }
    let out = support::command(home.path(), home.path(), &["stats", "--since", "7 days"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("7d"));
}

#[test]
fn a_store_from_before_requests_were_kept_is_migrated_with_its_usage_counted() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("gearshift.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(include_str!(
        "../crates/store/src/migrations/001_initial.sql"
    ))
    .unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    let now = gearshift::store::now_ms();
    conn.execute(
        "INSERT INTO sessions (id, workspace, gear, provider, model, created_at, updated_at)
         VALUES ('old', '/w', 'plan', 'openai', 'gpt-4.1', ?1, ?1)",
        [now],
    )
    .unwrap();
    let payload =
        r#"{"type":"usage","input":1000,"output":200,"cached":600,"cache_write":300,"cost":0.5}"#;
    conn.execute(
        "INSERT INTO events (session_id, seq, ts, kind, payload) VALUES ('old', 1, ?1, 'usage', ?2)",
        rusqlite::params![now, payload],
    )
    .unwrap();
    drop(conn);
    let report = stats(home.path(), &[]);
    let group = &report["groups"][0];
    assert_eq!(group["key"], "openai/gpt-4.1");
    assert_eq!(
        (
            &group["requests"],
            &group["input"],
            &group["cached"],
            &group["output"]
        ),
        (&1.into(), &1000.into(), &600.into(), &200.into())
    );
    assert_eq!(group["cost"], 0.5);
    assert_eq!(
        group["cache_write"], 300,
        "cache writes are read from the old events"
    );
    assert!(group["latency_p50_ms"].is_null(), "not measured then");
}

#[test]
fn unknown_costs_are_null_costs_are_rounded_and_retries_and_cache_writes_show() {
    let home = tempfile::tempdir().unwrap();
    let store = Store::open(&home.path().join("gearshift.db")).unwrap();
    let priced = |cost: f64, retries: u32, cache_write: u64| {
        let mut e = usage(
            "openai/gpt-4.1",
            Gear::Vibe,
            None,
            4_000,
            0,
            100,
            Some(cost),
            900,
            None,
        );
        if let Event::Usage {
            request: Some(r),
            cache_write: w,
            ..
        } = &mut e
        {
            r.retries = retries;
            *w = cache_write;
        }
        e
    };
    let events = vec![
        opened("s1", Gear::Vibe),
        priced(0.1, 2, 2_000),
        priced(0.2, 0, 0),
        usage(
            "local/my-model",
            Gear::Vibe,
            None,
            500,
            0,
            50,
            None,
            700,
            None,
        ),
    ];
    store.append_blocking("s1", events).unwrap();
    let unpriced = vec![
        opened("s2", Gear::Vibe),
        usage(
            "local/my-model",
            Gear::Vibe,
            None,
            900,
            0,
            90,
            None,
            700,
            None,
        ),
    ];
    store.append_blocking("s2", unpriced).unwrap();
    store.close();
    let out = support::command(home.path(), home.path(), &["sessions", "list", "--all"])
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&out.stdout);
    let line = |id: &str| {
        list.lines()
            .find(|l| l.starts_with(id))
            .unwrap()
            .to_string()
    };
    assert!(
        line("s2").contains('—') && !line("s2").contains('$'),
        "{list}"
    );
    assert!(line("s1").contains("$0.3000"), "{list}");
    let out = support::command(
        home.path(),
        home.path(),
        &["sessions", "list", "--all", "--json"],
    )
    .output()
    .unwrap();
    let json = String::from_utf8_lossy(&out.stdout);
    assert!(
        json.contains("0.3") && !json.contains("0.30000000000000004"),
        "{json}"
    );
    assert!(
        json.contains("\"cost\": null") || json.contains("\"cost\":null"),
        "{json}"
    );

    let out = support::command(home.path(), home.path(), &["stats", "--json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("0.30000000000000004"), "{text}");
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let group = |key: &str| {
        report["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == key)
            .unwrap()
            .clone()
    };
    let local = group("local/my-model");
    assert!(local["cost"].is_null(), "unknown, not $0: {local}");
    assert_eq!(local["unpriced"], 2);
    let openai = group("openai/gpt-4.1");
    assert_eq!(openai["cost"], 0.3);
    assert_eq!(openai["retries"], 2);
    assert_eq!(openai["cache_write"], 2_000);
    assert_eq!(report["total"]["cost"], 0.3);
    assert_eq!(report["total"]["unpriced"], 2);

    let out = support::command(home.path(), home.path(), &["stats"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    let row = |key: &str| {
        table
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap()
            .to_string()
    };
    assert!(row("local/my-model").contains('—'), "{table}");
    assert!(row("total").contains("$0.3000+"), "{table}");
    for word in ["retries", "cache wr", "not in the cost"] {
        assert!(table.contains(word), "{word}: {table}");
    }
}
