use ratatui::layout::Rect;

use crossterm::event::{KeyCode, KeyModifiers};

use super::*;
use crate::plan::StepSpec;
use crate::theme::Theme;

fn spec(title: &str, children: Vec<StepSpec>) -> StepSpec {
    StepSpec {
        title: title.into(),
        detail: format!("how to {title}"),
        files: vec![format!("src/{title}.rs")],
        acceptance: Some(format!("{title} works")),
        children,
        independent: false,
    }
}

pub fn proposed() -> Event {
    Event::PlanProposed {
        version: 1,
        steps: vec![
            spec(
                "parse",
                vec![spec("lexer", vec![]), spec("grammar", vec![])],
            ),
            spec("check", vec![]),
            spec("emit", vec![]),
        ],
    }
}

fn theme() -> Theme {
    Theme::load("dark", std::path::Path::new("/nonexistent")).unwrap()
}

#[test]
fn keys_become_plan_edits_for_the_selected_step() {
    let mut v = PlanView::default();
    assert!(matches!(v.approve(), PlanRequest::Note(_)));
    v.on_event(&proposed());
    assert_eq!(v.selected.as_deref(), Some("s1"));
    v.step(1);
    assert_eq!(v.selected.as_deref(), Some("s2"));
    assert_eq!(
        v.reject(),
        PlanRequest::Send(Op::EditPlan {
            edit: PlanEdit::Reject { step: "s2".into() }
        })
    );
    assert_eq!(
        v.move_step(false),
        PlanRequest::Send(Op::EditPlan {
            edit: PlanEdit::Move {
                step: "s2".into(),
                up: false
            }
        })
    );
    // p marks the step independent, and again unmarks it.
    let marked = v.toggle_independent();
    assert_eq!(
        marked,
        PlanRequest::Send(Op::EditPlan {
            edit: PlanEdit::Independent {
                step: "s2".into(),
                independent: true
            }
        })
    );
    let PlanRequest::Send(Op::EditPlan { edit }) = marked else {
        unreachable!()
    };
    v.on_event(&Event::PlanEdited { edit });
    assert_eq!(
        v.toggle_independent(),
        PlanRequest::Send(Op::EditPlan {
            edit: PlanEdit::Independent {
                step: "s2".into(),
                independent: false
            }
        })
    );
    // h goes to the parent, then collapses it; j skips the hidden children.
    v.fold(true);
    assert_eq!(v.selected.as_deref(), Some("s1"));
    v.fold(true);
    v.step(1);
    assert_eq!(v.selected.as_deref(), Some("s4"));
    v.step(-1);
    v.fold(false);
    v.step(1);
    assert_eq!(v.selected.as_deref(), Some("s2"));
}

fn key(c: KeyCode) -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::new(c, KeyModifiers::NONE)
}

fn ctrl(c: char) -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn type_text(v: &mut PlanView, text: &str) {
    for c in text.chars() {
        assert_eq!(v.type_key(&key(KeyCode::Char(c))), Some(PlanRequest::None));
    }
}

#[test]
fn edit_add_and_comment_are_typed_in_place() {
    let mut v = PlanView::default();
    v.on_event(&proposed());
    v.start('e');
    // The composer's keys: Ctrl+U clears the title back to its start.
    v.type_key(&ctrl('u'));
    type_text(&mut v, "read");
    assert_eq!(
        v.type_key(&key(KeyCode::Enter)),
        Some(PlanRequest::None),
        "Enter moves to the detail"
    );
    type_text(&mut v, " carefully");
    assert_eq!(
        v.type_key(&key(KeyCode::Enter)),
        Some(PlanRequest::Send(Op::EditPlan {
            edit: PlanEdit::Edit {
                step: "s1".into(),
                title: "read".into(),
                detail: "how to parse carefully".into()
            }
        }))
    );
    // `o` asks as `e` does: the title, then the detail — nothing typed goes elsewhere.
    v.start('o');
    type_text(&mut v, "docs");
    assert_eq!(v.type_key(&key(KeyCode::Enter)), Some(PlanRequest::None));
    type_text(&mut v, "the API pages");
    assert_eq!(
        v.type_key(&key(KeyCode::Enter)),
        Some(PlanRequest::Send(Op::EditPlan {
            edit: PlanEdit::Add {
                after: Some("s1".into()),
                id: "s6".into(),
                title: "docs".into(),
                detail: "the API pages".into(),
            }
        }))
    );
    v.on_event(&Event::PlanEdited {
        edit: PlanEdit::Add {
            after: Some("s1".into()),
            id: "s6".into(),
            title: "docs".into(),
            detail: String::new(),
        },
    });
    assert_eq!(
        v.selected.as_deref(),
        Some("s6"),
        "the new step is selected"
    );
    v.start('c');
    type_text(&mut v, "why?");
    assert!(matches!(
        v.type_key(&key(KeyCode::Enter)),
        Some(PlanRequest::Send(Op::EditPlan { edit: PlanEdit::Comment { step, text } })) if step == "s6" && text == "why?"
    ));
    // A key of the keymap is not the field's.
    v.start('c');
    assert_eq!(v.type_key(&key(KeyCode::F(1))), None);
}

