//! Snapshots of the whole screen on ratatui's TestBackend.

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::draw;
use crate::app::App;
use crate::fixtures::{app, app_with};
use crate::protocol::{Event, Gear};

fn render(app: &mut App) -> Terminal<TestBackend> {
    app.prepare();
    let mut terminal = Terminal::new(TestBackend::new(app.size.width, app.size.height)).unwrap();
    terminal.draw(|f| draw(app, f)).unwrap();
    terminal
}

fn press(app: &mut App, code: KeyCode, mods: KeyModifiers) {
    app.on_terminal(
        TermEvent::Key(KeyEvent::new(code, mods)),
        std::time::Instant::now(),
    );
}

fn conversation() -> Vec<Event> {
    vec![
        Event::UserMessage {
            text: "Add a --json flag to `sessions list`".into(),
            attachments: vec![],
        },
        Event::AssistantMessage {
            text: "Done. The flag prints one JSON array; the table stays the default.".into(),
            interrupted: false,
        },
        Event::UserMessage {
            text: "Thanks.\nNow the tests, please.".into(),
            attachments: vec![],
        },
    ]
}

#[test]
fn whole_screen_wide() {
    let mut a = app_with(conversation(), 120, 40);
    insta::assert_snapshot!(render(&mut a).backend());
}

#[test]
fn whole_screen_narrow_uses_tabs() {
    let mut a = app_with(conversation(), 80, 24);
    insta::assert_snapshot!("tabs_chat", render(&mut a).backend());
    press(&mut a, KeyCode::Char('4'), KeyModifiers::ALT);
    insta::assert_snapshot!("tabs_context", render(&mut a).backend());
}

#[test]
fn too_small_notice() {
    let mut a = app(39, 11);
    insta::assert_snapshot!(render(&mut a).backend());
    // Degenerate sizes draw without panicking.
    for (w, h) in [(0, 0), (1, 1), (40, 12), (100, 12)] {
        let mut a = app(w, h);
        render(&mut a);
    }
}

#[test]
fn help_overlay() {
    let mut a = app(120, 40);
    press(&mut a, KeyCode::F(1), KeyModifiers::NONE);
    insta::assert_snapshot!(render(&mut a).backend());
}

#[test]
fn the_slash_popup_and_the_palette_at_80_columns() {
    let mut a = app(80, 24);
    for c in "/co".chars() {
        press(&mut a, KeyCode::Char(c), KeyModifiers::NONE);
    }
    press(&mut a, KeyCode::Down, KeyModifiers::NONE);
    insta::assert_snapshot!("slash_popup_80x24", render(&mut a).backend());
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    press(&mut a, KeyCode::Char('p'), KeyModifiers::CONTROL);
    for c in "undo".chars() {
        press(&mut a, KeyCode::Char(c), KeyModifiers::NONE);
    }
    insta::assert_snapshot!("palette_80x24", render(&mut a).backend());
}

#[test]
fn zoomed_plan_pane() {
    let mut a = app(120, 30);
    press(&mut a, KeyCode::Char('2'), KeyModifiers::ALT);
    press(&mut a, KeyCode::Char('z'), KeyModifiers::NONE);
    insta::assert_snapshot!(render(&mut a).backend());
}

#[test]
fn status_bar_per_gear_in_its_colour() {
    for gear in Gear::ALL {
        let mut a = app_with(conversation(), 120, 40);
        a.on_core(&Event::GearChanged {
            from: Gear::Vibe,
            to: gear,
        });
        let terminal = render(&mut a);
        let buffer = terminal.backend().buffer();
        let status: String = (0..120)
            .map(|x| buffer[(x, 39)].symbol().to_string())
            .collect();
        insta::assert_snapshot!(format!("status_{gear}"), status);
        // The gear badge is drawn in the theme's colour for that gear.
        let badge = &buffer[(1, 39)];
        assert_eq!(badge.bg, a.theme.gear(gear).bg.unwrap(), "{gear}");
    }
}

