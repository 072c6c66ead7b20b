use super::parallel::{Next, next};
use super::*;

fn spec(title: &str, children: Vec<StepSpec>) -> StepSpec {
    StepSpec {
        title: title.into(),
        detail: format!("how to {title}"),
        files: vec![],
        acceptance: None,
        children,
        independent: false,
    }
}

fn plan() -> Plan {
    Plan::propose(
        1,
        &[
            spec(
                "parse",
                vec![spec("lexer", vec![]), spec("grammar", vec![])],
            ),
            spec("check", vec![]),
            spec("emit", vec![]),
        ],
    )
    .unwrap()
}

fn numbers(p: &Plan) -> Vec<(String, String)> {
    p.walk().map(|(n, _, s)| (n, s.title.clone())).collect()
}

#[test]
fn numbering_follows_position_and_ids_stay() {
    let p = plan();
    assert_eq!(
        numbers(&p),
        [
            ("1".into(), "parse".into()),
            ("1.1".into(), "lexer".into()),
            ("1.2".into(), "grammar".into()),
            ("2".into(), "check".into()),
            ("3".into(), "emit".into()),
        ]
    );
    assert_eq!(p.step("s2").unwrap().title, "lexer");
    assert_eq!(p.new_id(), "s6");
}

#[test]
fn approval_and_rejection_cascade_to_children() {
    let mut p = plan();
    p.apply(&PlanEdit::Approve { step: "s1".into() }).unwrap();
    assert!(
        ["s1", "s2", "s3"]
            .iter()
            .all(|id| p.step(id).unwrap().status == StepStatus::Approved)
    );
    assert_eq!(p.step("s4").unwrap().status, StepStatus::Proposed);
    p.apply(&PlanEdit::Reject { step: "s1".into() }).unwrap();
    assert_eq!(p.step("s3").unwrap().status, StepStatus::Rejected);
    // `A` approves what is proposed; what the human rejected stays rejected.
    p.apply(&PlanEdit::ApproveAll).unwrap();
    assert_eq!(p.counts(), (2, 0, 4));
    assert_eq!(p.step("s1").unwrap().status, StepStatus::Rejected);
    assert_eq!(p.step("s4").unwrap().status, StepStatus::Approved);
}

#[test]
fn move_delete_add_edit_and_comment() {
    let mut p = plan();
    p.apply(&PlanEdit::Move {
        step: "s5".into(),
        up: true,
    })
    .unwrap();
    assert_eq!(p.number("s5").unwrap(), "2");
    assert_eq!(p.number("s4").unwrap(), "3");
    // Moving past the end is refused (so it is never recorded) and changes nothing.
    assert!(
        p.apply(&PlanEdit::Move {
            step: "s2".into(),
            up: true,
        })
        .is_err()
    );
    assert_eq!(p.number("s2").unwrap(), "1.1");
    p.apply(&PlanEdit::Add {
        after: Some("s2".into()),
        id: p.new_id(),
        title: "tokens".into(),
        detail: String::new(),
    })
    .unwrap();
    assert_eq!(p.number("s6").unwrap(), "1.2");
    assert_eq!(p.number("s3").unwrap(), "1.3");
    assert_eq!(p.new_id(), "s7");
    p.apply(&PlanEdit::Delete { step: "s3".into() }).unwrap();
    assert!(p.step("s3").is_none());
    p.apply(&PlanEdit::Edit {
        step: "s6".into(),
        title: "token kinds".into(),
        detail: "an enum".into(),
    })
    .unwrap();
    assert_eq!(p.step("s6").unwrap().detail, "an enum");
    p.apply(&PlanEdit::Comment {
        step: "s4".into(),
        text: "reuse the old checker".into(),
    })
    .unwrap();
    assert!(p.render().contains("user's comment: reuse the old checker"));
    assert_eq!(
        p.apply(&PlanEdit::Delete {
            step: "nope".into()
        }),
        Err(PlanError::NoStep("nope".into()))
    );
    // A step that has run cannot be edited or deleted.
    p.set_status("s4", StepStatus::Done, Some("checked".into()));
    assert_eq!(
        p.apply(&PlanEdit::Delete { step: "s4".into() }),
        Err(PlanError::Started("s4".into()))
    );
}

#[test]
fn execution_order_skips_rejected_and_settles_parents() {
    let mut p = plan();
    p.apply(&PlanEdit::ApproveAll).unwrap();
    p.apply(&PlanEdit::Reject { step: "s3".into() }).unwrap();
    assert_eq!(next(&p, 1), Next::Run(vec!["s2".into()]));
    p.set_status("s2", StepStatus::Running, None);
    assert_eq!(p.active().unwrap().id, "s2");
    p.set_status("s2", StepStatus::Done, Some("lexer done".into()));
    // The parent is done: its other child was rejected.
    assert_eq!(p.step("s1").unwrap().status, StepStatus::Done);
    assert_eq!(next(&p, 1), Next::Run(vec!["s4".into()]));
    p.set_status("s4", StepStatus::Failed, Some("no checker".into()));
    assert_eq!(next(&p, 1), Next::Run(vec!["s5".into()]));
}

#[test]
fn proposals_are_validated() {
    assert_eq!(Plan::propose(1, &[]), Err(PlanError::Empty));
    let deep = spec(
        "a",
        vec![spec("b", vec![spec("c", vec![spec("d", vec![])])])],
    );
    assert_eq!(Plan::propose(1, &[deep]), Err(PlanError::TooDeep));
    assert_eq!(
        Plan::propose(1, &[spec(" ", vec![])]),
        Err(PlanError::Empty)
    );
}

#[test]
fn a_move_that_moves_nothing_is_refused() {
    let mut p = Plan::propose(
        1,
        &[
            StepSpec {
                title: "a".into(),
                detail: String::new(),
                files: vec![],
                acceptance: None,
                children: vec![],
                independent: false,
            },
            StepSpec {
                title: "b".into(),
                detail: String::new(),
                files: vec![],
                acceptance: None,
                children: vec![],
                independent: false,
            },
        ],
    )
    .unwrap();
    let first = p.steps[0].id.clone();
    let before = p.clone();
    assert!(matches!(
        p.apply(&PlanEdit::Move {
            step: first.clone(),
            up: true
        }),
        Err(PlanError::AtEdge(_, "first"))
    ));
    assert_eq!(p, before);
    assert!(
        p.apply(&PlanEdit::Move {
            step: first,
            up: false
        })
        .is_ok()
    );
}
