//! Which approved steps run at the same time, and in what order their work comes back.
//!
//! Steps the plan marks independent run together when they are next in line: the first
//! approved step and the approved, independent steps right after it in plan order, each by a
//! worker in a git worktree of its own. Their changes then come back one at a time, in plan
//! order, each to its own gate, so a later step's change is merged onto what the human
//! accepted of the earlier ones.

use super::{Plan, Step, StepStatus};

/// The id a worked step's change set goes by (its changes are `ID#1`, `ID#2`, …): made from
/// the session's id, which the model never reads, so none of its calls is taken for one; and
/// from `n`, the number of changes the session had, so no two merges share one (a later plan
/// numbers its steps from `s1` again).
#[must_use]
pub fn merge_call(session: &str, step: &str, n: usize) -> String {
    format!("merge-{step}.{n}-{session}")
}

/// The step whose worked change `change` (a change's id, or its set's) belongs to, in session
/// `session`.
#[must_use]
pub fn merged_step<'a>(change: &'a str, session: &str) -> Option<&'a str> {
    let (step, n) = crate::changes::call_of(change)
        .strip_prefix("merge-")?
        .strip_suffix(session)?
        .strip_suffix('-')?
        .split_once('.')?;
    (!step.is_empty() && n.parse::<usize>().is_ok()).then_some(step)
}

/// The name a step's worker goes by for the front ends: its events (`Event::FromAgent`), its
/// spend (`Event::AgentSpent`) and its cell in the chat.
#[must_use]
pub fn worker_id(step: &str) -> String {
    format!("worker:{step}")
}

/// The step whose worker `id` names (see [`worker_id`]).
#[must_use]
pub fn worker_step(id: &str) -> Option<&str> {
    id.strip_prefix("worker:")
}

/// What the run key does next with a plan whose active step, if any, is settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Run this approved step (with these independent neighbours at the same time when there
    /// are any: the step itself comes first).
    Run(Vec<String>),
    /// Bring back this step's worked change for its review.
    Merge(String),
    /// These steps were at work in their worktrees when the session stopped (the run key is
    /// only heard when no worker runs): they start again, afresh.
    Rework(Vec<String>),
    /// Nothing approved is left to run or merge.
    Done,
}

