use std::time::{Duration, Instant};

use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind,
};

use super::*;
use crate::browser::{BrowserRequest, Row};
use crate::fixtures::app;
use crate::keymap::KeyContext;
use crate::protocol::CommandDecision;
use crate::protocol::{Gear, Op, StepStatus, Verdict};

fn key(code: KeyCode, mods: KeyModifiers) -> TermEvent {
    TermEvent::Key(KeyEvent::new(code, mods))
}

fn press(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    app.on_terminal(key(code, mods), Instant::now())
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c), KeyModifiers::NONE);
    }
}

/// A first plan of one step, "one".
fn one_step_plan() -> Event {
    Event::PlanProposed {
        version: 1,
        steps: vec![crate::plan::StepSpec {
            title: "one".into(),
            detail: String::new(),
            files: vec![],
            acceptance: None,
            children: vec![],
            independent: false,
        }],
    }
}

fn composer_text(app: &App) -> String {
    app.composer.lines().join("\n")
}

#[test]
fn tab_cycles_focus_and_alt_digits_jump() {
    let mut a = app(120, 40);
    assert_eq!(a.focus, Focus::Composer);
    let order: Vec<Focus> = (0..5)
        .map(|_| {
            press(&mut a, KeyCode::Tab, KeyModifiers::NONE);
            a.focus
        })
        .collect();
    assert_eq!(
        order,
        [
            Focus::Transcript,
            Focus::Plan,
            Focus::Diff,
            Focus::Context,
            Focus::Composer
        ]
    );
    press(&mut a, KeyCode::Char('3'), KeyModifiers::ALT);
    assert_eq!(a.focus, Focus::Diff);
    press(&mut a, KeyCode::Char('4'), KeyModifiers::ALT);
    assert_eq!(a.focus, Focus::Context);
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(a.focus, Focus::Composer, "Esc returns to the composer");
}

