//! The session store under stress, with real processes and real files: two gearshift
//! processes writing one database at once, and a process killed with SIGKILL mid-reply.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use gearshift::core::SessionState;
use gearshift::protocol::{Event, FinishReason};
use gearshift::provider::ChatMessage;
use gearshift::store::Reader;

fn gearshift(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gearshift"));
    cmd.arg("--home")
        .arg(home)
        .arg("--workspace")
        .arg(home)
        .args(args);
    for var in [
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "OPENAI_BASE_URL",
        "GEARSHIFT_PROVIDER",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn integrity_ok(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let result: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(result, "ok");
}

#[test]
fn two_processes_writing_one_database_lose_nothing() {
    let home = tempfile::tempdir().unwrap();
    const ROUNDS: usize = 60;
    let turn = "[[turns]]\ntool_calls = [{ name = \"list_dir\", arguments = {} }]\n\n";
    let script = format!("{}[[turns]]\ntext = \"all done\"\n", turn.repeat(ROUNDS));
    std::fs::write(home.path().join("script.toml"), script).unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "provider = \"s\"\n[providers.s]\nkind = \"script\"\nmodel = \"s\"\nscript = \"script.toml\"\n\
         [agent]\nmax_tool_rounds = 100\n",
    )
    .unwrap();
    let children: Vec<_> = (0..2)
        .map(|i| {
            gearshift(home.path(), &["exec", &format!("process {i}")])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(!stderr.contains("locked"), "{stderr}");
    }
    let db = home.path().join("gearshift.db");
    integrity_ok(&db);
    let reader = Reader::open(&db).unwrap();
    let sessions = reader.list_sessions(None, 10).unwrap();
    assert_eq!(sessions.len(), 2);
    for s in sessions {
        let events: Vec<Event> = reader
            .events(&s.id)
            .unwrap()
            .into_iter()
            .map(|e| e.event)
            .collect();
        let count = |kind: &str| events.iter().filter(|e| e.kind() == kind).count();
        assert_eq!(count("tool_result"), ROUNDS, "{}", s.title);
        assert_eq!(count("assistant_message"), ROUNDS + 1);
        assert_eq!(
            events.last(),
            Some(&Event::TurnFinished {
                reason: FinishReason::Stop
            })
        );
    }
}

#[test]
fn sigkill_mid_reply_keeps_the_text_saved_two_seconds_ago_and_a_sound_database() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let chunk = |w: &str| {
        format!(r#"{{"choices":[{{"index":0,"delta":{{"content":"{w}"}},"finish_reason":null}}]}}"#)
    };
    // Two words at once, then a long silence: the checkpoint must not wait for more text.
    let server = rt.block_on(support::stall_server::start(
        vec![chunk("alpha "), chunk("beta ")],
        Duration::from_millis(100),
        Duration::from_secs(60),
    ));
    let home = tempfile::tempdir().unwrap();
    let base = format!("{}/v1", server.url);
    let mut child = gearshift(home.path(), &["exec", "tell me a long story"])
        .env("OPENAI_API_KEY", "sk-test")
        .env("OPENAI_BASE_URL", &base)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(2800));
    let status = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let _ = child.wait();

    let db = home.path().join("gearshift.db");
    integrity_ok(&db);
    let (_, events) = support::newest_session(&db);
    assert!(events.contains(&Event::AssistantCheckpoint {
        text: "alpha beta ".into(),
        reasoning: String::new(),
    }));
    // A resume sees the saved reply.
    let state = SessionState::fold(&events);
    assert_eq!(
        state.conversation.last().map(|m| &**m),
        Some(&ChatMessage::Assistant {
            text: "alpha beta ".into(),
            tool_calls: vec![],
            reasoning: None,
        })
    );
    drop(rt);
}
