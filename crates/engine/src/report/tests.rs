//! The report from sessions stored in a real SQLite file: what an export and its import show
//! people.

use super::{change_audit, markdown};
use crate::protocol::{ErrorKind, Event, FinishReason, Gear, SessionMeta};
use crate::store::{SessionExport, SessionSummary, Store, StoreError, now_ms};

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
fn export_then_import_is_equal_event_for_event() {
    use crate::protocol::{CommandDecision, FileChange, Verdict};
    let proposal = FileChange::new("b.txt".into(), Some("old\n".into()), Some("new\n".into()));
    let hunk = crate::changes::hunks::hunks("old\n", "new\n", 3)[0]
        .id
        .clone();
    let dir = tempfile::tempdir().unwrap();
    let a = Store::open(&dir.path().join("a.db")).unwrap();
    // Every kind of persisted event.
    let all = vec![
        opened("s1", "/w"),
        Event::SessionForked { from: "x".into() },
        Event::SessionResumed {
            provider: "p".into(),
            model: "m".into(),
        },
        user("hello"),
        Event::GearChanged {
            from: Gear::Vibe,
            to: Gear::Plan,
        },
        Event::ModelChanged {
            provider: "p2".into(),
            model: "m2".into(),
            route: None,
            routed: false,
        },
        Event::TitleChanged { title: "T".into() },
        Event::TurnStarted { turn: 1 },
        Event::AssistantCheckpoint {
            text: "par".into(),
            reasoning: String::new(),
        },
        Event::AssistantMessage {
            text: "partial".into(),
            interrupted: false,
        },
        Event::ToolCall {
            id: "c".into(),
            name: "write_file".into(),
            arguments: "{}".into(),
        },
        Event::CommandApprovalRequested {
            id: "c".into(),
            command: "ls".into(),
            checkpoint: None,
        },
        Event::CommandDecided {
            id: "c".into(),
            command: "ls".into(),
            decision: CommandDecision::Denied { reason: None },
        },
        Event::FileChanged {
            id: "c".into(),
            change: FileChange::new("a.txt".into(), Some("x".into()), Some("y".into())),
        },
        Event::ToolResult {
            id: "c".into(),
            ok: true,
            content: "done".into(),
            summary: "done".into(),
            duration_ms: 5,
        },
        Event::ChangeProposed {
            id: "c2".into(),
            change: proposal,
            context: 3,
            checkpoint: None,
        },
        Event::HunkDecided {
            change: "c2".into(),
            hunk: hunk.clone(),
            verdict: Verdict::Edit {
                text: "edited\n".into(),
            },
        },
        Event::HunkCommented {
            change: "c2".into(),
            hunk: hunk.clone(),
            comment: "shorter".into(),
        },
        Event::ChangeConflicted {
            id: "c2".into(),
            on_disk: None,
        },
        Event::ChangeApplied {
            id: "c2".into(),
            accepted: vec![hunk],
            rejected: vec![],
            written: Some(FileChange::new(
                "b.txt".into(),
                Some("old\n".into()),
                Some("edited\n".into()),
            )),
        },
        Event::ChangeUndone { id: "c2".into() },
        Event::ChangeWithdrawn {
            id: "c3".into(),
            reason: "sent back".into(),
        },
        Event::Usage {
            input: 10,
            output: 2,
            cached: 1,
            cache_write: 0,
            reasoning: 0,
            cost: Some(0.01),
            request: None,
        },
        Event::Error {
            kind: ErrorKind::Tool,
            message: "e".into(),
        },
        Event::TurnFinished {
            reason: FinishReason::Stop,
        },
    ];
    a.append_blocking("s1", all.clone()).unwrap();
    let export = a.reader().unwrap().export("s1").unwrap();
    let json = serde_json::to_string(&export).unwrap();

    let b = Store::open(&dir.path().join("b.db")).unwrap();
    let back: SessionExport = serde_json::from_str(&json).unwrap();
    assert_eq!(b.import_session(&back).unwrap(), "s1");
    let again = b.reader().unwrap().export("s1").unwrap();
    // The same seqs, times and events — then the mark that they were imported, which is what
    // makes them history and not authority.
    let (marker, events) = again.events.split_last().unwrap();
    assert_eq!(
        events,
        export.events.as_slice(),
        "same seqs, times and events"
    );
    assert!(matches!(marker.event, Event::Imported { .. }));
    assert_eq!(
        SessionSummary {
            imported: false,
            updated_at: export.session.updated_at,
            ..again.session.clone()
        },
        export.session,
        "same summary, folded from the events"
    );
    assert!(again.session.imported);
    // The audit names each change's file and decision; the Markdown shows the proposal.
    let audit = change_audit(&again);
    assert!(
        audit.contains("a.txt") && audit.contains("applied at once"),
        "{audit}"
    );
    assert!(
        audit.contains("b.txt") && audit.contains("applied, then undone"),
        "{audit}"
    );
    let md = markdown(&again);
    assert!(md.contains("```diff") && md.contains("+new"), "{md}");
    assert!(
        md.contains("accepted as edited") && md.contains("comment on hunk"),
        "{md}"
    );
    let kinds: std::collections::BTreeSet<&str> = events.iter().map(|e| e.event.kind()).collect();
    assert_eq!(kinds.len(), all.len(), "every event kind made the trip");
    assert!(matches!(
        b.import_session(&back),
        Err(StoreError::AlreadyExists(_))
    ));

    let md = markdown(&again);
    assert!(md.starts_with("# T\n"));
    assert!(md.contains("## You"));
    assert!(md.contains("<details><summary>✓ <code>write_file</code>"));
    assert!(md.contains("`$ ls` — denied"));
    assert!(md.contains("changed `a.txt`"));
}

