//! Store tests on real SQLite files in a temp dir.

use std::os::unix::fs::PermissionsExt;

use super::*;
use gearshift_protocol::{ErrorKind, FinishReason, Gear, SessionMeta};

fn opened(id: &str, workspace: &str) -> Event {
    Event::SessionOpened {
        meta: SessionMeta {
            id: id.into(),
            workspace: workspace.into(),
            gear: Gear::Vibe,
            provider: "demo".into(),
            model: "demo".into(),
            created_at: now_ms(),
            subagent: None,
        },
    }
}

fn user(text: &str) -> Event {
    Event::UserMessage {
        text: text.into(),
        attachments: vec![],
    }
}

#[test]
fn migrates_from_empty_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/gearshift.db");
    let store = Store::open(&path).unwrap();
    store.close();
    let store = Store::open(&path).unwrap();
    let reader = store.reader().unwrap();
    let version: i64 = reader
        .conn_for_tests()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, i64::try_from(schema_version()).unwrap());
    let mode: String = reader
        .conn_for_tests()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert!(reader.list_sessions(None, 10).unwrap().is_empty());
}

#[test]
fn database_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gearshift.db");
    let store = Store::open(&path).unwrap();
    store
        .append_blocking("s1", vec![opened("s1", "/w")])
        .unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let wal = dir.path().join("gearshift.db-wal");
    let wal_mode = std::fs::metadata(&wal).unwrap().permissions().mode() & 0o777;
    assert_eq!(wal_mode, 0o600, "the WAL holds the same data");
}

#[test]
fn events_round_trip_in_order_and_fold_into_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("g.db")).unwrap();
    let events = vec![
        opened("abc123", "/work/proj"),
        user("Fix the parser\nsecond line"),
        Event::GearChanged {
            from: Gear::Vibe,
            to: Gear::Plan,
        },
        Event::TurnStarted { turn: 1 },
        Event::AssistantDelta {
            text: "never stored".into(),
        },
        Event::AssistantMessage {
            text: "Done.".into(),
            interrupted: false,
        },
        Event::Usage {
            input: 100,
            output: 20,
            cached: 5,
            cache_write: 0,
            reasoning: 0,
            cost: Some(0.25),
            request: None,
        },
        Event::TurnFinished {
            reason: FinishReason::Stop,
        },
        Event::Error {
            kind: ErrorKind::Provider,
            message: "x".into(),
        },
    ];
    let seqs = store.append_blocking("abc123", events.clone()).unwrap();
    assert_eq!(
        seqs,
        (1..=8).collect::<Vec<i64>>(),
        "the delta is not persisted"
    );
    store.append_blocking("abc123", vec![user("more")]).unwrap();

    let reader = store.reader().unwrap();
    let stored = reader.events("abc123").unwrap();
    let expected: Vec<Event> = events
        .into_iter()
        .filter(Event::is_persisted)
        .chain([user("more")])
        .collect();
    assert_eq!(
        stored.iter().map(|e| e.event.clone()).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(
        stored.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=9).collect::<Vec<i64>>()
    );

    let s = reader.session("abc123").unwrap().unwrap();
    assert_eq!(s.title, "Fix the parser", "first prompt's first line");
    assert_eq!(s.gear, "plan");
    assert_eq!(s.message_count, 3);
    assert_eq!(
        (s.input_tokens, s.output_tokens, s.cached_tokens),
        (100, 20, 5)
    );
    assert!((s.cost.unwrap() - 0.25).abs() < 1e-9);
}

