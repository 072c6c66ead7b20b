//! The session store at scale: 10,000 sessions and 1,000,000 messages over 20 workspaces.
//! Times the browser's list query, full-text search (p50/p95 over rare, medium and common
//! words) and reports the database's size. Run: `cargo bench --bench store`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

mod common;

use gearshift::store::{Reader, Store};

const SESSIONS: usize = 10_000;
const MESSAGES_PER_SESSION: usize = 100;
const WORKSPACES: usize = 20;
const VOCABULARY: usize = 5_000;

/// A deterministic pseudo-random word stream with a Zipf-like spread: word `i` appears about
/// 1/(i+1) as often as word 0, so queries can pick common, medium and rare words.
struct Words {
    state: u64,
}

impl Words {
    fn next(&mut self) -> usize {
        self.state = self
            .state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let u = ((self.state >> 11) as f64) / ((1u64 << 53) as f64);
        // Inverse of a continuous 1/x distribution over [1, VOCABULARY].
        ((VOCABULARY as f64).powf(u) as usize)
            .saturating_sub(1)
            .min(VOCABULARY - 1)
    }

    fn sentence(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| format!("w{}", self.next()))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gearshift.db");
    let store = Store::open(&db).unwrap();
    let mut words = Words { state: 42 };
    let started = Instant::now();
    common::seed::sessions(
        &store,
        SESSIONS,
        MESSAGES_PER_SESSION,
        WORKSPACES,
        |_, _| words.sentence(30),
    );
    let generation = started.elapsed();
    store.close();
    let size: u64 = ["gearshift.db", "gearshift.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.path().join(f)).ok())
        .map(|m| m.len())
        .sum();
    println!(
        "generated {SESSIONS} sessions, {} messages in {:.1} s; database {:.0} MB",
        SESSIONS * MESSAGES_PER_SESSION,
        generation.as_secs_f64(),
        size as f64 / 1e6
    );

    let reader = Reader::open(&db).unwrap();
    let mut list = Vec::new();
    for i in 0..50 {
        let t = Instant::now();
        let rows = reader
            .list_sessions(Some(&format!("/home/dev/project{}", i % WORKSPACES)), 500)
            .unwrap();
        list.push(t.elapsed());
        assert!(!rows.is_empty());
        let t = Instant::now();
        reader.list_sessions(None, 500).unwrap();
        list.push(t.elapsed());
    }
    list.sort();
    println!(
        "open the browser (500 newest sessions, one workspace or all): p50 {:?}, p95 {:?}",
        percentile(&list, 0.5),
        percentile(&list, 0.95)
    );

    // Rare, medium and common words, single and paired.
    let queries: Vec<String> = [
        4000, 3000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1, 0,
    ]
    .iter()
    .flat_map(|&w| [format!("w{w}"), format!("w{w} w{}", w + 7)])
    .collect();
    let mut search = Vec::new();
    let mut hits_seen = 0;
    for _ in 0..3 {
        for q in &queries {
            let t = Instant::now();
            let hits = reader.search(q, None, 300).unwrap();
            search.push(t.elapsed());
            hits_seen += hits.len();
        }
    }
    search.sort();
    println!(
        "search ({} queries, up to 300 hits each, {hits_seen} hits): p50 {:?}, p95 {:?}, max {:?}",
        search.len(),
        percentile(&search, 0.5),
        percentile(&search, 0.95),
        search.last().unwrap()
    );
}