#[test]
fn the_status_bar_names_the_model_switched_to_from_the_demo() {
    let mut a = app_with(conversation(), 120, 40);
    let status = |a: &mut App| -> String {
        let terminal = render(a);
        let buffer = terminal.backend().buffer();
        (0..120)
            .map(|x| buffer[(x, 39)].symbol().to_string())
            .collect()
    };
    assert!(status(&mut a).contains(" DEMO "), "{}", status(&mut a));
    a.on_core(&Event::ModelChanged {
        provider: "lmstudio".into(),
        model: "qwen/qwen3-coder-30b".into(),
        route: None,
        routed: false,
    });
    let bar = status(&mut a);
    assert!(!bar.contains("DEMO"), "{bar}");
    assert!(bar.contains("lmstudio/qwen/qwen3-coder-30b"), "{bar}");
}

#[test]
fn approval_modal_and_tool_cells() {
    let mut a = app_with(
        vec![
            Event::UserMessage {
                text: "run the tests".into(),
                attachments: vec![],
            },
            Event::AssistantMessage {
                text: "Running **them** now.".into(),
                interrupted: false,
            },
            Event::ToolCall {
                id: "c1".into(),
                name: "read_file".into(),
                arguments: "{\"path\":\"Cargo.toml\"}".into(),
            },
            Event::ToolResult {
                id: "c1".into(),
                ok: true,
                content: "[package]".into(),
                summary: "Cargo.toml: lines 1-1 of 1".into(),
                duration_ms: 2,
            },
            Event::ToolCall {
                id: "c2".into(),
                name: "run_command".into(),
                arguments: "{\"command\":\"cargo test --all\"}".into(),
            },
        ],
        100,
        30,
    );
    a.on_core(&Event::CommandApprovalRequested {
        id: "c2".into(),
        command: "cargo test --all".into(),
        checkpoint: None,
    });
    insta::assert_snapshot!(render(&mut a).backend());
}

#[test]
fn approval_modal_with_a_long_compound_command() {
    let mut a = app(80, 24);
    a.on_core(&Event::SandboxStatus {
        mode: "workspace-write".into(),
        network: false,
        enforced: true,
        problem: None,
    });
    let command = format!(
        "cargo test {}; rm -rf ./important_dir",
        "--features extra ".repeat(60)
    );
    a.on_core(&Event::CommandApprovalRequested {
        id: "c9".into(),
        command,
        checkpoint: None,
    });
    insta::assert_snapshot!("approval_long_top", render(&mut a).backend());
    press(&mut a, KeyCode::PageDown, KeyModifiers::NONE);
    press(&mut a, KeyCode::PageDown, KeyModifiers::NONE);
    let backend = render(&mut a).backend().clone();
    insta::assert_snapshot!("approval_long_end", backend);
    // The end, with the part after `;` in the error colour.
    let buffer = backend.buffer();
    let row = (0..24)
        .find(|&y| {
            (0..80)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .contains("./imp")
        })
        .expect("the end of the command is on screen");
    let x = (0..79)
        .find(|&x| buffer[(x, row)].symbol() == "r" && buffer[(x + 1, row)].symbol() == "m")
        .unwrap();
    assert_eq!(buffer[(x, row)].style().fg, a.theme.styles.error.fg);
}

#[test]
fn session_browser_with_search_hits() {
    let mut a = app(120, 30);
    press(&mut a, KeyCode::Char('s'), KeyModifiers::CONTROL);
    let hit = |id: &str, title: &str, snippet: &str| crate::browser::Row {
        id: id.into(),
        title: title.into(),
        workspace: "/work/project".into(),
        detail: vec!["assistant message".into()],
        // Out of range: rendered as no time, so the snapshot does not depend on the time zone.
        updated_at: i64::MAX,
        snippet: Some(snippet.into()),
        messages: 1,
    };
    if let Some(crate::app::Overlay::Sessions(b)) = a.overlays.last_mut() {
        b.query = "tokenizer".into();
    }
    let effects = a.on_browser_rows(
        1,
        vec![
            hit(
                "s1",
                "fix the tokenizer",
                "the \u{2}tokenizer\u{3} now keeps offsets",
            ),
            hit(
                "s2",
                "lexer rewrite",
                "split the \u{2}tokenizer\u{3} from the lexer",
            ),
        ],
    );
    assert_eq!(effects.len(), 1);
    if let Some(crate::app::Overlay::Sessions(b)) = a.overlays.last_mut() {
        b.previewed(
            1,
            vec!["you: fix the tokenizer".into(), "model: done".into()],
        );
    }
    insta::assert_snapshot!(render(&mut a).backend());
}