#[test]
fn an_export_names_plan_steps_by_number_never_by_internal_id() {
    use crate::plan::{PlanEdit, StepSpec, StepStatus};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("a.db")).unwrap();
    let spec = |t: &str| StepSpec {
        title: t.into(),
        detail: String::new(),
        files: vec![],
        acceptance: None,
        children: vec![],
        independent: false,
    };
    let proposed = Event::PlanProposed {
        version: 1,
        steps: vec![spec("parse"), spec("print"), spec("test")],
    };
    let mut plan = None;
    crate::plan::fold(&mut plan, &proposed);
    let ids: Vec<String> = plan.unwrap().walk().map(|(_, _, s)| s.id.clone()).collect();
    let edit = |edit| Event::PlanEdited { edit };
    store
        .append_blocking(
            "session-x",
            vec![
                opened("session-x", "/w"),
                proposed,
                edit(PlanEdit::Approve {
                    step: ids[0].clone(),
                }),
                edit(PlanEdit::Move {
                    step: ids[2].clone(),
                    up: true,
                }),
                edit(PlanEdit::Delete {
                    step: ids[1].clone(),
                }),
                edit(PlanEdit::Comment {
                    step: ids[2].clone(),
                    text: "use insta".into(),
                }),
                Event::StepStatusChanged {
                    step: ids[0].clone(),
                    status: StepStatus::Running,
                    note: None,
                },
            ],
        )
        .unwrap();
    let md = markdown(&store.reader().unwrap().export("session-x").unwrap());
    assert!(md.contains("approved step 1 \"parse\""), "{md}");
    assert!(md.contains("moved step 3 \"test\" up (now 2)"), "{md}");
    assert!(md.contains("deleted step 3 \"print\""), "{md}");
    assert!(md.contains("comment on step 2 \"test\": use insta"), "{md}");
    assert!(md.contains("> step 1 running"), "{md}");
    for id in &ids {
        assert!(!md.contains(id.as_str()), "internal id {id} in:\n{md}");
    }
}

#[test]
fn the_change_audit_never_runs_a_long_path_into_its_decision() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("g.db")).unwrap();
    let long = "src/components/navigation/sidebar_item.tsx";
    store
        .append_blocking(
            "s1",
            vec![
                opened("s1", "/w"),
                Event::FileChanged {
                    id: "c1".into(),
                    change: crate::changes::FileChange::new(long.into(), None, Some("x\n".into())),
                },
            ],
        )
        .unwrap();
    let audit = change_audit(&store.reader().unwrap().export("s1").unwrap());
    let line = audit.lines().find(|l| l.contains(long)).unwrap();
    assert!(
        line.contains(&format!("{long}  applied at once")),
        "{audit}"
    );
    let header = audit.lines().next().unwrap();
    assert_eq!(header.find("DECISION"), line.find("applied"), "{audit}");
}
