//! What the prompt cache saves, measured against a fake Anthropic server that bills by the
//! documented caching rules (`support::cache`: breakpoints, the 20-block lookback, per-model
//! minimum lengths, the 5-minute lifetime), through a real session actor: a long tool loop, a
//! session with one compaction (and the compaction request itself), AGENTS.md edited between
//! turns, a skill installed mid-session. Each prints its figure (recorded in BENCHMARKS.md:
//! `cargo test --test caching -- --nocapture`) and fails below the bar.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

mod support;

use std::time::{Duration, Instant};

use gearshift::protocol::{Event, Op};
use serde_json::{Value, json};
use support::cache::PromptCache;
use support::model::{FakeModel, Turn};
use support::session::{self, Session};

/// A workspace with a 100-rule AGENTS.md and `n` source files of about 1,000 tokens each.
fn workspace(n: usize) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    let rules: String = (0..100)
        .map(|i| format!("- Rule {i}: keep functions short, named for what they do, and tested.\n"))
        .collect();
    std::fs::write(
        ws.path().join("AGENTS.md"),
        format!("# Conventions\n\n{rules}"),
    )
    .unwrap();
    for i in 0..n {
        let body: String = (0..60)
            .map(|l| format!("pub fn item_{i}_{l}(x: u64) -> u64 {{ x * {l} + {i} }}\n"))
            .collect();
        std::fs::write(ws.path().join(format!("f{i}.rs")), body).unwrap();
    }
    ws
}

fn config(url: &str) -> String {
    format!(
        "[providers.fake]\nkind = \"anthropic\"\nbase_url = \"{url}\"\napi_key_env = \"FAKE_KEY\"\n\
         model = \"claude-sonnet-4-5\"\nmax_retries = 0\n[review]\nmemory_step = false\n\
         [context]\ncompact_at = 0\n"
    )
}

/// A turn that reads file `i` and answers: two requests.
fn reading(i: usize) -> [Turn; 2] {
    [
        Turn::tool("read_file", json!({"path": format!("f{i}.rs")})),
        Turn::text(&format!("f{i}.rs defines sixty small functions.")),
    ]
}

/// Each request's (purpose, input, cache reads, cache writes), in order.
async fn usage(s: &Session) -> Vec<(String, u64, u64, u64)> {
    s.stored()
        .await
        .iter()
        .filter_map(|e| match e {
            Event::Usage {
                input,
                cached,
                cache_write,
                request: Some(r),
                ..
            } => Some((r.purpose.clone(), *input, *cached, *cache_write)),
            _ => None,
        })
        .collect()
}

fn share(rows: &[(String, u64, u64, u64)]) -> f64 {
    let input: u64 = rows.iter().map(|r| r.1).sum();
    let read: u64 = rows.iter().map(|r| r.2).sum();
    read as f64 / input as f64
}

async fn run_turns(s: &mut Session, from: usize, to: usize) {
    for i in from..to {
        s.submit(&format!("what is in f{i}.rs?"));
        let turn = s.turn().await;
        assert!(
            !turn.iter().any(|e| matches!(e, Event::Error { .. })),
            "{turn:?}"
        );
    }
}

async fn start(turns: Vec<Turn>, ws: &tempfile::TempDir) -> (FakeModel, Session) {
    let fake = FakeModel::anthropic(turns).await;
    let p = session::provider(&config(&fake.server.uri()), "fake");
    let s = session::start_at_home(&p, ws.path(), ws.path()).await;
    (fake, s)
}

#[tokio::test]
async fn a_twenty_round_tool_loop_reads_at_least_ninety_percent_from_the_cache() {
    let ws = workspace(1);
    let mut turns: Vec<Turn> = (0..19)
        .map(|i| Turn::tool("read_file", json!({"path": "f0.rs", "offset": i + 1})))
        .collect();
    turns.push(Turn::text("done"));
    let (fake, mut s) = start(turns, &ws).await;
    s.submit("read f0.rs twenty times");
    s.turn().await;
    let rows = usage(&s).await;
    assert_eq!(rows.len(), 20);
    let got = share(&rows);
    println!(
        "figure: 20-round tool loop on Sonnet 4.5: {:.1} % of input read from cache",
        got * 100.0
    );
    assert!(got >= 0.90, "{got:.3}: {rows:?}");
    assert!(fake.broken().is_empty(), "{:?}", fake.broken());
}