#[test]
fn session_rows_and_the_browser_footer_drop_whole_parts_at_120x40_and_80x24() {
    let summary = |id: &str, imported| crate::library::SessionSummary {
        id: id.into(),
        title: "refactor the billing module's discount rules".into(),
        workspace: "/work/project".into(),
        gear: "pipeline".into(),
        provider: "anthropic".into(),
        model: "claude-sonnet-4-5-20250929".into(),
        created_at: 0,
        updated_at: i64::MAX,
        input_tokens: 40_000,
        output_tokens: 420,
        cached_tokens: 0,
        cost: Some(1.25),
        message_count: 12,
        status: "ended".into(),
        imported,
    };
    for (w, h) in [(120, 40), (80, 24)] {
        let mut a = app(w, h);
        press(&mut a, KeyCode::Char('s'), KeyModifiers::CONTROL);
        let rows = [summary("s1", false), summary("s2", true)];
        a.on_browser_rows(
            1,
            rows.iter().map(crate::browser::Row::from_summary).collect(),
        );
        let terminal = render(&mut a);
        let buffer = terminal.backend().buffer();
        let lines: Vec<String> = (0..h)
            .map(|y| (0..w).map(|x| buffer[(x, y)].symbol()).collect())
            .collect();
        let row = lines
            .iter()
            .find(|l| l.contains("tok"))
            .expect("a row's details");
        assert!(row.contains("$1.25 · 40.4k tok"), "{row}");
        assert!(!row.contains('…'), "never cut: {row}");
        assert!(
            lines.iter().any(|l| l.contains("imported · $1.25")),
            "the label kept"
        );
        let footer = lines
            .iter()
            .rev()
            .find(|l| l.contains("close"))
            .expect("a footer");
        assert!(footer.contains("Esc close"), "{w}x{h}: {footer}");
        assert!(!footer.contains('…'), "{footer}");
        insta::assert_snapshot!(format!("browser_rows_{w}x{h}"), terminal.backend());
    }
}

#[test]
fn every_key_is_listed_in_the_help_overlay() {
    use crate::keymap::Action;
    let mut seen = String::new();
    // The composer, the transcript, the diff and the context pane show different pane
    // sections; together, everything.
    for tab_presses in [0, 1, 2, 3, 4] {
        let mut a = app(160, 120);
        for _ in 0..tab_presses {
            press(&mut a, KeyCode::Tab, KeyModifiers::NONE);
        }
        press(&mut a, KeyCode::F(1), KeyModifiers::NONE);
        let terminal = render(&mut a);
        let buffer = terminal.backend().buffer();
        for y in 0..buffer.area.height {
            for x in 0..buffer.area.width {
                seen.push_str(buffer[(x, y)].symbol());
            }
            seen.push('\n');
        }
    }
    for action in Action::ALL {
        // Descriptions may wrap; their first words are enough to find them.
        let start: String = action.description().chars().take(24).collect();
        assert!(
            seen.contains(&start),
            "help does not list {action:?} ({start})"
        );
    }
}