#[test]
fn full_text_search_finds_a_message_word() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("g.db")).unwrap();
    store
        .append_blocking(
            "s1",
            vec![
                opened("s1", "/w"),
                user("please refactor the tokenizer"),
                Event::AssistantMessage {
                    text: "The lexer is now split in two.".into(),
                    interrupted: false,
                },
            ],
        )
        .unwrap();
    store
        .append_blocking("s2", vec![opened("s2", "/w"), user("unrelated words")])
        .unwrap();
    let reader = store.reader().unwrap();
    let hits = reader.search("tokenizer", None, 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].session_id, "s1");
    assert_eq!(hits[0].role, "user");
    let marked = hits[0].snippet_marked("[", "]");
    assert!(marked.contains("[tokenizer]"), "{marked}");
    let hits = reader.search("lexer", None, 10).unwrap();
    assert_eq!(hits[0].role, "assistant");
    assert!(reader.search("absent", None, 10).unwrap().is_empty());
    assert!(
        reader
            .search("tokenizer", Some("/other"), 10)
            .unwrap()
            .is_empty()
    );
    // Text that is FTS syntax is searched as text, not an error.
    assert!(reader.search("\"unbalanced AND (", None, 10).is_ok());
    assert!(reader.search("   ", None, 10).unwrap().is_empty());
    // A word finds the words it begins, with or without a `*`, and they are marked whole.
    for query in ["tokeniz", "tokeniz*", "REFACT"] {
        let hits = reader.search(query, None, 10).unwrap();
        assert_eq!(hits.len(), 1, "{query}");
        let marked = hits[0].snippet_marked("[", "]");
        assert!(
            marked.contains("[tokenizer]") || marked.contains("[refactor]"),
            "{marked}"
        );
    }
    assert!(reader.search("*", None, 10).unwrap().is_empty());
}

#[test]
fn corrupt_file_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gearshift.db");
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let err = Store::open(&path).err().unwrap();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&path.display().to_string()) && msg.contains("untouched"),
        "{msg}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
    assert!(!dir.path().join("gearshift.db-wal").exists());
}

#[test]
fn damaged_database_with_a_valid_header_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gearshift.db");
    Store::open(&path)
        .unwrap()
        .append_blocking("s1", vec![opened("s1", "/w")])
        .unwrap();
    // Checkpoint so the data is in the main file, then damage every page after the header.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        // The store's writer thread closes its connection after the store is dropped, not
        // before: leaving WAL mode waits for it (a busy machine was seen to lose that race).
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    for b in bytes.iter_mut().skip(100) {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = Store::open(&path).err().unwrap();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn newer_schema_is_refused_with_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    Store::open(&path).unwrap().close();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = Store::open(&path).err().unwrap();
    let msg = err.to_string();
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{msg}");
    assert!(
        msg.contains("99") && msg.contains(&schema_version().to_string()),
        "{msg}"
    );
}

#[test]
fn two_writers_on_one_file_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let a = Store::open(&path).unwrap();
    let b = Store::open(&path).unwrap();
    a.append_blocking("sa", vec![opened("sa", "/w")]).unwrap();
    b.append_blocking("sb", vec![opened("sb", "/w")]).unwrap();
    let run = |store: Store, session: &'static str| {
        std::thread::spawn(move || {
            for i in 0..1000 {
                store
                    .append_blocking(session, vec![user(&format!("{session} message {i}"))])
                    .unwrap();
            }
        })
    };
    let (ta, tb) = (run(a, "sa"), run(b, "sb"));
    ta.join().unwrap();
    tb.join().unwrap();
    let reader = Reader::open(&path).unwrap();
    for s in ["sa", "sb"] {
        let events = reader.events(s).unwrap();
        assert_eq!(events.len(), 1001);
        assert_eq!(reader.session(s).unwrap().unwrap().message_count, 1000);
        for (i, e) in events.iter().skip(1).enumerate() {
            assert_eq!(e.event, user(&format!("{s} message {i}")));
        }
    }
}

#[test]
fn prefix_ids_resolve_when_unique() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("g.db")).unwrap();
    for id in ["abc111", "abc222", "def333"] {
        store.append_blocking(id, vec![opened(id, "/w")]).unwrap();
    }
    let r = store.reader().unwrap();
    assert_eq!(r.resolve_id("d").unwrap(), "def333");
    assert_eq!(r.resolve_id("ABC1").unwrap(), "abc111");
    assert!(matches!(
        r.resolve_id("abc"),
        Err(StoreError::AmbiguousSession { .. })
    ));
    assert!(matches!(
        r.resolve_id("f"),
        Err(StoreError::UnknownSession(_))
    ));
    assert!(matches!(
        r.resolve_id("x'"),
        Err(StoreError::UnknownSession(_))
    ));
}