#[test]
fn shift_tab_asks_the_core_for_the_next_gear() {
    let mut a = app(120, 40);
    let effects = press(&mut a, KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(effects, [Effect::Send(Op::SetGear { gear: Gear::Plan })]);
    // The gear changes when the core reports it, not before.
    assert_eq!(a.session.gear, Gear::Vibe);
    a.on_core(&Event::GearChanged {
        from: Gear::Vibe,
        to: Gear::Plan,
    });
    assert_eq!(a.session.gear, Gear::Plan);
    let effects = press(&mut a, KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(
        effects,
        [Effect::Send(Op::SetGear {
            gear: Gear::Pipeline
        })]
    );
}

#[test]
fn enter_submits_and_alt_enter_or_ctrl_j_insert_newlines() {
    let mut a = app(120, 40);
    type_text(&mut a, "one");
    press(&mut a, KeyCode::Enter, KeyModifiers::ALT);
    type_text(&mut a, "two");
    press(&mut a, KeyCode::Char('j'), KeyModifiers::CONTROL);
    type_text(&mut a, "three");
    assert_eq!(composer_text(&a), "one\ntwo\nthree");
    let effects = press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        effects,
        [Effect::Send(Op::Submit {
            text: "one\ntwo\nthree".into(),
            attachments: vec![]
        })]
    );
    assert!(a.composer.is_empty());
    assert!(
        press(&mut a, KeyCode::Enter, KeyModifiers::NONE).is_empty(),
        "blank is not sent"
    );
}

#[test]
fn pane_keys_do_not_steal_typing_in_the_composer() {
    let mut a = app(120, 40);
    type_text(&mut a, "z? jk");
    assert_eq!(composer_text(&a), "z? jk");
    assert!(!a.zoomed && a.overlay().is_none());
    press(&mut a, KeyCode::Tab, KeyModifiers::NONE);
    press(&mut a, KeyCode::Char('z'), KeyModifiers::NONE);
    assert!(a.zoomed, "z zooms outside the composer");
    press(&mut a, KeyCode::Char('z'), KeyModifiers::NONE);
    assert!(!a.zoomed);
    press(&mut a, KeyCode::Char('?'), KeyModifiers::SHIFT);
    assert_eq!(a.overlay(), Some(&Overlay::Help(Help { scroll: 0 })));
    press(&mut a, KeyCode::Char('j'), KeyModifiers::NONE);
    assert_eq!(
        a.overlay(),
        Some(&Overlay::Help(Help { scroll: 1 })),
        "j scrolls the help"
    );
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(a.overlay(), None);
    assert_eq!(a.focus, Focus::Transcript, "Esc closed the overlay only");
}

#[test]
fn f1_toggles_help_from_anywhere() {
    let mut a = app(120, 40);
    press(&mut a, KeyCode::F(1), KeyModifiers::NONE);
    assert!(a.overlay().is_some());
    type_text(&mut a, "x");
    assert!(
        a.composer.is_empty(),
        "typing does not reach the composer under help"
    );
    press(&mut a, KeyCode::F(1), KeyModifiers::NONE);
    assert!(a.overlay().is_none());
}

#[test]
fn ctrl_c_clears_then_quits_within_a_second_when_idle() {
    let mut a = app(120, 40);
    let t0 = Instant::now();
    type_text(&mut a, "draft");
    let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(a.on_terminal(ctrl_c.clone(), t0).is_empty());
    assert!(a.composer.is_empty());
    assert!(a.note.as_deref().unwrap_or("").contains("again to quit"));
    // Too late: re-arms instead of quitting.
    assert!(
        a.on_terminal(ctrl_c.clone(), t0 + Duration::from_millis(1500))
            .is_empty()
    );
    let effects = a.on_terminal(ctrl_c, t0 + Duration::from_millis(2000));
    assert_eq!(effects, [Effect::Quit]);
    assert!(a.is_quitting());
}

#[test]
fn ctrl_c_cancels_running_work_instead_of_quitting() {
    let mut a = app(120, 40);
    a.on_core(&Event::TurnStarted { turn: 1 });
    let t0 = Instant::now();
    let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(
        a.on_terminal(ctrl_c.clone(), t0),
        [Effect::Send(Op::Cancel)]
    );
    assert_eq!(
        a.on_terminal(ctrl_c, t0 + Duration::from_millis(100)),
        [Effect::Send(Op::Cancel)]
    );
    assert!(!a.is_quitting());
}

#[test]
fn ctrl_q_quits() {
    let mut a = app(120, 40);
    assert_eq!(
        press(&mut a, KeyCode::Char('q'), KeyModifiers::CONTROL),
        [Effect::Quit]
    );
}

#[test]
fn up_and_down_browse_history_only_at_the_composer_edges() {
    let mut a = app(120, 40);
    type_text(&mut a, "draft");
    press(&mut a, KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(composer_text(&a), "an older prompt");
    press(&mut a, KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(composer_text(&a), "draft");

    // Inside a multi-line prompt, Up moves the cursor instead.
    press(&mut a, KeyCode::Enter, KeyModifiers::ALT);
    type_text(&mut a, "line two");
    press(&mut a, KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(composer_text(&a), "draft\nline two");
    assert_eq!(a.composer.cursor().0, 0);
    press(&mut a, KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(composer_text(&a), "an older prompt");
}

#[test]
fn a_huge_paste_arrives_as_one_edit() {
    let mut a = app(120, 40);
    let text: String = (0..10_000).map(|i| format!("line {i}\r\n")).collect();
    a.on_terminal(TermEvent::Paste(text), Instant::now());
    // The composer holds a token, so typing stays instant; the prompt gets the paste whole.
    assert_eq!(a.composer.lines(), ["[pasted 10,000 lines #1]"]);
    let effects = press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    let [Effect::Send(Op::Submit { text, .. })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(text.lines().count(), 10_000);
    assert!(!text.contains('\r'));
}

#[test]
fn user_messages_from_the_core_show_and_set_the_title() {
    let mut a = app(120, 40);
    a.on_core(&Event::UserMessage {
        text: "Add a --json flag\nto the list command".into(),
        attachments: vec![],
    });
    assert_eq!(a.session.title, "Add a --json flag");
    a.prepare();
    let shown: Vec<String> = a
        .transcript
        .visible(100)
        .map(|(l, _)| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    assert!(
        shown.iter().any(|l| l == "  to the list command"),
        "{shown:?}"
    );
}

#[test]
fn mouse_wheel_scrolls_the_transcript_under_the_pointer() {
    let mut a = app(120, 40);
    for i in 0..100 {
        a.on_core(&Event::UserMessage {
            text: format!("m{i}"),
            attachments: vec![],
        });
    }
    a.prepare();
    let wheel = |row, column| {
        TermEvent::Mouse(MouseEvent {
            kind: MouseEventKind::ScrollUp,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    a.on_terminal(wheel(5, 110), Instant::now());
    assert_eq!(
        a.transcript.scroll(),
        crate::transcript::Scroll::Follow,
        "not over chat"
    );
    a.on_terminal(wheel(5, 10), Instant::now());
    assert!(matches!(
        a.transcript.scroll(),
        crate::transcript::Scroll::At(_)
    ));
    press(&mut a, KeyCode::Tab, KeyModifiers::NONE);
    press(&mut a, KeyCode::End, KeyModifiers::NONE);
    assert_eq!(a.transcript.scroll(), crate::transcript::Scroll::Follow);
}

#[test]
fn a_priced_provider_shows_the_running_cost() {
    use crate::config::{Config, DEFAULTS_TOML};
    let mut config: Config = toml::from_str(DEFAULTS_TOML).unwrap();
    config.provider = Some("openai".into());
    let provider = config.active_provider().unwrap();
    let mut a = App::new(
        Keymap::new(&std::collections::BTreeMap::new()).unwrap(),
        Theme::load("dark", std::path::Path::new("/none")).unwrap(),
        &crate::fixtures::opened(vec![]).0,
        &provider,
        vec![],
        Rect::new(0, 0, 120, 40),
    );
    assert_eq!(a.session.cost, Some(0.0));
    for cost in [0.5, 0.25] {
        a.on_core(&Event::Usage {
            input: 10,
            output: 1,
            cached: 0,
            cache_write: 0,
            reasoning: 0,
            cost: Some(cost),
            request: None,
        });
    }
    assert_eq!(a.session.cost, Some(0.75));
    a.prepare();
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| crate::view::draw(&a, f)).unwrap();
    let buffer = terminal.backend().buffer();
    let status: String = (0..120)
        .map(|x| buffer[(x, 39)].symbol().to_string())
        .collect();
    assert!(status.contains("$0.7500"), "{status}");
    // The demo has no prices and shows none.
    assert_eq!(app(120, 40).session.cost, None);
}

#[test]
fn a_turn_ends_with_a_dim_line_of_its_tokens_cost_time_and_models() {
    use crate::protocol::{FinishReason, Gear, RequestFacts};
    let mut a = app(120, 40);
    let usage = |model: &str, input, cached, cost, latency, ttft| Event::Usage {
        input,
        output: 300,
        cached,
        cache_write: 0,
        reasoning: 0,
        cost: Some(cost),
        request: Some(Box::new(RequestFacts {
            provider: "deepseek".into(),
            model: model.into(),
            gear: Gear::Plan,
            stage: None,
            purpose: "turn".into(),
            latency_ms: latency,
            ttft_ms: Some(ttft),
            error: None,
            retries: 0,
            estimated: false,
        })),
    };
    a.on_core(&Event::TurnStarted { turn: 1 });
    a.on_core(&usage("deepseek-chat", 12_000, 8_000, 0.01, 2_000, 450));
    a.on_core(&usage(
        "deepseek-reasoner",
        14_000,
        12_000,
        0.02,
        1_500,
        900,
    ));
    a.on_core(&Event::TurnFinished {
        reason: FinishReason::Stop,
    });
    a.prepare();
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| crate::view::draw(&a, f)).unwrap();
    let buffer = terminal.backend().buffer();
    let screen: String = (0..40)
        .map(|y| {
            (0..120)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                + "\n"
        })
        .collect();
    let line = "2 requests · 26.0k in (20.0k cached) · 600 out · $0.0300 · 3.5s · first token \
                450ms · deepseek/deepseek-chat, deepseek/deepseek-reasoner";
    assert_eq!(a.transcript.count_containing(line), 1);
    assert!(
        screen.contains("2 requests · 26.0k in (20.0k cached) · 600 out"),
        "{screen}"
    );
    // The next turn starts its own count.
    a.on_core(&Event::TurnStarted { turn: 2 });
    a.on_core(&usage("deepseek-chat", 1_000, 0, 0.001, 800, 200));
    a.on_core(&Event::TurnFinished {
        reason: FinishReason::Stop,
    });
    assert_eq!(
        a.transcript.count_containing(
            "1.0k in · 300 out · $0.0010 · 800ms · first token 200ms · deepseek/deepseek-chat"
        ),
        1
    );
}

/// The model asks, and a frame showing the question is drawn.
fn approval_requested(a: &mut App) {
    a.on_core(&Event::CommandApprovalRequested {
        id: "call_1".into(),
        command: "cargo test".into(),
        checkpoint: None,
    });
    a.mark_drawn();
}

#[test]
fn an_approval_is_not_answered_before_it_is_drawn_or_read_to_its_end() {
    let mut a = app(120, 40);
    a.on_core(&Event::CommandApprovalRequested {
        id: "call_1".into(),
        command: "cargo test".into(),
        checkpoint: None,
    });
    // Typed ahead, before the question was on screen: not an answer.
    assert!(press(&mut a, KeyCode::Char('y'), KeyModifiers::NONE).is_empty());
    assert!(matches!(a.overlay(), Some(Overlay::Approval(_))));
    assert!(a.note.as_deref().unwrap().contains("not on screen"));
    a.mark_drawn();
    assert_eq!(
        press(&mut a, KeyCode::Char('y'), KeyModifiers::NONE).len(),
        1
    );

    // A command longer than the modal: its end must be on screen before y or a.
    let long: String = (0..80).map(|i| format!("echo line {i}\n")).collect();
    let long = format!("{long}rm -rf ./important_dir");
    a.on_core(&Event::CommandApprovalRequested {
        id: "call_2".into(),
        command: long,
        checkpoint: None,
    });
    a.mark_drawn();
    assert!(press(&mut a, KeyCode::Char('a'), KeyModifiers::NONE).is_empty());
    assert!(a.note.as_deref().unwrap().contains("end first"));
    for _ in 0..3 {
        press(&mut a, KeyCode::PageDown, KeyModifiers::NONE);
    }
    // Scrolled, but not yet drawn there.
    assert!(press(&mut a, KeyCode::Char('y'), KeyModifiers::NONE).is_empty());
    a.mark_drawn();
    assert_eq!(
        press(&mut a, KeyCode::Char('y'), KeyModifiers::NONE),
        [Effect::Send(Op::ApproveCommand {
            call_id: "call_2".into(),
            always: false
        })]
    );
}

#[test]
fn the_approval_modal_answers_with_y_a_or_n_and_a_reason() {
    let mut a = app(120, 40);
    approval_requested(&mut a);
    assert!(matches!(a.overlay(), Some(Overlay::Approval { .. })));
    // Neither Esc nor F1 dismisses it unanswered; typing does not reach the composer.
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    press(&mut a, KeyCode::F(1), KeyModifiers::NONE);
    assert!(matches!(a.overlay(), Some(Overlay::Approval { .. })));
    assert_eq!(
        press(&mut a, KeyCode::Char('y'), KeyModifiers::NONE),
        [Effect::Send(Op::ApproveCommand {
            call_id: "call_1".into(),
            always: false
        })]
    );
    assert!(a.overlay().is_none());
    assert!(a.composer.is_empty());

    approval_requested(&mut a);
    assert_eq!(
        press(&mut a, KeyCode::Char('a'), KeyModifiers::NONE),
        [Effect::Send(Op::ApproveCommand {
            call_id: "call_1".into(),
            always: true
        })]
    );

    approval_requested(&mut a);
    press(&mut a, KeyCode::Char('n'), KeyModifiers::NONE);
    type_text(&mut a, "use nextest");
    press(&mut a, KeyCode::Backspace, KeyModifiers::NONE);
    type_text(&mut a, "t");
    assert_eq!(
        press(&mut a, KeyCode::Enter, KeyModifiers::NONE),
        [Effect::Send(Op::DenyCommand {
            call_id: "call_1".into(),
            reason: Some("use nextest".into())
        })]
    );

    approval_requested(&mut a);
    press(&mut a, KeyCode::Char('n'), KeyModifiers::NONE);
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    assert!(
        matches!(a.overlay(), Some(Overlay::Approval(p)) if p.reason.is_none()),
        "Esc leaves the reason, not the modal"
    );
    press(&mut a, KeyCode::Char('n'), KeyModifiers::NONE);
    assert_eq!(
        press(&mut a, KeyCode::Enter, KeyModifiers::NONE),
        [Effect::Send(Op::DenyCommand {
            call_id: "call_1".into(),
            reason: None
        })]
    );
}

#[test]
fn y_copies_the_selected_message_or_tool_result() {
    let mut a = app(120, 40);
    a.on_core(&Event::AssistantMessage {
        text: "the answer".into(),
        interrupted: false,
    });
    a.on_core(&Event::ToolCall {
        id: "c".into(),
        name: "grep".into(),
        arguments: "{\"pattern\":\"x\"}".into(),
    });
    a.on_core(&Event::ToolResult {
        id: "c".into(),
        ok: true,
        content: "a.rs:1: x".into(),
        summary: "1 match".into(),
        duration_ms: 1,
    });
    a.prepare();
    press(&mut a, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(a.focus, Focus::Transcript);
    press(&mut a, KeyCode::Char('['), KeyModifiers::NONE);
    assert_eq!(
        press(&mut a, KeyCode::Char('y'), KeyModifiers::NONE),
        [Effect::Copy("a.rs:1: x".into())]
    );
    press(&mut a, KeyCode::Char('['), KeyModifiers::NONE);
    assert_eq!(
        press(&mut a, KeyCode::Char('y'), KeyModifiers::NONE),
        [Effect::Copy("the answer".into())]
    );
}

fn browser(a: &App) -> &Browser {
    match a.overlay() {
        Some(Overlay::Sessions(b)) => b,
        other => panic!("no browser: {other:?}"),
    }
}

fn row(id: &str, workspace: &str, messages: i64) -> Row {
    Row {
        id: id.into(),
        title: format!("about {id}"),
        workspace: workspace.into(),
        detail: Vec::new(),
        updated_at: 0,
        snippet: None,
        messages,
    }
}

#[test]
fn ctrl_s_opens_the_browser_which_asks_for_rows_then_a_preview() {
    use crate::browser::BrowserRequest;
    let mut a = app(120, 40);
    let effects = press(&mut a, KeyCode::Char('s'), KeyModifiers::CONTROL);
    let [
        Effect::Browser(BrowserRequest::Load {
            ticket,
            workspace,
            query: None,
        }),
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(workspace.as_deref(), Some("/work/project"));
    let current = a.session.id.clone();
    let effects = a.on_browser_rows(
        *ticket,
        vec![
            row(&current, "/work/project", 0),
            row("empty", "/work/project", 0),
            row("other", "/elsewhere", 3),
        ],
    );
    assert_eq!(
        browser(&a).rows.len(),
        2,
        "the unused session is hidden, the open one is not"
    );
    assert!(matches!(
        effects.as_slice(),
        [Effect::Browser(BrowserRequest::Preview { .. })]
    ));

    // j moves and previews; Enter on another workspace's session opens it read-only.
    let effects = press(&mut a, KeyCode::Char('j'), KeyModifiers::NONE);
    assert!(
        matches!(effects.as_slice(), [Effect::Browser(BrowserRequest::Preview { id, .. })] if id == "other")
    );
    assert_eq!(
        press(&mut a, KeyCode::Enter, KeyModifiers::NONE),
        [Effect::Browser(BrowserRequest::Open {
            id: "other".into(),
            read_only: true
        })]
    );
    assert_eq!(
        press(&mut a, KeyCode::Char('f'), KeyModifiers::NONE),
        [Effect::Browser(BrowserRequest::Fork {
            id: "other".into(),
            workspace: "/work/project".into()
        })]
    );
    assert_eq!(
        press(&mut a, KeyCode::Char('e'), KeyModifiers::NONE),
        [Effect::Browser(BrowserRequest::Export {
            id: "other".into()
        })]
    );

    // / types a search; keys are text while typing; Enter runs it.
    press(&mut a, KeyCode::Char('/'), KeyModifiers::NONE);
    type_text(&mut a, "jwfd");
    let effects = press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    assert!(matches!(
        effects.as_slice(),
        [Effect::Browser(BrowserRequest::Load { query: Some(q), .. })] if q == "jwfd"
    ));

    // d asks first; n keeps, y deletes.
    let t = match &effects[0] {
        Effect::Browser(BrowserRequest::Load { ticket, .. }) => *ticket,
        _ => unreachable!(),
    };
    a.on_browser_rows(t, vec![row("other", "/elsewhere", 3)]);
    press(&mut a, KeyCode::Char('d'), KeyModifiers::NONE);
    assert!(press(&mut a, KeyCode::Char('n'), KeyModifiers::NONE).is_empty());
    press(&mut a, KeyCode::Char('d'), KeyModifiers::NONE);
    assert_eq!(
        press(&mut a, KeyCode::Char('y'), KeyModifiers::NONE),
        [Effect::Browser(BrowserRequest::Delete {
            id: "other".into()
        })]
    );
    // Esc clears the search first, then closes the browser.
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    assert!(a.overlay().is_some(), "the first Esc clears the search");
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    assert!(a.overlay().is_none(), "Esc closes the browser");
}

#[test]
fn a_read_only_session_refuses_prompts_and_gear_changes() {
    let mut a = app(120, 40);
    a.set_read_only();
    type_text(&mut a, "continue please");
    assert!(press(&mut a, KeyCode::Enter, KeyModifiers::NONE).is_empty());
    assert!(a.note.as_deref().unwrap_or("").contains("read-only"));
    assert!(press(&mut a, KeyCode::BackTab, KeyModifiers::SHIFT).is_empty());
}

#[test]
fn a_prompt_typed_after_the_session_stopped_stays_in_the_composer() {
    let mut a = app(120, 40);
    a.on_core(&Event::Error {
        kind: crate::protocol::ErrorKind::Store,
        message: "not saved: the disk is full".into(),
    });
    type_text(&mut a, "third turn");
    assert!(press(&mut a, KeyCode::Enter, KeyModifiers::NONE).is_empty());
    assert_eq!(composer_text(&a), "third turn");
    assert!(a.note.as_deref().unwrap_or("").contains("not sent"));
    // And one the core could not take any more (it ended) comes back to the composer.
    let mut b = app(120, 40);
    type_text(&mut b, "lost?");
    let effects = press(&mut b, KeyCode::Enter, KeyModifiers::NONE);
    let Some(Effect::Send(op)) = effects.into_iter().next() else {
        panic!("the prompt is sent");
    };
    assert_eq!(composer_text(&b), "");
    b.core_gone(op);
    assert_eq!(composer_text(&b), "lost?");
    assert!(b.session.stopped);
}

fn proposal() -> Event {
    Event::ChangeProposed {
        id: "call_1".into(),
        change: crate::changes::FileChange::new(
            "a.txt".into(),
            Some("one\ntwo\nthree\n".into()),
            Some("one\n2\nthree\n".into()),
        ),
        context: 1,
        checkpoint: None,
    }
}

#[test]
fn diff_keys_send_decisions_and_esc_does_not_withdraw_a_review() {
    let mut a = app(120, 40);
    a.on_core(&Event::TurnStarted { turn: 1 });
    a.on_core(&proposal());
    assert_eq!(
        a.transcript.count_containing("proposes a change to a.txt"),
        1,
        "the chat says a review waits"
    );
    press(&mut a, KeyCode::Char('3'), KeyModifiers::ALT);
    a.prepare();
    let effects = press(&mut a, KeyCode::Char('x'), KeyModifiers::NONE);
    assert!(matches!(
        effects.as_slice(),
        [Effect::Send(Op::DecideHunk {
            verdict: Verdict::Reject,
            ..
        })]
    ));
    // Enter with the hunk still undecided (the event has not come back): refused locally.
    let effects = press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    assert!(effects.is_empty());
    assert!(a.note.as_deref().unwrap_or("").contains("undecided"));
    // Esc leaves the pane without cancelling the turn that waits for the review.
    let effects = press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(a.focus, Focus::Composer);
    // e asks the loop to open the editor with the hunk's proposed text.
    press(&mut a, KeyCode::Char('3'), KeyModifiers::ALT);
    let effects = press(&mut a, KeyCode::Char('e'), KeyModifiers::NONE);
    assert!(matches!(
        effects.as_slice(),
        [Effect::EditHunk { text, extension, .. }] if text == "one\n2\nthree\n" && extension == "txt"
    ));
    // An unchanged save is an accept; a changed one an edit.
    let hunk = a.diff.entry().unwrap().hunks[0].id.clone();
    let effects = a.on_edited("call_1".into(), hunk.clone(), "x\n", Ok("x\n".into()));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Send(Op::DecideHunk {
            verdict: Verdict::Accept,
            ..
        })]
    ));
    let effects = a.on_edited("call_1".into(), hunk, "x\n", Ok("y\n".into()));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Send(Op::DecideHunk { verdict: Verdict::Edit { text }, .. })] if text == "y\n"
    ));
}

#[test]
fn context_keys_drop_pin_and_compact() {
    use crate::context::{Category, ContextItem, ContextReport, ItemId};
    let mut a = app(120, 40);
    let item = |id, category, tokens| ContextItem {
        id,
        category,
        tokens,
        label: String::new(),
        pinned: false,
        dropped: false,
    };
    a.on_core(&Event::ContextAccounted {
        report: ContextReport {
            items: vec![
                item(ItemId::System, Category::System, 100),
                item(ItemId::Message(0), Category::User, 50),
                item(ItemId::Message(1), Category::ToolResults, 900),
            ],
            window: 1_000,
            reserved: 0,
            calibrated: true,
            cache: crate::context::CacheShare::default(),
            delegated: 0,
        },
    });
    assert_eq!(a.session.context_tokens, 1_050);
    // Over the warning threshold: the chat says so, once.
    let warned = |a: &App| a.transcript.count_containing("context window is");
    assert_eq!(warned(&a), 1);
    press(&mut a, KeyCode::Char('4'), KeyModifiers::ALT);
    let effects = press(&mut a, KeyCode::Char('d'), KeyModifiers::NONE);
    assert_eq!(
        effects,
        vec![Effect::Send(Op::DropItem {
            item: 1,
            dropped: true
        })]
    );
    press(&mut a, KeyCode::Char('j'), KeyModifiers::NONE);
    press(&mut a, KeyCode::Char('j'), KeyModifiers::NONE);
    let effects = press(&mut a, KeyCode::Char('p'), KeyModifiers::NONE);
    assert_eq!(
        effects,
        vec![Effect::Send(Op::PinItem {
            item: 0,
            pinned: true
        })]
    );
    let effects = press(&mut a, KeyCode::Char('C'), KeyModifiers::SHIFT);
    assert_eq!(effects, vec![Effect::Send(Op::Compact)]);
    assert_eq!(warned(&a), 1);
}

#[test]
fn an_approval_over_the_browser_returns_to_the_browser() {
    let mut a = app(120, 40);
    let effects = press(&mut a, KeyCode::Char('s'), KeyModifiers::CONTROL);
    let Effect::Browser(BrowserRequest::Load { ticket, .. }) = &effects[0] else {
        panic!("{effects:?}")
    };
    let ticket = *ticket;
    press(&mut a, KeyCode::F(1), KeyModifiers::NONE);
    assert!(
        matches!(a.overlay(), Some(Overlay::Help(_))),
        "help over the browser"
    );
    approval_requested(&mut a);
    assert!(matches!(a.overlay(), Some(Overlay::Approval(_))));
    // The browser's rows arrive while the approval covers it: they are not lost.
    a.on_browser_rows(ticket, vec![row("other", "/elsewhere", 3)]);
    press(&mut a, KeyCode::Char('y'), KeyModifiers::NONE);
    assert!(
        matches!(a.overlay(), Some(Overlay::Help(_))),
        "answered: back to the help"
    );
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(
        browser(&a).rows.len(),
        1,
        "then back to the browser, with its rows"
    );
    // An approval the core closes (cancelled) leaves the browser too.
    approval_requested(&mut a);
    a.on_core(&Event::CommandDecided {
        id: "call_1".into(),
        command: "cargo test".into(),
        decision: CommandDecision::Denied {
            reason: Some("cancelled".into()),
        },
    });
    assert!(matches!(a.overlay(), Some(Overlay::Sessions(_))));
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    assert!(a.overlay().is_none());
}

#[test]
fn a_rebound_key_changes_every_hint_that_shows_it() {
    use crate::protocol::Hint;
    let config: std::collections::BTreeMap<String, crate::config::KeyBinding> = toml::from_str(
        "plan_approve = \"v\"\nplan_approve_all = \"V\"\ndiff_accept = \"y\"\ndiff_reject = \"N\"\n\
         stage_skip = \"ctrl+k\"\ncontext_drop = \"D\"\ncontext_compact = \"ctrl+o\"\n\
         interrupt = \"ctrl+x\"\nfocus_plan = \"f5\"\nfocus_diff = \"f3\"\nfocus_context = \"f4\"\n",
    )
    .unwrap();
    let keymap = Keymap::new(&config).unwrap();
    let mut a = app(120, 40);
    a.keymap = keymap;
    let hints = |a: &App, h| crate::hints::for_hint(&a.keymap, h);
    assert_eq!(
        hints(&a, Hint::ApproveSteps),
        "in the plan pane (F5): v approves the selected step, V all of them"
    );
    assert_eq!(
        hints(&a, Hint::DecideHunks),
        "in the diff pane (F3): y accepts a hunk, N rejects it"
    );
    assert_eq!(hints(&a, Hint::SkipStage), "Ctrl+K skips the stage");
    assert_eq!(
        hints(&a, Hint::FreeContext),
        "in the context pane (F4): D leaves an item out, Ctrl+O compacts older turns"
    );
    assert_eq!(hints(&a, Hint::Wait), "Ctrl+X cancels what runs");
    // A refusal from the core reaches the chat with the rebound keys.
    a.on_core(&Event::Refused {
        message: "no step is approved".into(),
        hint: Some(Hint::ApproveSteps),
    });
    assert_eq!(
        a.transcript
            .count_containing("no step is approved — in the plan pane (F5): v approves"),
        1
    );
    // Nothing the core sends names a key: the old bindings appear nowhere.
    assert_eq!(a.transcript.count_containing(" a approves"), 0);
    // The chat's notices, the pane footers and the status bar show the new keys too.
    a.on_core(&one_step_plan());
    assert_eq!(
        a.transcript
            .count_containing("review it in the plan pane (F5): v approve, x reject"),
        1
    );
    a.focus = Focus::Plan;
    a.prepare();
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| crate::view::draw(&a, f)).unwrap();
    let buffer = terminal.backend().buffer();
    let screen: String = (0..40)
        .map(|y| {
            (0..120)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(screen.contains("v approve · x reject"), "{screen}");
    assert!(!screen.contains("a approve"), "{screen}");
    let status = screen.lines().last().unwrap();
    assert!(status.contains("v approve"), "{status}");
}

#[test]
fn a_click_on_a_pane_focuses_it() {
    use crossterm::event::{MouseButton, MouseEventKind};
    let mut a = app(120, 40);
    let click = |a: &mut App, id: PaneId, bottom: bool| {
        let r = a.layout().pane(id).unwrap();
        let row = if bottom { r.y + r.height - 2 } else { r.y + 1 };
        a.on_terminal(
            TermEvent::Mouse(MouseEvent {
                kind: MouseEventKind::Down(MouseButton::Left),
                column: r.x + 2,
                row,
                modifiers: KeyModifiers::NONE,
            }),
            Instant::now(),
        );
    };
    click(&mut a, PaneId::Diff, false);
    assert_eq!(a.focus, Focus::Diff);
    click(&mut a, PaneId::Context, false);
    assert_eq!(a.focus, Focus::Context);
    click(&mut a, PaneId::Plan, false);
    assert_eq!(a.focus, Focus::Plan);
    click(&mut a, PaneId::Chat, false);
    assert_eq!(a.focus, Focus::Transcript);
    click(&mut a, PaneId::Chat, true);
    assert_eq!(a.focus, Focus::Composer);
    // With an overlay open, a click does not move the focus behind it.
    press(&mut a, KeyCode::F(1), KeyModifiers::NONE);
    click(&mut a, PaneId::Diff, false);
    assert_eq!(a.focus, Focus::Composer);
}

#[test]
fn esc_after_a_search_clears_it_and_the_next_esc_closes_the_browser() {
    let mut a = app(120, 40);
    press(&mut a, KeyCode::Char('s'), KeyModifiers::CONTROL);
    press(&mut a, KeyCode::Char('/'), KeyModifiers::NONE);
    type_text(&mut a, "tok");
    let effects = press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    assert!(matches!(
        effects.as_slice(),
        [Effect::Browser(BrowserRequest::Load { query: Some(q), .. })] if q == "tok"
    ));
    let effects = press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    assert!(matches!(
        effects.as_slice(),
        [Effect::Browser(BrowserRequest::Load { query: None, .. })]
    ));
    assert!(
        matches!(a.overlay(), Some(Overlay::Sessions(_))),
        "still open"
    );
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    assert!(a.overlay().is_none());
}

fn at_stage_gate() -> App {
    use crate::pipeline::StageEvent;
    crate::fixtures::app_with(
        vec![
            Event::PipelineStarted {
                pipeline: crate::fixtures::engineering(),
                skills: std::collections::BTreeMap::new(),
                request: "add a greeting".into(),
            },
            Event::Stage {
                event: StageEvent::Started {
                    stage: "design".into(),
                },
            },
            Event::Stage {
                event: StageEvent::AtGate {
                    stage: "design".into(),
                },
            },
        ],
        120,
        40,
    )
}

#[test]
fn a_stage_gate_is_decided_from_the_composer_where_g_stays_a_letter() {
    let mut a = at_stage_gate();
    assert_eq!(a.gate(), Some(WaitingGate::Stage("design".into())));
    assert_eq!(a.focus, Focus::Composer);
    // A bare g is typing.
    assert!(press(&mut a, KeyCode::Char('g'), KeyModifiers::NONE).is_empty());
    assert_eq!(composer_text(&a), "g");
    assert_eq!(
        press(&mut a, KeyCode::Char('g'), KeyModifiers::ALT),
        [Effect::Send(Op::PassGate)]
    );
    assert_eq!(
        press(&mut a, KeyCode::Char('s'), KeyModifiers::ALT),
        [Effect::Send(Op::SkipStage)]
    );
    // Send back needs comments: focus moves to the plan pane's box, which takes the typing.
    assert!(press(&mut a, KeyCode::Char('b'), KeyModifiers::ALT).is_empty());
    assert_eq!(a.focus, Focus::Plan);
    type_text(&mut a, "name the risks");
    assert_eq!(
        press(&mut a, KeyCode::Enter, KeyModifiers::NONE),
        [Effect::Send(Op::SendBack {
            comments: "name the risks".into()
        })]
    );
    assert_eq!(composer_text(&a), "g", "the draft was left alone");
    // The status bar leads with the gate's keys wherever focus is.
    for focus in [Focus::Composer, Focus::Diff, Focus::Plan] {
        a.focus = focus;
        let hints = a.keymap.hints(&a.contexts());
        assert_eq!(hints[0], ("Alt+G".to_string(), "pass gate"), "{focus:?}");
    }
    // The chat said which keys decide it.
    let said = a.transcript.plain_text();
    assert!(
        said.contains("Stage design waits at its gate: Alt+G passes it"),
        "{said}"
    );
}

/// A one-step plan whose step waits at its gate; the step's id.
fn step_at_gate(a: &mut App) -> String {
    use crate::plan::StepSpec;
    a.on_core(&Event::PlanProposed {
        version: 1,
        steps: vec![StepSpec {
            title: "parse the flag".into(),
            detail: String::new(),
            files: vec![],
            acceptance: None,
            children: vec![],
            independent: false,
        }],
    });
    let id = a
        .plan
        .plan
        .as_ref()
        .unwrap()
        .walk()
        .next()
        .unwrap()
        .2
        .id
        .clone();
    for status in [
        StepStatus::Approved,
        StepStatus::Running,
        StepStatus::AwaitingReview,
    ] {
        a.on_core(&Event::StepStatusChanged {
            step: id.clone(),
            status,
            note: None,
        });
    }
    id
}

#[test]
fn a_step_gate_waits_with_its_key_and_a_run_of_every_step_does_not_claim_to_wait() {
    let mut a = app(120, 40);
    step_at_gate(&mut a);
    assert!(matches!(
        a.gate(),
        Some(WaitingGate::Step {
            incomplete: false,
            ..
        })
    ));
    assert_eq!(
        press(&mut a, KeyCode::Char('g'), KeyModifiers::ALT),
        [Effect::Send(Op::Go { all: false })]
    );
    // Send back and skip belong to stages: not keys at a step's gate.
    assert!(!a.contexts().contains(&KeyContext::StageGate));
    assert!(a.transcript.plain_text().contains("waits at its gate"));

    // Under G the same step end is not a wait.
    let mut a = app(120, 40);
    a.on_core(&Event::RunningAll { on: true });
    step_at_gate(&mut a);
    assert_eq!(a.gate(), None);
    let said = a.transcript.plain_text();
    assert!(!said.contains("waits at its gate"), "{said}");
    assert!(said.contains("Step 1 finished."), "{said}");
    a.on_core(&Event::RunningAll { on: false });
    assert!(a.gate().is_some(), "once the run stops, the gate waits");
}

#[test]
fn a_step_whose_changes_were_all_rejected_waits_at_its_gate_even_when_steps_run_by_themselves() {
    let mut a = app(120, 40);
    let id = step_at_gate(&mut a);
    a.on_core(&Event::RunningAll { on: true });
    a.on_core(&Event::StepStatusChanged {
        step: id,
        status: StepStatus::AwaitingReview,
        note: Some(format!("{} (a.rs)", crate::plan::NOTHING_WRITTEN)),
    });
    let said = a.transcript.plain_text();
    let last = said.lines().last().unwrap_or_default();
    assert!(last.contains("Step 1 waits at its gate"), "{said}");
    assert!(
        last.contains("every change of this step was rejected"),
        "{last}"
    );
    assert!(!last.contains("finished"), "{last}");
}

#[test]
fn the_browser_lists_where_gearshift_runs_and_drops_a_deleted_sessions_preview() {
    use crate::browser::BrowserRequest;
    let mut a = app(120, 40);
    // Another workspace's session is open, read-only: "this workspace" is still here.
    a.session.workspace = "/elsewhere".into();
    a.here = "/work/project".into();
    let effects = press(&mut a, KeyCode::Char('s'), KeyModifiers::CONTROL);
    let [
        Effect::Browser(BrowserRequest::Load {
            ticket, workspace, ..
        }),
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(workspace.as_deref(), Some("/work/project"));
    a.on_browser_rows(
        *ticket,
        vec![
            row("one", "/work/project", 2),
            row("two", "/work/project", 2),
        ],
    );
    let ticket = browser(&a).preview_ticket_for_tests();
    a.on_browser_preview(ticket, vec!["you: the first one".into()]);
    assert!(!browser(&a).preview.is_empty());
    press(&mut a, KeyCode::Char('d'), KeyModifiers::NONE);
    press(&mut a, KeyCode::Char('y'), KeyModifiers::NONE);
    assert!(
        browser(&a).preview.is_empty(),
        "the deleted session's preview went"
    );
    // A late answer for the deleted one is not shown either.
    a.on_browser_preview(ticket, vec!["you: the first one".into()]);
    assert!(browser(&a).preview.is_empty());
    // Once the delete is done, the row now selected is previewed.
    let effects = a.on_browser_message("deleted one".into());
    assert!(
        matches!(effects.as_slice(), [Effect::Browser(BrowserRequest::Preview { id, .. })] if id == "two"),
        "{effects:?}"
    );
}

fn with_found_commands(a: &mut App) {
    a.on_core(&Event::Commands {
        commands: vec![
            crate::protocol::CommandInfo {
                name: "init".into(),
                hint: String::new(),
                description: "Propose an AGENTS.md".into(),
                kind: crate::protocol::CommandKind::Skill,
            },
            crate::protocol::CommandInfo {
                name: "fix-issue".into(),
                hint: "NUMBER".into(),
                description: "Fix a GitHub issue".into(),
                kind: crate::protocol::CommandKind::Custom,
            },
        ],
    });
}

#[test]
fn slash_opens_the_popup_which_completes_and_runs_a_command() {
    let mut a = app(120, 40);
    with_found_commands(&mut a);
    type_text(&mut a, "/");
    let all = a.completion().expect("the popup").len();
    assert_eq!(all, crate::commands::BUILTIN.len() + 2);
    type_text(&mut a, "ge");
    let names: Vec<String> = a
        .completion()
        .unwrap()
        .iter()
        .map(|c| c.name.clone())
        .collect();
    assert_eq!(names[0], "gear");
    assert_eq!(a.contexts()[0], KeyContext::Completion);
    // Tab completes the name, for its arguments; the popup is gone while they are typed.
    press(&mut a, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(composer_text(&a), "/gear ");
    assert_eq!(a.focus, Focus::Composer, "Tab did not move focus");
    assert!(a.completion().is_none());
    type_text(&mut a, "plan");
    let effects = press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(effects, [Effect::Send(Op::SetGear { gear: Gear::Plan })]);
    assert_eq!(composer_text(&a), "");
    // ↓ then Enter runs the selected one: /compact, second for "co"? first is compact.
    type_text(&mut a, "/co");
    press(&mut a, KeyCode::Down, KeyModifiers::NONE);
    let effects = press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(effects, [Effect::LoadStats], "/cost, the second");
    assert!(matches!(a.overlay(), Some(Overlay::Stats(_))));
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    // Esc closes the popup and keeps the text; typing brings it back.
    type_text(&mut a, "/he");
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    assert!(a.completion().is_none());
    assert_eq!(composer_text(&a), "/he");
    type_text(&mut a, "l");
    assert!(a.completion().is_some());
}

#[test]
fn an_unknown_command_is_refused_and_a_skill_or_custom_command_is_sent() {
    let mut a = app(120, 40);
    with_found_commands(&mut a);
    for c in "/clear".chars() {
        press(&mut a, KeyCode::Char(c), KeyModifiers::NONE);
    }
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    let effects = press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    assert!(effects.is_empty(), "never sent: {effects:?}");
    assert!(
        a.note
            .as_deref()
            .unwrap()
            .contains("unknown command /clear")
    );
    assert_eq!(composer_text(&a), "/clear", "kept to fix");
    a.reset_composer(Vec::new());
    type_text(&mut a, "/fix-issue 123");
    let effects = press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        effects,
        [Effect::Send(Op::Submit {
            text: "/fix-issue 123".into(),
            attachments: vec![]
        })]
    );
    // A path is a prompt, not a command.
    type_text(&mut a, "/usr/lib is big");
    let effects = press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    assert!(
        matches!(&effects[..], [Effect::Send(Op::Submit { text, .. })] if text == "/usr/lib is big")
    );
    // /new opens a new session; /help the help.
    type_text(&mut a, "/new");
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(
        press(&mut a, KeyCode::Enter, KeyModifiers::NONE),
        [Effect::NewSession]
    );
}

#[test]
fn the_palette_filters_every_action_and_command_and_runs_the_choice() {
    let mut a = app(120, 40);
    with_found_commands(&mut a);
    press(&mut a, KeyCode::Char('p'), KeyModifiers::CONTROL);
    let Some(Overlay::Palette(p)) = a.overlay() else {
        panic!("the palette")
    };
    let all = p.shown().count();
    assert!(all > 40, "{all}");
    assert!(
        p.shown()
            .any(|e| e.keys == "Alt+3" || e.keys.contains("Alt+3"))
    );
    type_text(&mut a, "focus diff");
    let Some(Overlay::Palette(p)) = a.overlay() else {
        panic!("the palette")
    };
    let first = p.shown().next().unwrap().clone();
    assert!(first.label.contains("diff review pane"), "{first:?}");
    press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    assert!(a.overlay().is_none());
    assert_eq!(a.focus, Focus::Diff);
    // A command with arguments waits for them in the composer.
    press(&mut a, KeyCode::Char('p'), KeyModifiers::CONTROL);
    type_text(&mut a, "fix-issue");
    press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(a.focus, Focus::Composer);
    assert_eq!(composer_text(&a), "/fix-issue ");
    // Esc closes it.
    press(&mut a, KeyCode::Char('p'), KeyModifiers::CONTROL);
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    assert!(a.overlay().is_none());
}

#[test]
fn ctrl_u_deletes_to_the_line_start_and_a_cleared_draft_comes_back_with_up() {
    let mut a = app(120, 40);
    type_text(&mut a, "keep this");
    press(&mut a, KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert_eq!(composer_text(&a), "");
    type_text(&mut a, "a long draft");
    press(&mut a, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(composer_text(&a), "");
    press(&mut a, KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(composer_text(&a), "a long draft");
    // Ctrl+G hands the prompt to the editor; what comes back replaces it.
    assert_eq!(
        press(&mut a, KeyCode::Char('g'), KeyModifiers::CONTROL),
        [Effect::EditPrompt("a long draft".into())]
    );
    a.on_prompt_edited(Ok("edited\nin vim\n".into()));
    assert_eq!(composer_text(&a), "edited\nin vim");
}

#[test]
fn a_destructive_pane_key_asks_to_be_pressed_again_and_a_stray_letter_goes_to_the_composer() {
    let mut a = app(120, 40);
    a.on_core(&one_step_plan());
    a.focus = Focus::Plan;
    let t0 = Instant::now();
    let first = a.on_terminal(key(KeyCode::Char('d'), KeyModifiers::NONE), t0);
    assert!(first.is_empty(), "nothing deleted yet: {first:?}");
    assert!(
        a.note
            .as_deref()
            .unwrap()
            .contains("press d again to delete the step")
    );
    // Too late: it asks again.
    let late = t0 + Duration::from_secs(5);
    assert!(
        a.on_terminal(key(KeyCode::Char('d'), KeyModifiers::NONE), late)
            .is_empty()
    );
    let again = a.on_terminal(
        key(KeyCode::Char('d'), KeyModifiers::NONE),
        late + Duration::from_millis(300),
    );
    assert!(
        matches!(
            &again[..],
            [Effect::Send(Op::EditPlan {
                edit: crate::protocol::PlanEdit::Delete { .. }
            })]
        ),
        "{again:?}"
    );
    // `w` is not a plan key: it starts a prompt in the composer.
    a.focus = Focus::Plan;
    type_text(&mut a, "write docs");
    assert_eq!(a.focus, Focus::Composer);
    assert_eq!(composer_text(&a), "write docs");
}

#[test]
fn a_prompt_sent_while_the_model_works_is_shown_queued_and_can_be_taken_back_or_sent_now() {
    let mut a = app(120, 40);
    a.busy = true;
    type_text(&mut a, "also check b");
    let effects = press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    assert!(
        matches!(&effects[..], [Effect::Send(Op::Submit { text, .. })] if text == "also check b")
    );
    assert_eq!(a.queued, ["also check b"]);
    // Esc takes it back (before anything is cancelled); the core's answer puts it in the
    // composer.
    assert_eq!(
        press(&mut a, KeyCode::Esc, KeyModifiers::NONE),
        [Effect::Send(Op::Unqueue)]
    );
    a.on_core(&Event::Unqueued {
        text: "also check b".into(),
    });
    assert!(a.queued.is_empty());
    assert_eq!(composer_text(&a), "also check b");
    // Ctrl+O (or Ctrl+Enter) sends it now: the turn stops, the prompt goes.
    let effects = press(&mut a, KeyCode::Char('o'), KeyModifiers::CONTROL);
    assert_eq!(effects[0], Effect::Send(Op::Cancel));
    assert!(matches!(&effects[1], Effect::Send(Op::Submit { text, .. }) if text == "also check b"));
    // Delivered: no longer queued.
    a.on_core(&Event::UserMessage {
        text: "also check b".into(),
        attachments: vec![],
    });
    assert!(a.queued.is_empty());
}

#[test]
fn a_wait_calls_back_only_while_the_terminal_is_unfocused_and_notifications_are_on() {
    let mut a = app(120, 40);
    let approval = Event::CommandApprovalRequested {
        id: "c1".into(),
        command: "ls".into(),
        checkpoint: None,
    };
    a.on_core(&approval);
    assert!(a.take_notifications().is_empty(), "focused");
    a.overlays.clear();
    a.on_terminal(TermEvent::FocusLost, Instant::now());
    a.on_core(&Event::Stage {
        event: crate::pipeline::StageEvent::AtGate {
            stage: "design".into(),
        },
    });
    assert_eq!(
        a.take_notifications(),
        ["gearshift: a pipeline stage waits at its gate"]
    );
    a.notify = crate::config::NotifyMethod::Off;
    a.on_core(&approval);
    assert!(a.take_notifications().is_empty(), "off");
    a.notify = crate::config::NotifyMethod::Osc777;
    a.on_terminal(TermEvent::FocusGained, Instant::now());
    a.on_core(&approval);
    assert!(a.take_notifications().is_empty(), "focused again");
}

#[test]
fn an_at_asks_for_the_files_and_again_once_the_list_is_old() {
    let mut a = app(120, 40);
    let t0 = Instant::now();
    let at = |a: &mut App, t| a.on_terminal(key(KeyCode::Char('@'), KeyModifiers::NONE), t);
    assert_eq!(at(&mut a, t0), [Effect::ListFiles]);
    a.on_files(Box::new(crate::file_index::FileIndex::of(&[
        "src/",
        "src/main.rs",
    ])));
    assert!(a.mention().is_some());
    a.on_terminal(key(KeyCode::Char(' '), KeyModifiers::NONE), t0);
    assert!(
        at(&mut a, t0 + Duration::from_secs(1)).is_empty(),
        "fresh enough"
    );
    a.on_terminal(key(KeyCode::Char(' '), KeyModifiers::NONE), t0);
    assert_eq!(
        at(&mut a, t0 + Duration::from_secs(11)),
        [Effect::ListFiles]
    );
    // Sent: the mentions that name a listed path are its attachments.
    a.reset_composer(Vec::new());
    type_text(&mut a, "see @src/main.rs and @nowhere");
    let effects = press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    assert!(
        matches!(&effects[..], [Effect::Send(Op::Submit { attachments, .. })] if attachments == &["src/main.rs"]),
        "{effects:?}"
    );
}

/// The screen `a` draws at 120×40, as text.
fn render(a: &mut App) -> String {
    a.prepare();
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| crate::view::draw(a, f)).unwrap();
    let buffer = terminal.backend().buffer();
    (0..40)
        .map(|y| {
            (0..120)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect::<String>()
                + "\n"
        })
        .collect()
}

#[test]
fn the_at_popup_follows_the_query_and_says_when_nothing_matches() {
    let mut a = app(120, 40);
    type_text(&mut a, "fix @");
    assert_eq!(
        a.mention_notice().as_deref(),
        Some("listing the workspace's files…"),
        "asked, not arrived yet"
    );
    a.on_files(Box::new(crate::file_index::FileIndex::of(&[
        "src/",
        "src/main.rs",
        "src/mail.rs",
        "docs/guide.md",
    ])));
    type_text(&mut a, "guide");
    a.files.as_deref_mut().unwrap().settle();
    let (query, shown) = a.mention().expect("a match");
    assert_eq!(
        (query.as_str(), shown),
        ("guide", vec!["docs/guide.md".to_string()])
    );
    let screen = render(&mut a);
    assert!(screen.contains("@docs/guide.md"), "{screen}");
    type_text(&mut a, "zz");
    a.files.as_deref_mut().unwrap().settle();
    assert!(a.mention().is_none());
    assert_eq!(
        a.mention_notice().as_deref(),
        Some("no file or folder matches @guidezz (of 4 listed)")
    );
    let screen = render(&mut a);
    assert!(
        screen.contains("no file or folder matches @guidezz"),
        "{screen}"
    );
    // Enter sends the prompt: a mention of nothing is text.
    let effects = press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    assert!(
        matches!(&effects[..], [Effect::Send(Op::Submit { attachments, .. })] if attachments.is_empty()),
        "{effects:?}"
    );
}

#[test]
fn a_fresher_file_list_replaces_the_old_one_only_once_it_has_ranked() {
    use crate::file_index::FileIndex;
    let mut a = app(120, 40);
    a.on_files(Box::new(FileIndex::of(&["src/old.rs"])));
    type_text(&mut a, "@rs");
    a.files.as_deref_mut().unwrap().settle();
    assert_eq!(a.mention().unwrap().1, ["src/old.rs"]);
    let mut fresher = FileIndex::of(&["src/old.rs", "src/new.rs"]);
    fresher.set_query("zz");
    a.on_files(Box::new(fresher));
    // Until the fresher list has ranked for "rs", the old one answers.
    if let Some(f) = a.fresher.as_deref_mut() {
        f.settle();
    }
    a.on_files_moved();
    assert!(a.fresher.is_none(), "adopted once ranked");
    let mut shown = a.mention().unwrap().1;
    shown.sort_unstable();
    assert_eq!(shown, ["src/new.rs", "src/old.rs"]);
}

#[test]
fn slash_model_opens_the_picker_or_switches_to_the_model_named() {
    let mut a = app(120, 40);
    // Started with `--model fake` on a provider whose config lists other models.
    a.session.is_demo = false;
    a.session.provider = "openai".into();
    a.session.model = "fake".into();
    a.models = vec![
        ModelChoice {
            provider: "anthropic".into(),
            model: "claude-opus-4".into(),
            facts: vec!["200k window".into(), "$15/$75 per M tokens".into()],
        },
        ModelChoice {
            provider: "deepseek".into(),
            model: "deepseek-chat".into(),
            facts: vec!["128k window".into()],
        },
    ];
    type_text(&mut a, "/model");
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    let Some(Overlay::Palette(p)) = a.overlay() else {
        panic!("the picker")
    };
    assert_eq!(p.title, "Models");
    // The model in use comes first, though the config does not list it (`--model`).
    let shown: Vec<&str> = p.shown().map(|e| e.label.as_str()).collect();
    assert_eq!(
        shown,
        [
            "openai/fake",
            "anthropic/claude-opus-4",
            "deepseek/deepseek-chat"
        ]
    );
    assert_eq!(p.shown().next().unwrap().keys, "in use");
    type_text(&mut a, "fake");
    let Some(Overlay::Palette(p)) = a.overlay() else {
        panic!("the picker")
    };
    let shown: Vec<&str> = p.shown().map(|e| e.label.as_str()).collect();
    assert_eq!(shown, ["openai/fake"], "the facts are not matched");
    for _ in 0..4 {
        press(&mut a, KeyCode::Backspace, KeyModifiers::NONE);
    }
    let screen = render(&mut a);
    assert!(
        screen.contains("Models — type to filter, Enter to switch to it"),
        "{screen}"
    );
    assert!(
        screen.contains("anthropic/claude-opus-4 — 200k window · $15/$75 per M tokens"),
        "{screen}"
    );
    // The filter matches the name, not the facts: "deep" is deepseek only.
    type_text(&mut a, "deep");
    let Some(Overlay::Palette(p)) = a.overlay() else {
        panic!("the picker")
    };
    assert_eq!(p.shown().count(), 1);
    assert_eq!(
        press(&mut a, KeyCode::Enter, KeyModifiers::NONE),
        [Effect::Send(Op::SetModel {
            provider: "deepseek".into(),
            model: "deepseek-chat".into()
        })]
    );
    // F2 opens the same picker.
    press(&mut a, KeyCode::F(2), KeyModifiers::NONE);
    assert!(matches!(a.overlay(), Some(Overlay::Palette(p)) if p.title == "Models"));
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    type_text(&mut a, "/model openai/gpt-5");
    assert_eq!(
        press(&mut a, KeyCode::Enter, KeyModifiers::NONE),
        [Effect::Send(Op::SetModel {
            provider: "openai".into(),
            model: "gpt-5".into()
        })]
    );
}

#[test]
fn slash_cost_opens_the_figures_read_in_the_background_with_bars_and_a_sparkline() {
    use crate::library::{RequestRow, overview};
    let mut a = app(120, 40);
    type_text(&mut a, "/cost");
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(
        press(&mut a, KeyCode::Enter, KeyModifiers::NONE),
        [Effect::LoadStats]
    );
    let draw = |a: &App| {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
        terminal.draw(|f| crate::view::draw(a, f)).unwrap();
        let buffer = terminal.backend().buffer().clone();
        (0..40)
            .map(|y| {
                (0..120)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
                    + "\n"
            })
            .collect::<String>()
    };
    assert!(draw(&a).contains("Reading the session store"));
    let now = 1_764_000_000_000;
    let row = |model: &str, days_ago: i64, cost: f64| RequestRow {
        ts: now - days_ago * 86_400_000,
        provider: "p".into(),
        model: model.into(),
        gear: "plan".into(),
        input: 10_000,
        output: 500,
        cached: 5_000,
        cost: Some(cost),
        latency_ms: Some(2_000),
        ttft_ms: Some(400),
        ..RequestRow::default()
    };
    let recent = vec![
        row("opus", 1, 1.5),
        row("opus", 0, 0.5),
        row("flash", 2, 0.01),
        row("flash", 10, 3.0),
    ];
    a.on_stats(overview(&recent, &recent[..2], now));
    a.prepare();
    let screen = draw(&a);
    for text in [
        "Cost and usage",
        "This session",
        "2 requests · 20.0k in (50% cached) · 1.0k out · $2.00",
        "Last 7 days: cost per model",
        "Last 7 days by model",
        "p/opus",
        "p/flash",
        "Cost per day",
        "$5.01 in all",
    ] {
        assert!(screen.contains(text), "{text}:\n{screen}");
    }
    // The bars: the dearest model's is the longer.
    let bar = |name: &str| {
        screen
            .lines()
            .find(|l| l.contains(name))
            .map_or(0, |l| l.matches('█').count())
    };
    assert!(bar("p/opus") > bar("p/flash"), "{screen}");
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    assert!(a.overlay().is_none());
}

#[test]
fn slash_checkpoints_lists_the_rules_in_force_and_this_sessions_stops() {
    use crate::config::CheckpointRule;
    let mut a = app(120, 40);
    type_text(&mut a, "/checkpoints");
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        a.transcript.count_containing("No [[checkpoints]] are set"),
        1
    );
    a.checkpoints = vec![CheckpointRule {
        name: "pushes".into(),
        reason: "nothing leaves unseen".into(),
        commands: vec!["git push*".into()],
        ..CheckpointRule::default()
    }];
    a.on_core(&Event::CommandApprovalRequested {
        id: "c1".into(),
        command: "git push origin main".into(),
        checkpoint: Some("checkpoint `pushes`: nothing leaves unseen".into()),
    });
    press(&mut a, KeyCode::Char('n'), KeyModifiers::NONE);
    press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    type_text(&mut a, "/checkpoints");
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    for text in [
        "Checkpoints in force (1):",
        "• pushes — commands git push* (nothing leaves unseen) · 1 stop(s) in this session",
        "stopped: run `git push origin main` — checkpoint `pushes`: nothing leaves unseen",
    ] {
        assert_eq!(a.transcript.count_containing(text), 1, "{text}");
    }
}

#[test]
fn hints_offer_only_what_would_act_and_work_notes_go_with_the_work() {
    let mut a = app(120, 40);
    a.on_core(&Event::TurnStarted { turn: 1 });
    a.on_core(&proposal());
    press(&mut a, KeyCode::Char('3'), KeyModifiers::ALT);
    a.prepare();
    let hinted = |a: &App| -> Vec<&'static str> {
        a.keymap
            .hints_where(&a.contexts(), |x| a.applies(x))
            .into_iter()
            .map(|(_, label)| label)
            .collect()
    };
    assert!(hinted(&a).contains(&"accept"), "{:?}", hinted(&a));
    assert!(!hinted(&a).contains(&"undo"), "nothing applied yet");
    // Written: no accept or reject any more, and an undo now.
    let hunk = a.diff.entry().unwrap().hunks[0].id.clone();
    a.on_core(&Event::HunkDecided {
        change: "call_1".into(),
        hunk: hunk.clone(),
        verdict: Verdict::Accept,
    });
    let written = crate::changes::FileChange::new("a.txt".into(), None, Some("x\n".into()));
    a.on_core(&Event::ChangeApplied {
        id: "call_1".into(),
        accepted: vec![hunk],
        rejected: vec![],
        written: Some(written),
    });
    a.prepare();
    let now = hinted(&a);
    assert!(
        !now.contains(&"accept") && !now.contains(&"reject"),
        "{now:?}"
    );
    assert!(now.contains(&"undo"), "{now:?}");
    a.on_core(&Event::ChangeUndone {
        id: "call_1".into(),
    });
    assert!(!hinted(&a).contains(&"undo"), "nothing left to undo");
    // "cancelling…" goes when the turn has ended.
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    a.focus = Focus::Composer;
    press(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(a.note.as_deref(), Some("cancelling…"));
    a.on_core(&Event::TurnFinished {
        reason: crate::protocol::FinishReason::Cancelled,
    });
    assert_eq!(a.note, None);
}

#[test]
fn a_fork_opens_as_a_fork_and_a_resume_shows_this_runs_model() {
    let history = vec![
        Event::UserMessage {
            text: "first".into(),
            attachments: vec![],
        },
        Event::ModelChanged {
            provider: "old".into(),
            model: "m0".into(),
            route: None,
            routed: false,
        },
        Event::SessionForked {
            from: "fedcba9876543210".into(),
        },
        Event::SessionResumed {
            provider: "now".into(),
            model: "m1".into(),
        },
    ];
    let (mut opened, events) = crate::fixtures::opened(history);
    opened.resumed = true;
    let config: crate::config::Config =
        toml::from_str(crate::config::DEFAULTS_TOML).unwrap_or_default();
    let provider = config.active_provider().unwrap();
    let mut a = App::new(
        Keymap::new(&std::collections::BTreeMap::new()).unwrap(),
        Theme::load("dark", std::path::Path::new("/none")).unwrap(),
        &opened,
        &provider,
        Vec::new(),
        Rect::new(0, 0, 120, 40),
    );
    a.replay_all(&events);
    let said = a.transcript.plain_text();
    assert!(said.contains("a fork of session fedcba98"), "{said}");
    assert!(!said.contains("Resumed session"), "{said}");
    assert_eq!(a.session.model_label, "now/m1");
}

#[test]
fn a_new_steps_title_and_detail_are_typed_in_the_plan_pane_and_nothing_leaks_to_the_composer() {
    let mut a = app(120, 40);
    a.on_core(&one_step_plan());
    press(&mut a, KeyCode::Char('2'), KeyModifiers::ALT);
    press(&mut a, KeyCode::Char('o'), KeyModifiers::NONE);
    type_text(&mut a, "docs");
    assert!(press(&mut a, KeyCode::Enter, KeyModifiers::NONE).is_empty());
    type_text(&mut a, "the API pages x");
    // The composer's keys edit the field: Ctrl+W takes the last word back.
    press(&mut a, KeyCode::Char('w'), KeyModifiers::CONTROL);
    let effects = press(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Send(Op::EditPlan {
                edit: crate::plan::PlanEdit::Add { title, detail, .. }
            })] if title == "docs" && detail.trim() == "the API pages"
        ),
        "{effects:?}"
    );
    assert_eq!(composer_text(&a), "", "nothing typed reached the composer");
    assert_eq!(a.focus, Focus::Plan);
}

#[test]
fn a_hook_whose_writes_the_gate_withheld_is_said_even_when_it_passed() {
    let mut a = app(120, 40);
    let run = |withheld: Vec<String>| crate::hooks::HookRun {
        event: crate::hooks::HookEvent::PostToolUse,
        command: "sh fmt.sh".into(),
        source: "config".into(),
        subject: Some("run_command".into()),
        duration_ms: 5,
        workspace: false,
        confined: true,
        wrote: vec!["notes.txt".into()],
        withheld,
        outcome: crate::hooks::HookOutcome::Passed { output: None },
    };
    a.on_core(&Event::HookRan {
        run: run(Vec::new()),
    });
    assert_eq!(
        a.transcript.count_containing("sh fmt.sh"),
        0,
        "a quiet pass adds nothing"
    );
    a.on_core(&Event::HookRan {
        run: run(vec!["AGENTS.md (memory files are instructions…)".into()]),
    });
    assert_eq!(
        a.transcript
            .count_containing("⚠ not written: AGENTS.md (memory files are instructions…)"),
        1
    );
}

#[test]
fn a_subagents_steps_show_in_its_cell_and_its_question_comes_labelled_with_it() {
    let mut a = app(120, 40);
    let from = |event: Event| Event::FromAgent {
        id: "task_1".into(),
        agent: "tester".into(),
        event: Box::new(event),
    };
    a.on_core(&Event::TurnStarted { turn: 1 });
    a.on_core(&Event::ToolCall {
        id: "task_1".into(),
        name: "task".into(),
        arguments: r#"{"agent":"tester","prompt":"Run the smoke test"}"#.into(),
    });
    a.on_core(&from(Event::ToolCall {
        id: "c1".into(),
        name: "read_file".into(),
        arguments: r#"{"path":"Makefile"}"#.into(),
    }));
    // Collapsed, the running cell shows what its subagent does now.
    assert!(render(&mut a).contains("└ … read_file Makefile"));
    a.on_core(&from(Event::ToolResult {
        id: "c1".into(),
        ok: true,
        content: "test:".into(),
        summary: "1 line".into(),
        duration_ms: 1,
    }));
    a.on_core(&from(Event::ToolCall {
        id: "c2".into(),
        name: "run_command".into(),
        arguments: r#"{"command":"make smoke"}"#.into(),
    }));
    a.on_core(&from(Event::CommandApprovalRequested {
        id: "task_1›c2".into(),
        command: "make smoke".into(),
        checkpoint: None,
    }));
    let screen = render(&mut a);
    assert!(
        screen.contains("Asked by the subagent `tester`"),
        "{screen}"
    );
    a.mark_drawn();
    // Another subagent's question arrives as a key is pressed: it waits under the one shown,
    // so the key answers what was on screen.
    a.on_core(&Event::FromAgent {
        id: "task_2".into(),
        agent: "tester".into(),
        event: Box::new(Event::CommandApprovalRequested {
            id: "q2".into(),
            command: "rm -rf build".into(),
            checkpoint: None,
        }),
    });
    assert_eq!(
        press(&mut a, KeyCode::Char('y'), KeyModifiers::NONE),
        [Effect::Send(Op::ApproveCommand {
            call_id: "task_1›c2".into(),
            always: false,
        })]
    );
    a.on_core(&from(Event::CommandDecided {
        id: "task_1›c2".into(),
        command: "make smoke".into(),
        decision: CommandDecision::Once,
    }));
    // Then the waiting one is shown.
    assert!(matches!(a.overlay(), Some(Overlay::Approval(p)) if p.id == "q2"));
    a.overlays.clear();
    a.on_core(&from(Event::ToolResult {
        id: "c2".into(),
        ok: false,
        content: "1 failed".into(),
        summary: "exit 2".into(),
        duration_ms: 1,
    }));
    // Opened, the cell lists every step.
    a.transcript.select_by(-1);
    a.transcript.toggle_selected();
    let screen = render(&mut a);
    assert!(
        screen.contains("✓ read_file Makefile") && screen.contains("✗ run_command make smoke"),
        "{screen}"
    );
    // What it spent is the turn's.
    a.on_core(&Event::AgentSpent {
        id: "task_1".into(),
        agent: "tester".into(),
        session: "child".into(),
        requests: 2,
        input: 3_000,
        output: 200,
        cached: 0,
        cost: Some(0.5),
        context: 3_200,
    });
    a.on_core(&Event::TurnFinished {
        reason: crate::protocol::FinishReason::Stop,
    });
    assert_eq!(a.session.cost, Some(0.5));
}

#[test]
fn steps_at_work_in_their_worktrees_show_a_cell_each_and_esc_cancels_them() {
    let mut a = app(120, 40);
    let step = |title: &str| crate::plan::StepSpec {
        title: title.into(),
        detail: String::new(),
        files: vec![],
        acceptance: None,
        children: vec![],
        independent: true,
    };
    a.on_core(&Event::PlanProposed {
        version: 1,
        steps: vec![step("Add the parser"), step("Add the printer")],
    });
    for s in ["s1", "s2"] {
        a.on_core(&Event::StepStatusChanged {
            step: s.into(),
            status: StepStatus::Working,
            note: Some(format!("on the branch gearshift/abc/{s}")),
        });
    }
    a.on_core(&Event::FromAgent {
        id: crate::plan::parallel::worker_id("s2"),
        agent: "worker".into(),
        event: Box::new(Event::ToolCall {
            id: "c1".into(),
            name: "write_file".into(),
            arguments: r#"{"path":"src/printer.rs"}"#.into(),
        }),
    });
    let screen = render(&mut a);
    assert!(
        screen.contains("worker step 1 — Add the parser")
            && screen.contains("worker step 2 — Add the printer")
            && screen.contains("└ … write_file src/printer.rs"),
        "{screen}"
    );
    // The plan pane marks them independent and at work.
    assert!(screen.contains("⇉") && screen.contains("∥"), "{screen}");
    // A worker's question says whose it is.
    a.on_core(&Event::FromAgent {
        id: crate::plan::parallel::worker_id("s2"),
        agent: "worker".into(),
        event: Box::new(Event::CommandApprovalRequested {
            id: "agent-1".into(),
            command: "cargo test".into(),
            checkpoint: None,
        }),
    });
    let screen = render(&mut a);
    assert!(
        screen.contains("Asked by the worker of step 2, in its worktree"),
        "{screen}"
    );
    a.overlays.clear();
    // At work, Esc stops them.
    assert_eq!(
        press(&mut a, KeyCode::Esc, KeyModifiers::NONE),
        [Effect::Send(Op::Cancel)]
    );
    a.on_core(&Event::StepStatusChanged {
        step: "s1".into(),
        status: StepStatus::Worked,
        note: Some("parser added".into()),
    });
    assert!(a.busy, "one is still at work");
    a.on_core(&Event::StepStatusChanged {
        step: "s2".into(),
        status: StepStatus::Approved,
        note: Some("cancelled while its worker was at work".into()),
    });
    assert!(!a.busy);
    let screen = render(&mut a);
    assert!(
        screen.contains("worked · its change comes back in plan order")
            && screen.contains("cancelled"),
        "{screen}"
    );
}

#[test]
fn a_change_a_subagent_brings_back_says_whose_it_is() {
    let mut a = app(120, 40);
    a.on_core(&Event::TurnStarted { turn: 1 });
    a.on_core(&Event::ToolCall {
        id: "task_7".into(),
        name: "task".into(),
        arguments: r#"{"agent":"writer","prompt":"Write the greeting"}"#.into(),
    });
    a.on_core(&Event::ChangeProposed {
        id: "task_7#1".into(),
        change: crate::changes::FileChange::new("hello.txt".into(), None, Some("hi\n".into())),
        context: 3,
        checkpoint: None,
    });
    assert_eq!(
        a.transcript
            .count_containing("The subagent `writer` brings back a change to hello.txt"),
        1
    );
}