fn review_history() -> Vec<Event> {
    use crate::changes::FileChange;
    use crate::protocol::Verdict;
    let before = "use std::io;\n\nfn total(a: i32, b: i32) -> i32 {\n    a + b\n}\n\nfn main() {\n    println!(\"{}\", total(1, 2));\n}\n";
    let after = "use std::io;\n\nfn sum(a: i32, b: i32) -> i32 {\n    a + b\n}\n\nfn main() {\n    println!(\"{}\", sum(1, 2));\n    println!(\"done\");\n}\n";
    let change = FileChange::new(
        "src/main.rs".into(),
        Some(before.into()),
        Some(after.into()),
    );
    let mut log = crate::changes::review::ChangeLog::default();
    let proposed = Event::ChangeProposed {
        id: "call_1".into(),
        change,
        context: 1,
        checkpoint: None,
    };
    log.apply(&proposed);
    let ids: Vec<String> = log.entries[0].hunks.iter().map(|h| h.id.clone()).collect();
    vec![
        Event::FileChanged {
            id: "call_0".into(),
            change: FileChange::new("notes.md".into(), None, Some("# Notes\r\nfirst".into())),
        },
        proposed,
        Event::HunkDecided {
            change: "call_1".into(),
            hunk: ids[0].clone(),
            verdict: Verdict::Accept,
        },
        Event::HunkCommented {
            change: "call_1".into(),
            hunk: ids[0].clone(),
            comment: "sum reads better".into(),
        },
    ]
}

#[test]
fn diff_pane_unified_and_side_by_side() {
    let mut a = app_with(review_history(), 130, 30);
    press(&mut a, KeyCode::Char('3'), KeyModifiers::ALT);
    press(&mut a, KeyCode::Char('z'), KeyModifiers::NONE);
    insta::assert_snapshot!("diff_unified", render(&mut a).backend());
    press(&mut a, KeyCode::Char('s'), KeyModifiers::NONE);
    insta::assert_snapshot!("diff_split", render(&mut a).backend());
    // The applied file of the vibe gear, with its CRLF note and missing final newline.
    press(&mut a, KeyCode::Char('s'), KeyModifiers::NONE);
    press(&mut a, KeyCode::Char('['), KeyModifiers::NONE);
    insta::assert_snapshot!("diff_applied", render(&mut a).backend());
}

#[test]
fn diff_pane_in_the_four_pane_layout_with_a_comment_being_typed() {
    let mut a = app_with(review_history(), 120, 40);
    press(&mut a, KeyCode::Char('3'), KeyModifiers::ALT);
    press(&mut a, KeyCode::Char('n'), KeyModifiers::NONE);
    press(&mut a, KeyCode::Char('c'), KeyModifiers::NONE);
    for c in "why?".chars() {
        press(&mut a, KeyCode::Char(c), KeyModifiers::NONE);
    }
    insta::assert_snapshot!(render(&mut a).backend());
}

#[test]
fn context_pane_at_several_fills_and_sizes() {
    use crate::contextview::tests::report;
    for (name, percent, width, height) in [
        ("context_empty", 0, 120, 40),
        ("context_half_zoomed", 50, 100, 30),
        ("context_99", 99, 120, 40),
    ] {
        let mut a = app(width, height);
        let mut r = report(percent);
        if percent == 0 {
            r.items.truncate(3);
        }
        a.on_core(&Event::ContextAccounted { report: r });
        press(&mut a, KeyCode::Char('4'), KeyModifiers::ALT);
        if width == 100 {
            press(&mut a, KeyCode::Char('z'), KeyModifiers::NONE);
            press(&mut a, KeyCode::Char('j'), KeyModifiers::NONE);
        }
        insta::assert_snapshot!(name, render(&mut a).backend());
    }
    let mut a = app(100, 30);
    let mut r = report(60);
    r.items.push(crate::context::ContextItem {
        id: crate::context::ItemId::Message(40),
        category: crate::context::Category::ToolResults,
        tokens: 8_000,
        label: "result of run_command cargo test".into(),
        pinned: false,
        dropped: false,
    });
    r.items[3].pinned = true;
    a.on_core(&Event::ContextAccounted { report: r });
    press(&mut a, KeyCode::Char('4'), KeyModifiers::ALT);
    press(&mut a, KeyCode::Char('z'), KeyModifiers::NONE);
    insta::assert_snapshot!("context_over", render(&mut a).backend());
}