#[tokio::test]
async fn a_session_with_one_compaction_keeps_the_cache_and_so_does_the_compaction() {
    let ws = workspace(16);
    let mut turns: Vec<Turn> = (0..8).flat_map(reading).collect();
    turns.push(Turn::text(
        "## Summary\nThe user had me read f0.rs to f7.rs; each defines sixty functions.",
    ));
    turns.extend((8..16).flat_map(reading));
    let (fake, mut s) = start(turns, &ws).await;
    run_turns(&mut s, 0, 8).await;
    s.send(Op::Compact);
    s.until(|e| matches!(e, Event::Compacted { .. })).await;
    run_turns(&mut s, 8, 16).await;
    let rows = usage(&s).await;
    let compaction: Vec<_> = rows.iter().filter(|r| r.0 == "compact").cloned().collect();
    assert_eq!(compaction.len(), 1, "{rows:?}");
    let whole = share(&rows);
    let summary = share(&compaction);
    println!(
        "figure: a session with one compaction: {:.1} % read from cache; the compaction request: {:.1} %",
        whole * 100.0,
        summary * 100.0
    );
    assert!(summary >= 0.90, "compaction {summary:.3}: {compaction:?}");
    assert!(whole >= 0.80, "session {whole:.3}: {rows:?}");
    // The compacted session begins anew: the request after the summary holds it, not the
    // turns it replaced.
    let bodies = fake.bodies().await;
    let after = bodies[17].to_string();
    assert!(after.contains("## Summary") && !after.contains("what is in f0.rs?"));
    assert!(fake.broken().is_empty(), "{:?}", fake.broken());
}

#[tokio::test]
async fn an_agents_md_edited_between_turns_costs_its_own_size_not_the_conversation() {
    let ws = workspace(12);
    let (fake, mut s) = start((0..12).flat_map(reading).collect(), &ws).await;
    run_turns(&mut s, 0, 6).await;
    let path = ws.path().join("AGENTS.md");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "- Rule 42: keep functions short",
        "- Rule 42: run `cargo nextest run`; keep functions short",
    );
    std::fs::write(&path, text).unwrap();
    run_turns(&mut s, 6, 12).await;
    let rows = usage(&s).await;
    let got = share(&rows);
    println!(
        "figure: AGENTS.md edited between turns: {:.1} % read from cache",
        got * 100.0
    );
    assert!(got >= 0.90, "{got:.3}: {rows:?}");
    let bodies = fake.bodies().await;
    assert!(
        bodies.windows(2).all(|w| w[0]["system"] == w[1]["system"]),
        "the system prompt never changes"
    );
    let told = bodies[12].to_string();
    assert!(
        told.contains("+- Rule 42: run `cargo nextest run`"),
        "the change, as a note"
    );
    assert!(fake.broken().is_empty(), "{:?}", fake.broken());
}

#[tokio::test]
async fn a_skill_installed_mid_session_is_usable_and_keeps_the_cache() {
    let ws = workspace(12);
    let mut turns: Vec<Turn> = (0..6).flat_map(reading).collect();
    turns.push(Turn::tool("skill", json!({"name": "lint"})));
    turns.push(Turn::text("Loaded lint."));
    turns.extend((7..12).flat_map(reading));
    let (fake, mut s) = start(turns, &ws).await;
    run_turns(&mut s, 0, 6).await;
    let folder = ws.path().join(".agents/skills/lint");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("SKILL.md"),
        "---\nname: lint\ndescription: Lint the crate with clippy and fix what it finds\n---\n\nRun clippy.\n",
    )
    .unwrap();
    s.submit("lint it");
    let turn = s.turn().await;
    assert!(
        turn.iter().any(
            |e| matches!(e, Event::ToolResult { content, .. } if content.contains("Run clippy."))
        ),
        "the new skill loads: {turn:?}"
    );
    run_turns(&mut s, 7, 12).await;
    let rows = usage(&s).await;
    let got = share(&rows);
    println!(
        "figure: a skill installed mid-session: {:.1} % read from cache",
        got * 100.0
    );
    assert!(got >= 0.90, "{got:.3}: {rows:?}");
    let bodies = fake.bodies().await;
    assert!(bodies.windows(2).all(|w| w[0]["system"] == w[1]["system"]));
    assert!(bodies[12].to_string().contains("- lint: Lint the crate"));
    assert!(fake.broken().is_empty(), "{:?}", fake.broken());
}