#[test]
fn appending_to_an_unknown_session_fails_without_affecting_others() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("g.db")).unwrap();
    store
        .append_blocking("ok", vec![opened("ok", "/w")])
        .unwrap();
    let bad = store.append_acked("missing", vec![user("lost?")]);
    let good = store.append_acked("ok", vec![user("kept")]);
    assert!(bad.blocking_recv().unwrap().is_err());
    assert!(good.blocking_recv().unwrap().is_ok());
    assert!(store.take_error().is_some());
    assert_eq!(store.reader().unwrap().events("ok").unwrap().len(), 2);
}

#[test]
fn default_title_is_the_first_nonblank_line_shortened() {
    assert_eq!(default_title("\n  hello world \nmore"), "hello world");
    let long = "x".repeat(200);
    let t = default_title(&long);
    assert_eq!(t.chars().count(), 80);
    assert!(t.ends_with('…'));
}

#[test]
fn search_ranks_the_better_match_first_and_marks_matches() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("g.db")).unwrap();
    let sessions = [
        (
            "weak",
            "a long message about many things, which mentions the parser once among a great many other unrelated words",
        ),
        ("strong", "parser parser: the parser is slow"),
        ("none", "nothing relevant here"),
    ];
    for (id, text) in sessions {
        store
            .append_blocking(id, vec![opened(id, "/w"), user(text)])
            .unwrap();
    }
    let hits = store.reader().unwrap().search("parser", None, 10).unwrap();
    let order: Vec<&str> = hits.iter().map(|h| h.session_id.as_str()).collect();
    assert_eq!(order, ["strong", "weak"]);
    assert_eq!(hits[0].title, "parser parser: the parser is slow");
    let marked = hits[1].snippet_marked("<", ">");
    assert!(marked.contains("<parser>"), "{marked}");
    assert!(
        marked.len() < sessions[0].1.len() + 10,
        "a snippet, not the whole text"
    );
}

#[test]
fn fork_copies_history_and_delete_removes_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("g.db")).unwrap();
    store
        .append_blocking(
            "orig",
            vec![
                opened("orig", "/w"),
                user("find the needle"),
                Event::AssistantMessage {
                    text: "found".into(),
                    interrupted: false,
                },
            ],
        )
        .unwrap();
    let fork = store.fork_session("orig", "/here").unwrap();
    let r = store.reader().unwrap();
    let events: Vec<Event> = r
        .events(&fork)
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    // The fork works in the workspace it was made from, and says it is a fork.
    assert!(
        matches!(&events[0], Event::SessionOpened { meta } if meta.id == fork && meta.workspace == "/here")
    );
    assert_eq!(
        events.last(),
        Some(&Event::TitleChanged {
            title: "find the needle (fork)".into()
        })
    );
    assert_eq!(r.session(&fork).unwrap().unwrap().workspace, "/here");
    assert_eq!(
        events[1],
        Event::SessionForked {
            from: "orig".into()
        }
    );
    assert_eq!(events[2], user("find the needle"));
    assert_eq!(r.session(&fork).unwrap().unwrap().message_count, 2);
    assert_eq!(r.search("needle", None, 10).unwrap().len(), 2);

    store.delete_session("orig").unwrap();
    assert!(r.session("orig").unwrap().is_none());
    assert!(r.events("orig").unwrap().is_empty());
    let hits = r.search("needle", None, 10).unwrap();
    assert_eq!(hits.len(), 1, "the search index forgot the deleted session");
    assert_eq!(hits[0].session_id, fork);
    let leftovers: i64 = r
        .conn_for_tests()
        .query_row(
            "SELECT count(*) FROM messages WHERE session_id = 'orig'",
            [],
            |x| x.get(0),
        )
        .unwrap();
    assert_eq!(leftovers, 0);
    assert!(matches!(
        store.delete_session("orig"),
        Err(StoreError::UnknownSession(_))
    ));
}