/// The next thing to do, in plan order; `max` is how many steps may work at once (1: one at
/// a time, whatever the plan marks).
#[must_use]
pub fn next(plan: &Plan, max: usize) -> Next {
    let leaves: Vec<&Step> = plan
        .walk()
        .map(|(_, _, s)| s)
        .filter(|s| s.children.is_empty())
        .collect();
    let Some(i) = leaves.iter().position(|s| {
        matches!(
            s.status,
            StepStatus::Approved | StepStatus::Working | StepStatus::Worked
        )
    }) else {
        return Next::Done;
    };
    let first = leaves[i];
    match first.status {
        // Steps no longer run at the same time: it runs again alone.
        StepStatus::Working if max <= 1 => return Next::Run(vec![first.id.clone()]),
        StepStatus::Working => {
            return Next::Rework(
                leaves
                    .iter()
                    .filter(|s| s.status == StepStatus::Working)
                    .map(|s| s.id.clone())
                    .collect(),
            );
        }
        StepStatus::Worked => return Next::Merge(first.id.clone()),
        _ => {}
    }
    let mut batch = vec![first.id.clone()];
    if first.independent {
        batch.extend(
            leaves[i + 1..]
                .iter()
                .take_while(|s| s.status == StepStatus::Approved && s.independent)
                .take(max.saturating_sub(1))
                .map(|s| s.id.clone()),
        );
    }
    Next::Run(batch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{PlanEdit, StepSpec};

    fn plan(marks: &[bool]) -> Plan {
        let specs: Vec<StepSpec> = marks
            .iter()
            .enumerate()
            .map(|(i, independent)| StepSpec {
                title: format!("step {}", i + 1),
                detail: String::new(),
                files: Vec::new(),
                acceptance: None,
                children: Vec::new(),
                independent: *independent,
            })
            .collect();
        let mut p = Plan::propose(1, &specs).unwrap();
        p.apply(&PlanEdit::ApproveAll).unwrap();
        p
    }

    #[test]
    fn independent_neighbours_run_together_up_to_the_limit_and_come_back_in_order() {
        let mut p = plan(&[true, true, true, false, true]);
        assert_eq!(
            next(&p, 3),
            Next::Run(vec!["s1".into(), "s2".into(), "s3".into()])
        );
        assert_eq!(next(&p, 2), Next::Run(vec!["s1".into(), "s2".into()]));
        // One at a time when parallel steps are off.
        assert_eq!(next(&p, 1), Next::Run(vec!["s1".into()]));
        for s in ["s1", "s2", "s3"] {
            p.set_status(s, StepStatus::Working, None);
        }
        p.set_status("s2", StepStatus::Worked, None);
        // Asked with no worker running (the session stopped): what was at work starts again.
        assert_eq!(next(&p, 3), Next::Rework(vec!["s1".into(), "s3".into()]));
        // The first in plan order comes back first, whoever finished first.
        p.set_status("s3", StepStatus::Worked, None);
        p.set_status("s1", StepStatus::Worked, None);
        assert_eq!(next(&p, 3), Next::Merge("s1".into()));
        p.set_status("s1", StepStatus::Done, None);
        assert_eq!(next(&p, 3), Next::Merge("s2".into()));
        p.set_status("s2", StepStatus::Done, None);
        p.set_status("s3", StepStatus::Done, None);
        // A step not marked independent runs alone, and does not join the next one.
        assert_eq!(next(&p, 3), Next::Run(vec!["s4".into()]));
        p.set_status("s4", StepStatus::Done, None);
        assert_eq!(next(&p, 3), Next::Run(vec!["s5".into()]));
        p.set_status("s5", StepStatus::Done, None);
        assert_eq!(next(&p, 3), Next::Done);
    }

    #[test]
    fn a_merges_change_names_its_step_in_its_session_only() {
        let id = format!("{}#2", merge_call("abc123", "s4", 17));
        assert_eq!(merged_step(&id, "abc123"), Some("s4"));
        assert_eq!(merged_step(&id, "other"), None);
        assert_ne!(
            merge_call("abc123", "s4", 17),
            merge_call("abc123", "s4", 18)
        );
        assert_eq!(merged_step("merge-.1-abc123#1", "abc123"), None);
        assert_eq!(merged_step("merge-s1-abc123#1", "abc123"), None);
        assert_eq!(merged_step("call_1#1", "abc123"), None);
        assert_eq!(worker_step(&worker_id("s2")), Some("s2"));
    }

    #[test]
    fn the_human_marks_a_step_independent_or_not_before_it_runs() {
        let mut p = plan(&[true, true]);
        let alone = PlanEdit::Independent {
            step: "s2".into(),
            independent: false,
        };
        p.apply(&alone).unwrap();
        assert_eq!(next(&p, 3), Next::Run(vec!["s1".into()]));
        p.apply(&PlanEdit::Independent {
            step: "s2".into(),
            independent: true,
        })
        .unwrap();
        assert_eq!(next(&p, 3), Next::Run(vec!["s1".into(), "s2".into()]));
        p.set_status("s2", StepStatus::Working, None);
        assert_eq!(
            p.apply(&alone),
            Err(crate::plan::PlanError::Started("s2".into()))
        );
    }

    #[test]
    fn a_rejected_step_ends_the_batch_and_a_dependent_step_never_starts_one() {
        let mut p = plan(&[false, true, true]);
        assert_eq!(next(&p, 3), Next::Run(vec!["s1".into()]));
        p.set_status("s1", StepStatus::Done, None);
        p.apply(&PlanEdit::Reject { step: "s3".into() }).unwrap();
        assert_eq!(next(&p, 3), Next::Run(vec!["s2".into()]));
    }
}