#[test]
fn statuses_and_the_preview_are_laid_out() {
    let mut v = PlanView::default();
    v.on_event(&proposed());
    v.on_event(&Event::PlanEdited {
        edit: PlanEdit::ApproveAll,
    });
    v.on_event(&Event::StepStatusChanged {
        step: "s2".into(),
        status: StepStatus::AwaitingReview,
        note: Some("lexer written".into()),
    });
    v.prepare(
        Rect::new(0, 0, 60, 20),
        &theme(),
        &crate::keymap::Keymap::new(&std::collections::BTreeMap::new()).unwrap(),
    );
    let text = |lines: &[Line<'_>]| -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    };
    let header = text(std::slice::from_ref(&v.header));
    assert_eq!(header[0], "Plan v1 · 4/4 approved · 0/4 done");
    let tree = text(&v.tree);
    assert!(tree[0].starts_with("▾✓ 1 parse"), "{tree:?}");
    assert!(tree[1].starts_with("   ⏸ 1.1 lexer"), "{tree:?}");
    v.step(1);
    v.prepare(
        Rect::new(0, 0, 60, 20),
        &theme(),
        &crate::keymap::Keymap::new(&std::collections::BTreeMap::new()).unwrap(),
    );
    let preview = text(&v.preview);
    assert_eq!(preview[0], "awaiting review lexer");
    assert!(
        preview.contains(&"model: lexer written".to_string()),
        "{preview:?}"
    );
    assert!(preview.contains(&"files: src/lexer.rs".to_string()));
}

#[test]
fn sending_a_stage_back_before_any_plan_shows_the_comment_being_typed() {
    let mut v = PlanView {
        stages: Some(vec![Line::raw("requirements")]),
        input: Some(PlanInput::SendBack {
            text: TextField::new("add an error story"),
        }),
        ..PlanView::default()
    };
    v.prepare(
        Rect::new(0, 0, 60, 20),
        &theme(),
        &crate::keymap::Keymap::new(&std::collections::BTreeMap::new()).unwrap(),
    );
    let footer: String = v.footer.spans.iter().map(|s| s.content.as_ref()).collect();
    assert!(
        footer.starts_with("send back with: add an error story"),
        "{footer}"
    );
}

#[test]
fn a_move_at_the_edge_is_refused_a_deleted_last_step_keeps_the_selection_near_and_esc_keeps_a_typed_title()
 {
    let mut v = PlanView::default();
    v.on_event(&proposed());
    // `K` on the first step: nothing would move, so nothing is sent.
    assert_eq!(
        v.move_step(true),
        PlanRequest::Note("step 1 is already the first among its siblings".into())
    );
    // Deleting the last row selects the row above it, not step 1.
    v.step(4);
    assert_eq!(v.selected.as_deref(), Some("s5"));
    v.on_event(&Event::PlanEdited {
        edit: PlanEdit::Delete { step: "s5".into() },
    });
    assert_eq!(v.selected.as_deref(), Some("s4"));
    // Esc in the detail of an edit keeps the title typed before it.
    v.start('e');
    type_text(&mut v, "!");
    assert_eq!(v.enter(), PlanRequest::None, "Enter moves on to the detail");
    type_text(&mut v, "?");
    assert_eq!(
        v.escape(),
        PlanRequest::Send(Op::EditPlan {
            edit: PlanEdit::Edit {
                step: "s4".into(),
                title: "check!".into(),
                detail: "how to check".into(),
            }
        })
    );
    assert!(v.input.is_none());
    // Esc in the title drops the edit.
    v.start('e');
    type_text(&mut v, "!");
    assert_eq!(v.escape(), PlanRequest::None);
}