#[test]
fn plan_pane_with_statuses_preview_and_narrow_width() {
    use crate::plan::{PlanEdit, StepStatus};
    let history = vec![
        crate::planview::tests::proposed(),
        Event::PlanEdited {
            edit: PlanEdit::Approve { step: "s1".into() },
        },
        Event::PlanEdited {
            edit: PlanEdit::Reject { step: "s4".into() },
        },
        Event::PlanEdited {
            edit: PlanEdit::Comment {
                step: "s5".into(),
                text: "keep the old format".into(),
            },
        },
        Event::StepStatusChanged {
            step: "s2".into(),
            status: StepStatus::Running,
            note: None,
        },
        Event::StepStatusChanged {
            step: "s2".into(),
            status: StepStatus::AwaitingReview,
            note: Some("the lexer reads every token".into()),
        },
    ];
    let mut a = app_with(history.clone(), 120, 40);
    press(&mut a, KeyCode::Char('2'), KeyModifiers::ALT);
    insta::assert_snapshot!("plan_four_panes", render(&mut a).backend());
    // A commented step shows its comment without zooming, at 120×40.
    let mut b = app_with(history.clone(), 120, 40);
    b.plan.selected = Some("s5".into());
    let screen = format!("{:?}", render(&mut b).backend());
    assert!(screen.contains("┆ keep the old format"), "{screen}");
    press(&mut a, KeyCode::Char('z'), KeyModifiers::NONE);
    press(&mut a, KeyCode::Char('j'), KeyModifiers::NONE);
    insta::assert_snapshot!("plan_zoomed_preview", render(&mut a).backend());
    let mut a = app_with(history, 60, 20);
    press(&mut a, KeyCode::Char('2'), KeyModifiers::ALT);
    // The running step cannot be edited; the next one can.
    press(&mut a, KeyCode::Char('e'), KeyModifiers::NONE);
    assert!(
        a.note
            .as_deref()
            .unwrap_or("")
            .contains("cannot be changed"),
        "{:?} {:?}",
        a.note,
        a.plan.selected
    );
    press(&mut a, KeyCode::Char('j'), KeyModifiers::NONE);
    press(&mut a, KeyCode::Char('e'), KeyModifiers::NONE);
    insta::assert_snapshot!("plan_narrow_editing", render(&mut a).backend());
}

#[test]
fn pipeline_stage_bar() {
    use crate::pipeline::StageEvent;
    let pipeline = crate::fixtures::engineering();
    let stage = |event| Event::Stage { event };
    let history = vec![
        Event::PipelineStarted {
            pipeline,
            skills: std::collections::BTreeMap::new(),
            request: "add a greeting".into(),
        },
        stage(StageEvent::Started {
            stage: "requirements".into(),
        }),
        stage(StageEvent::AtGate {
            stage: "requirements".into(),
        }),
        stage(StageEvent::GatePassed {
            stage: "requirements".into(),
        }),
        stage(StageEvent::Skipped {
            stage: "design".into(),
        }),
        stage(StageEvent::Started {
            stage: "tasks".into(),
        }),
        // Routing chose the stage's model: the bar names it beside the stage.
        Event::ModelChanged {
            provider: "deepseek".into(),
            model: "deepseek-chat".into(),
            route: Some("tasks".into()),
            routed: true,
        },
        stage(StageEvent::AtGate {
            stage: "tasks".into(),
        }),
    ];
    let mut a = app_with(history, 120, 30);
    press(&mut a, KeyCode::Char('2'), KeyModifiers::ALT);
    press(&mut a, KeyCode::Char('z'), KeyModifiers::NONE);
    let screen = render(&mut a);
    let top: String = (0..120)
        .map(|x| screen.backend().buffer()[(x, 1)].symbol().to_string())
        .collect();
    assert!(top.contains("⏸ tasks (deepseek/deepseek-chat)"), "{top}");
    insta::assert_snapshot!(screen.backend());
    // g passes the stage's gate; b asks for the comments.
    let effects = a.on_terminal(
        TermEvent::Key(KeyEvent::new(KeyCode::Char('g'), KeyModifiers::NONE)),
        std::time::Instant::now(),
    );
    assert_eq!(
        effects,
        vec![crate::app::Effect::Send(crate::protocol::Op::PassGate)]
    );
    press(&mut a, KeyCode::Char('b'), KeyModifiers::NONE);
    for c in "more".chars() {
        press(&mut a, KeyCode::Char(c), KeyModifiers::NONE);
    }
    let effects = a.on_terminal(
        TermEvent::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        std::time::Instant::now(),
    );
    assert_eq!(
        effects,
        vec![crate::app::Effect::Send(crate::protocol::Op::SendBack {
            comments: "more".into()
        })]
    );
}

