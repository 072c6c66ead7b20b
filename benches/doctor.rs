//! `gearshift doctor` on a home a user has after months of use: a config with providers and
//! routes, twenty skills, and a database of 5,000 sessions of 100 messages written through the
//! real store. Times the whole process, start to exit, without `--network` (the default look,
//! which stops reading a large database after a moment) and once with `--full`.
//! Run: `cargo bench --bench doctor`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;

use gearshift::store::Store;

const SESSIONS: usize = 5_000;
const MESSAGES_PER_SESSION: usize = 100;
const RUNS: usize = 20;

const CONFIG: &str = r#"
provider = "anthropic"

[providers.local]
kind = "openai"
base_url = "http://127.0.0.1:9/v1"
model = "qwen3-coder"

[routing]
plan = "local/qwen3-coder"
"#;

fn seed(home: &Path) {
    std::fs::write(home.join("config.toml"), CONFIG).unwrap();
    for i in 0..20 {
        let dir = home.join(format!("skills/skill-{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("SKILL.md"),
            format!("---\nname: skill-{i}\ndescription: Skill number {i}, for the bench.\n---\nDo step {i}.\n"),
        )
        .unwrap();
    }
    let store = Store::open(&home.join("gearshift.db")).unwrap();
    common::seed::sessions(&store, SESSIONS, MESSAGES_PER_SESSION, 20, |s, m| {
        format!(
            "message {m} of session {s}: read src/module{m}.rs, changed the parser's \
             error path, ran cargo test (412 passed), and the review found one hunk to redo; \
             the next step renames the config key and updates the README and the tests."
        )
    });
    store.close();
}

fn doctor(home: &Path, workspace: &Path, extra: &[&str]) -> (Duration, String) {
    let started = Instant::now();
    let out = Command::new(common::binary())
        .arg("--home")
        .arg(home)
        .arg("--workspace")
        .arg(workspace)
        .args(["doctor", "--json"])
        .args(extra)
        .env("ANTHROPIC_API_KEY", "sk-ant-bench")
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(out.status.code().is_some(), "doctor ended by a signal");
    (took, String::from_utf8(out.stdout).unwrap())
}

fn database_line(json: &str) -> String {
    let doc: serde_json::Value = serde_json::from_str(json).unwrap();
    doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["area"] == "database")
        .map(|c| c["what"].as_str().unwrap().to_string())
        .unwrap()
}

fn main() {
    let home = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let started = Instant::now();
    seed(home.path());
    let size = std::fs::metadata(home.path().join("gearshift.db"))
        .unwrap()
        .len();
    println!(
        "seeded {SESSIONS} sessions of {MESSAGES_PER_SESSION} messages in {:.1} s; database {:.0} MB",
        started.elapsed().as_secs_f64(),
        size as f64 / 1e6
    );
    doctor(home.path(), workspace.path(), &[]);
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| doctor(home.path(), workspace.path(), &[]).0)
        .collect();
    times.sort();
    let (_, json) = doctor(home.path(), workspace.path(), &[]);
    println!(
        "gearshift doctor, {RUNS} runs: median {:.0} ms, p90 {:.0} ms, min {:.0}, max {:.0}",
        times[RUNS / 2].as_secs_f64() * 1e3,
        times[RUNS * 9 / 10].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[RUNS - 1].as_secs_f64() * 1e3,
    );
    println!("  its database line: {}", database_line(&json));
    let (full, json) = doctor(home.path(), workspace.path(), &["--full"]);
    println!(
        "gearshift doctor --full: {:.0} ms; its database line: {}",
        full.as_secs_f64() * 1e3,
        database_line(&json)
    );
}