#[test]
fn many_openers_of_a_new_file_at_once_all_succeed() {
    for round in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let barrier = Arc::new(std::sync::Barrier::new(6));
        let openers: Vec<_> = (0..6)
            .map(|_| {
                let (path, barrier) = (path.clone(), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    Store::open(&path).map(|s| s.close())
                })
            })
            .collect();
        for o in openers {
            o.join()
                .unwrap()
                .unwrap_or_else(|e| panic!("round {round}: {e}"));
        }
    }
}

/// A subagent's session: stored under its parent, listed, searched and continued never on
/// its own, deleted with it; an import of one is the human's own.
#[test]
fn a_subagents_session_lives_and_dies_with_its_parent() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("g.db")).unwrap();
    let child = |id: &str, parent: &str| {
        let Event::SessionOpened { mut meta } = opened(id, "/ws") else {
            unreachable!()
        };
        meta.subagent = Some(gearshift_protocol::Subagent {
            parent: parent.into(),
            agent: "explorer".into(),
            prompt: "You explore.".into(),
        });
        Event::SessionOpened { meta }
    };
    let usage = |input: u64, cost: f64| Event::Usage {
        input,
        output: 10,
        cached: 0,
        cache_write: 0,
        reasoning: 0,
        cost: Some(cost),
        request: Some(Box::new(gearshift_protocol::RequestFacts {
            provider: "fake".into(),
            model: "m".into(),
            gear: Gear::Vibe,
            stage: None,
            purpose: "turn".into(),
            latency_ms: 5,
            ttft_ms: None,
            error: None,
            retries: 0,
            estimated: false,
        })),
    };
    store
        .append_blocking(
            "p",
            vec![
                opened("p", "/ws"),
                user("find the needle"),
                usage(100, 1.0),
                // What the subagent spent is its parent's session's cost too.
                Event::AgentSpent {
                    id: "t".into(),
                    agent: "explorer".into(),
                    session: "c".into(),
                    requests: 1,
                    input: 1000,
                    output: 10,
                    cached: 0,
                    cost: Some(0.5),
                    context: 1010,
                },
            ],
        )
        .unwrap();
    store
        .append_blocking(
            "c",
            vec![
                child("c", "p"),
                user("where is the needle?"),
                usage(1000, 0.5),
            ],
        )
        .unwrap();
    store
        .append_blocking("other", vec![opened("other", "/ws"), usage(7, 0.25)])
        .unwrap();
    let r = store.reader().unwrap();
    let p_row = r.session("p").unwrap().unwrap();
    let cost = p_row.cost.unwrap();
    assert!((cost - 1.5).abs() < 1e-9, "{cost}");
    assert_eq!(p_row.input_tokens, 1100, "its own and its subagent's");
    // A session's requests hold its subagents'; spend is told by agent.
    let mine = r.requests_since(0, Some("p")).unwrap();
    assert_eq!(mine.iter().map(|q| q.input).sum::<u64>(), 1100);
    let by_agent = r
        .report_since(0, stats::By::Agent)
        .unwrap()
        .groups
        .into_iter()
        .map(|g| (g.key, g.input))
        .collect::<Vec<_>>();
    assert_eq!(
        by_agent,
        // The dearest first.
        [("(main)".to_string(), 107), ("explorer".to_string(), 1000)]
    );
    let ids = |v: Vec<SessionSummary>| v.into_iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(ids(r.list_sessions(None, 10).unwrap()), ["other", "p"]);
    assert_eq!(
        ids(r.list_sessions(Some("/ws"), 10).unwrap()),
        ["other", "p"]
    );
    assert_eq!(ids(r.children("p").unwrap()), ["c"]);
    assert_eq!(
        r.latest_in_workspace("/ws").unwrap().as_deref(),
        Some("other")
    );
    assert_eq!(r.recent_prompts("/ws", 10).unwrap(), ["find the needle"]);
    let hits = r.search("needle", None, 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].session_id, "p");

    // A session's export carries its subagents' sessions, and imports back with them.
    let whole = r.export("p").unwrap();
    assert_eq!(whole.subagents.len(), 1);
    assert_eq!(whole.subagents[0].session.id, "c");
    let export = r.export("c").unwrap();
    store.delete_session("p").unwrap();
    assert!(r.session("c").unwrap().is_none(), "deleted with its parent");
    assert!(r.events("c").unwrap().is_empty());
    // A subagent's session that names another parent is not slipped under this one.
    let mut forged = whole.clone();
    if let Event::SessionOpened { meta } = &mut forged.subagents[0].events[0].event {
        meta.subagent.as_mut().unwrap().parent = "other".into();
    }
    assert!(matches!(
        store.import_session(&forged),
        Err(StoreError::BadImport(_))
    ));
    assert!(
        r.session("p").unwrap().is_none(),
        "nothing of it was written"
    );
    // What is never stored live is not taken from a file either.
    let mut whole = whole;
    whole.events.push(ExportedEvent {
        seq: 99,
        ts: 1,
        event: Event::FromAgent {
            id: "t".into(),
            agent: "explorer".into(),
            event: Box::new(user("planted")),
        },
    });
    store.import_session(&whole).unwrap();
    assert!(
        !r.events("p")
            .unwrap()
            .iter()
            .any(|e| matches!(e.event, Event::FromAgent { .. }))
    );
    // (Imported just now: the newest.)
    assert_eq!(ids(r.list_sessions(None, 10).unwrap()), ["p", "other"]);
    assert_eq!(ids(r.children("p").unwrap()), ["c"]);
    // Exported alone, a subagent's session is a session of its own.
    store.delete_session("p").unwrap();
    store.import_session(&export).unwrap();
    assert_eq!(ids(r.list_sessions(None, 10).unwrap()), ["c", "other"]);
}