#[test]
fn the_pipeline_gear_before_its_first_prompt_shows_the_pipeline() {
    let mut a = app(120, 40);
    a.on_core(&Event::GearChanged {
        from: Gear::Vibe,
        to: Gear::Pipeline,
    });
    a.on_core(&Event::PipelinePreview {
        pipeline: crate::fixtures::engineering(),
    });
    let screen = format!("{:?}", render(&mut a).backend());
    for stage in crate::fixtures::STAGES {
        assert!(screen.contains(stage), "{stage} missing:\n{screen}");
    }
    assert!(!screen.contains("In the plan gear"), "{screen}");
    insta::assert_snapshot!("pipeline_preview", render(&mut a).backend());
}

#[test]
fn every_stage_shows_in_a_narrow_pane_and_the_gate_on_the_composer() {
    use crate::pipeline::StageEvent;
    let history = vec![
        Event::PipelineStarted {
            pipeline: crate::fixtures::engineering(),
            skills: std::collections::BTreeMap::new(),
            request: "add a greeting".into(),
        },
        Event::Stage {
            event: StageEvent::Started {
                stage: "requirements".into(),
            },
        },
        Event::Stage {
            event: StageEvent::AtGate {
                stage: "requirements".into(),
            },
        },
    ];
    for (w, h) in [(120, 40), (80, 24)] {
        let mut a = app_with(history.clone(), w, h);
        press(&mut a, KeyCode::Char('2'), KeyModifiers::ALT);
        let screen = format!("{:?}", render(&mut a).backend());
        for stage in crate::fixtures::STAGES {
            assert!(
                screen.contains(stage),
                "{stage} missing at {w}x{h}:\n{screen}"
            );
        }
        // Back in the composer, the waiting gate and its keys are on its edge.
        press(&mut a, KeyCode::Char('1'), KeyModifiers::ALT);
        let screen = format!("{:?}", render(&mut a).backend());
        assert!(
            screen.contains("Stage requirements waits: Alt+G pass"),
            "{w}x{h}:\n{screen}"
        );
        insta::assert_snapshot!(format!("stage_gate_{w}x{h}"), render(&mut a).backend());
    }
}

#[test]
fn the_help_wraps_a_long_description_under_itself() {
    let mut a = app(80, 40);
    press(&mut a, KeyCode::F(1), KeyModifiers::NONE);
    let backend = render(&mut a);
    let rows: Vec<String> = format!("{:?}", backend.backend())
        .lines()
        .map(str::to_string)
        .collect();
    let first = rows
        .iter()
        .position(|l| l.contains("Cancel running work"))
        .expect("Ctrl+C is listed");
    let column = rows[first].find("Cancel").unwrap();
    // The overlay's left border, then the continuation: blank up to the description's column.
    let border = rows[first][..column].rfind('│').unwrap() + '│'.len_utf8();
    let next = &rows[first + 1];
    assert!(
        next[border..column].chars().all(|c| c == ' '),
        "the continuation starts under the description, not at column 0: {next}"
    );
    assert!(!next[column..].trim().is_empty(), "{next}");
}

#[test]
fn a_long_status_note_is_shortened_never_dropped() {
    for width in [120u16, 80, 60] {
        let mut a = app_with(conversation(), width, 24);
        // A change under review fills the bar's right side with its path.
        a.on_core(&Event::ChangeProposed {
            id: "c".into(),
            change: crate::changes::FileChange::new(
                "src/some/deeply/nested/module/with/a/long/name.rs".into(),
                Some("a\n".into()),
                Some("b\n".into()),
            ),
            context: 3,
            checkpoint: None,
        });
        a.session.read_only = true;
        a.note = Some(
            "read-only: this session belongs to /home/someone/projects/another-workspace; fork \
             it with f in the session browser to continue here"
                .into(),
        );
        let terminal = render(&mut a);
        let buffer = terminal.backend().buffer();
        let status: String = (0..width)
            .map(|x| buffer[(x, 23)].symbol().to_string())
            .collect();
        assert!(status.contains("read-only: this"), "{width}: {status:?}");
        assert!(
            status.trim_end().ends_with('…'),
            "{width}: cut with a mark: {status:?}"
        );
    }
}