/// The simulation itself keeps the documented rules, or the figures above mean nothing.
#[test]
fn the_simulated_cache_keeps_the_lookback_the_minimum_and_the_lifetime() {
    let block = |i: usize| json!({"type": "text", "text": format!("{i:04} {}", "x".repeat(400))});
    let body = |n: usize, marks: &[usize], model: &str| -> Value {
        let content: Vec<Value> = (0..n)
            .map(|i| {
                let mut b = block(i);
                if marks.contains(&i) {
                    b["cache_control"] = json!({"type": "ephemeral"});
                }
                b
            })
            .collect();
        json!({"model": model, "messages": [{"role": "user", "content": content}]})
    };
    let t0 = Instant::now();
    let mut cache = PromptCache::default();
    let (_, read, write) = cache.bill_at(&body(10, &[9], "claude-sonnet-4-5"), t0);
    assert_eq!(read, 0);
    assert!(write > 1_000);
    // Within 20 blocks of a breakpoint: read.
    let (_, read, _) = cache.bill_at(&body(29, &[28], "claude-sonnet-4-5"), t0);
    assert!(read > 1_000);
    // Further than 20 blocks: not found.
    let mut far = PromptCache::default();
    far.bill_at(&body(10, &[9], "claude-sonnet-4-5"), t0);
    let (_, read, _) = far.bill_at(&body(31, &[30], "claude-sonnet-4-5"), t0);
    assert_eq!(read, 0);
    // Below Opus 4.5's minimum of 4,096 tokens: neither written nor read.
    let mut small = PromptCache::default();
    let (_, _, write) = small.bill_at(&body(10, &[9], "claude-opus-4-5"), t0);
    assert_eq!(write, 0);
    // After five minutes unread, gone.
    let (_, read, _) = cache.bill_at(
        &body(29, &[28], "claude-sonnet-4-5"),
        t0 + Duration::from_secs(301),
    );
    assert_eq!(read, 0);
}

#[tokio::test]
async fn a_compaction_keeps_the_users_request_not_the_note_that_followed_it() {
    let ws = workspace(3);
    let mut turns: Vec<Turn> = (0..3).flat_map(reading).collect();
    turns.insert(4, Turn::text("## Summary\nRead f0.rs and f1.rs."));
    let (fake, mut s) = start(turns, &ws).await;
    run_turns(&mut s, 0, 1).await;
    std::fs::write(
        ws.path().join("AGENTS.md"),
        "# Conventions\n\n- Only one rule now.\n",
    )
    .unwrap();
    run_turns(&mut s, 1, 2).await;
    s.send(Op::Compact);
    s.until(|e| matches!(e, Event::Compacted { .. })).await;
    let bodies = fake.bodies().await;
    let messages = bodies[4]["messages"].as_array().unwrap();
    let instruction = messages.last().unwrap()["content"][0]["text"]
        .as_str()
        .unwrap();
    assert!(instruction.contains("> what is in f1.rs?"), "{instruction}");
    run_turns(&mut s, 2, 3).await;
    let after = fake.bodies().await[5].to_string();
    assert!(
        after.contains("what is in f1.rs?"),
        "the request stays verbatim"
    );
    assert!(
        after.contains("Only one rule now"),
        "the new prefix holds the new AGENTS.md"
    );
    assert!(fake.broken().is_empty(), "{:?}", fake.broken());
}
