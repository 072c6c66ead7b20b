use super::*;

#[test]
fn events_are_tagged_with_their_kind() {
    let samples = vec![
        Event::SessionOpened {
            meta: SessionMeta {
                id: "abc".into(),
                workspace: "/w".into(),
                gear: Gear::Plan,
                provider: "demo".into(),
                model: "m".into(),
                created_at: 1,
                subagent: None,
            },
        },
        Event::SessionResumed {
            provider: "p".into(),
            model: "m".into(),
        },
        Event::SessionForked { from: "abc".into() },
        Event::UserMessage {
            text: "hi".into(),
            attachments: vec![],
        },
        Event::GearChanged {
            from: Gear::Vibe,
            to: Gear::Plan,
        },
        Event::ModelChanged {
            provider: "p".into(),
            model: "m".into(),
            route: None,
            routed: false,
        },
        Event::TitleChanged { title: "t".into() },
        Event::TurnStarted { turn: 1 },
        Event::AssistantDelta { text: "x".into() },
        Event::AssistantMessage {
            text: "x".into(),
            interrupted: true,
        },
        Event::Usage {
            input: 1,
            output: 2,
            cached: 0,
            cache_write: 0,
            reasoning: 0,
            cost: Some(0.5),
            request: None,
        },
        Event::TurnFinished {
            reason: FinishReason::Stop,
        },
        Event::Error {
            kind: ErrorKind::Auth,
            message: "set KEY".into(),
        },
        Event::AssistantCheckpoint {
            text: "x".into(),
            reasoning: String::new(),
        },
        Event::ToolCall {
            id: "c".into(),
            name: "read_file".into(),
            arguments: "{}".into(),
        },
        Event::ToolResult {
            id: "c".into(),
            ok: false,
            content: "refused".into(),
            summary: "refused".into(),
            duration_ms: 3,
        },
        Event::ToolHeld {
            id: "c".into(),
            ok: true,
            content: "[exit code 0]".into(),
            summary: "$ sed".into(),
            duration_ms: 3,
        },
        Event::CommandApprovalRequested {
            id: "c".into(),
            command: "ls".into(),
            checkpoint: None,
        },
        Event::CommandDecided {
            id: "c".into(),
            command: "ls".into(),
            decision: CommandDecision::Denied {
                reason: Some("no".into()),
            },
        },
        Event::FileChanged {
            id: "c".into(),
            change: FileChange::new("a".into(), None, Some("b".into())),
        },
        Event::ChangeProposed {
            id: "c".into(),
            change: FileChange::new("a".into(), Some("x".into()), Some("y".into())),
            context: 3,
            checkpoint: None,
        },
        Event::HunkDecided {
            change: "c".into(),
            hunk: "h".into(),
            verdict: Verdict::Edit { text: "z".into() },
        },
        Event::HunkDecided {
            change: "c".into(),
            hunk: "h".into(),
            verdict: Verdict::Reject,
        },
        Event::HunkCommented {
            change: "c".into(),
            hunk: "h".into(),
            comment: "why?".into(),
        },
        Event::ChangeApplied {
            id: "c".into(),
            accepted: vec!["h".into()],
            rejected: vec![],
            written: Some(FileChange::new(
                "a".into(),
                Some("x".into()),
                Some("z".into()),
            )),
        },
        Event::ChangeConflicted {
            id: "c".into(),
            on_disk: Some("w".into()),
        },
        Event::ChangeWithdrawn {
            id: "c".into(),
            reason: "conflict".into(),
        },
        Event::ChangeUndone { id: "c".into() },
        Event::ItemDropped {
            item: 3,
            dropped: true,
        },
        Event::ItemPinned {
            item: 4,
            pinned: true,
        },
        Event::Compacted {
            through: 5,
            summary: "s".into(),
            before: 10,
            after: 2,
        },
        Event::ContextAccounted {
            report: ContextReport::default(),
        },
        Event::PlanProposed {
            version: 1,
            steps: vec![StepSpec {
                title: "t".into(),
                detail: "d".into(),
                files: vec!["a.rs".into()],
                acceptance: None,
                children: vec![],
                independent: false,
            }],
        },
        Event::PlanEdited {
            edit: PlanEdit::Move {
                step: "s1".into(),
                up: true,
            },
        },
        Event::PlanEdited {
            edit: PlanEdit::ApproveAll,
        },
        Event::StepStatusChanged {
            step: "s1".into(),
            status: StepStatus::AwaitingReview,
            note: Some("done".into()),
        },
        Event::PlanCompleted { done: 2, total: 3 },
        Event::PipelineStarted {
            pipeline: Pipeline {
                name: "p".into(),
                description: String::new(),
                stages: vec![],
            },
            skills: std::collections::BTreeMap::new(),
            request: "r".into(),
        },
        Event::Stage {
            event: StageEvent::SentBack {
                stage: "design".into(),
                comments: "c".into(),
            },
        },
        Event::Stage {
            event: StageEvent::Answered {
                stage: "design".into(),
            },
        },
        Event::Shipped {
            commit: "abc".into(),
            message: "m".into(),
        },
        Event::Notice {
            level: NoticeLevel::Warning,
            text: "w".into(),
        },
        Event::MemoryTurn {
            skill: "init".into(),
        },
        Event::ShellRan {
            id: "sh1".into(),
            command: "ls".into(),
            output: "a\n".into(),
            exit_code: Some(0),
            duration_ms: 3,
        },
        Event::HookRan {
            run: hook::HookRun {
                event: hook::HookEvent::PreToolUse,
                command: "guard.sh".into(),
                source: "config".into(),
                subject: Some("write_file".into()),
                duration_ms: 12,
                workspace: true,
                confined: true,
                wrote: vec!["src/a.rs".into()],
                withheld: vec![".claude/settings.json (agent settings)".into()],
                outcome: hook::HookOutcome::Blocked {
                    reason: "no".into(),
                },
            },
        },
        Event::HookRan {
            run: hook::HookRun {
                event: hook::HookEvent::Stop,
                command: "sleep 9".into(),
                source: "config".into(),
                subject: None,
                duration_ms: 1000,
                workspace: false,
                confined: false,
                wrote: Vec::new(),
                withheld: Vec::new(),
                outcome: hook::HookOutcome::TimedOut { after_secs: 1 },
            },
        },
        Event::Instructed {
            text: "Run step 1".into(),
            category: Some(context::Category::Skills),
        },
        Event::FilesSeen {
            files: [("a.rs".to_string(), None)].into(),
            edits: [("b.rs".to_string(), "@@ -1 +1 @@\n-a\n+b\n".to_string())].into(),
        },
        Event::Refused {
            message: "no".into(),
            hint: Some(Hint::ApproveSteps),
        },
        Event::RunningAll { on: true },
        Event::SandboxStatus {
            mode: "workspace-write".into(),
            network: false,
            enforced: false,
            problem: Some("no landlock".into()),
        },
        Event::ChangeProposed {
            id: "c".into(),
            change: FileChange::new(".env".into(), None, Some("K=v".into())),
            context: 3,
            checkpoint: Some("secrets".into()),
        },
    ];
    for event in samples {
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], event.kind(), "{json}");
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }
}

#[test]
fn gear_cycles_through_all_three() {
    assert_eq!(Gear::Vibe.next(), Gear::Plan);
    assert_eq!(Gear::Plan.next(), Gear::Pipeline);
    assert_eq!(Gear::Pipeline.next(), Gear::Vibe);
    assert_eq!("plan".parse::<Gear>(), Ok(Gear::Plan));
    assert!(
        "fast"
            .parse::<Gear>()
            .unwrap_err()
            .contains("vibe, plan or pipeline")
    );
}

#[test]
fn ops_round_trip() {
    let op = Op::Submit {
        text: "two\nlines".into(),
        attachments: vec![],
    };
    let json = serde_json::to_string(&op).unwrap();
    assert_eq!(json, r#"{"op":"submit","text":"two\nlines"}"#);
    assert_eq!(serde_json::from_str::<Op>(&json).unwrap(), op);
    assert!(!Event::AssistantDelta { text: "a".into() }.is_persisted());
}