/// Every pane with content wider and longer than it: the history of a working session.
fn long_session() -> Vec<Event> {
    use crate::plan::StepSpec;
    let spec = |t: &str| StepSpec {
        title: t.into(),
        detail: "A detail long enough to wrap in a side pane: it names the files, the \
                 functions and the acceptance test the step must pass before its gate."
            .into(),
        files: vec!["src/cli/sessions_cmd.rs".into(), "tests/cli.rs".into()],
        acceptance: None,
        children: vec![],
        independent: false,
    };
    let before: String = (1..=40)
        .map(|i| format!("    let value_{i} = compute({i});\n"))
        .collect();
    let after = before.replace(
        "    let value_7 = compute(7);\n",
        "    let value_7 = compute_with_a_much_longer_name_that_runs_past_the_edge(7, Some(\"argument\"), &configuration);\n",
    );
    vec![
        Event::UserMessage {
            text: "Add a --json flag to `sessions list`, and print every field a script would want"
                .into(),
            attachments: vec![],
        },
        Event::AssistantMessage {
            text: "Here is the plan, with the one line that matters:\n\n```rust\nlet rows: Vec<SessionRow> = reader.list_sessions(workspace.as_deref(), limit)?.into_iter().map(SessionRow::from).collect();\n```\n\nThe table stays the default; `--json` prints one array.".into(),
            interrupted: false,
        },
        Event::ToolCall {
            id: "t1".into(),
            name: "run_command".into(),
            arguments: serde_json::json!({
                "command": "cargo test --workspace --all-features -- --include-ignored sessions_list_json_on_an_empty_home"
            })
            .to_string(),
        },
        Event::ToolResult {
            id: "t1".into(),
            ok: true,
            content: "ok\n[exit code 0]".into(),
            summary: "$ cargo test --workspace --all-features -- --include-ignored sessions_list_json_on_an_empty_home → exit code 0".into(),
            duration_ms: 4200,
        },
        Event::PlanProposed {
            version: 1,
            steps: vec![
                spec("Add the --json flag to the sessions list command and its help text"),
                spec("Print one JSON array with every field of every session, newest first"),
                spec("Test an empty home, one session and a thousand sessions"),
            ],
        },
        Event::ChangeProposed {
            id: "c1".into(),
            change: crate::changes::FileChange::new(
                "src/cli/a/rather/deeply/nested/module/sessions_cmd.rs".into(),
                Some(before),
                Some(after),
            ),
            context: 3,
            checkpoint: None,
        },
    ]
}

#[test]
fn every_pane_with_long_content_at_120x40_and_80x24() {
    use crate::contextview::tests::report;
    let mut a = app_with(long_session(), 120, 40);
    a.on_core(&Event::ContextAccounted { report: report(70) });
    insta::assert_snapshot!("long_120x40", render(&mut a).backend());
    for (tab, name) in [
        ('1', "chat"),
        ('2', "plan"),
        ('3', "diff"),
        ('4', "context"),
    ] {
        let mut a = app_with(long_session(), 80, 24);
        a.on_core(&Event::ContextAccounted { report: report(70) });
        press(&mut a, KeyCode::Char(tab), KeyModifiers::ALT);
        let terminal = render(&mut a);
        let screen = format!("{:?}", terminal.backend());
        match name {
            // The long command and the code line wrap instead of running off the edge.
            "chat" => assert!(screen.contains("↪"), "{screen}"),
            // A diff line cut at the edge says so.
            "diff" => assert!(screen.contains('›'), "{screen}"),
            _ => {}
        }
        insta::assert_snapshot!(format!("long_80x24_{name}"), terminal.backend());
    }
}