#[test]
fn a_subagents_session_recorded_before_agents_were_kept_learns_its_agent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    open::migrations().to_version(&mut conn, 5).unwrap();
    let mut payload = serde_json::to_value(opened("c", "/ws")).unwrap();
    payload["meta"]["subagent"] =
        serde_json::json!({"parent": "p", "agent": "reviewer", "prompt": "Review."});
    conn.execute_batch(&format!(
        "INSERT INTO sessions (id, workspace, gear, provider, model, created_at, updated_at,
                               parent) VALUES ('c', '/ws', 'vibe', 'fake', 'm', 1, 1, 'p');
         INSERT INTO sessions (id, workspace, gear, provider, model, created_at, updated_at)
                VALUES ('p', '/ws', 'vibe', 'fake', 'm', 1, 1);
         INSERT INTO events (session_id, seq, ts, kind, payload)
                VALUES ('c', 1, 1, 'session_opened', '{payload}');",
    ))
    .unwrap();
    drop(conn);
    let _store = Store::open(&path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let agents: Vec<(String, Option<String>)> = conn
        .prepare("SELECT id, agent FROM sessions ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        agents,
        [
            ("c".to_string(), Some("reviewer".to_string())),
            ("p".to_string(), None)
        ]
    );
}

#[test]
fn sessions_last_written_in_the_same_millisecond_list_the_newer_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let store = Store::open(&path).unwrap();
    for id in ["older", "newer"] {
        store
            .append_blocking(id, vec![opened(id, "/ws"), user("hello")])
            .unwrap();
    }
    // A fast machine writes both in one millisecond.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("UPDATE sessions SET updated_at = 5", [])
        .unwrap();
    let r = store.reader().unwrap();
    let ids = |v: Vec<SessionSummary>| v.into_iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(ids(r.list_sessions(None, 10).unwrap()), ["newer", "older"]);
    assert_eq!(
        ids(r.list_sessions(Some("/ws"), 10).unwrap()),
        ["newer", "older"]
    );
    assert_eq!(
        r.latest_in_workspace("/ws").unwrap().as_deref(),
        Some("newer")
    );
}
