//! Every text gearshift writes for the model, in one place: the gears' system prompts
//! (`assets/prompts/`), the instructions that start a plan step or a pipeline stage, and the
//! tool results the session writes itself. What a stored session says was recorded when it
//! ran; changing a wording here changes only what new sessions are told.

use std::fmt::Write as _;

use crate::changes::Drift;
use crate::plan::Plan;
use crate::protocol::Gear;

/// The system prompt of each gear (`assets/prompts/`).
#[must_use]
pub fn gear_prompt(gear: Gear) -> &'static str {
    match gear {
        Gear::Vibe => include_str!("../../../../assets/prompts/vibe.md"),
        Gear::Plan => include_str!("../../../../assets/prompts/plan.md"),
        Gear::Pipeline => include_str!("../../../../assets/prompts/pipeline.md"),
    }
}

/// The result of `propose_plan`.
#[must_use]
pub fn plan_proposed(version: u32, steps: usize) -> String {
    format!(
        "Plan version {version} with {steps} steps is now with the user, who edits and approves \
         it. Stop here; approved steps will be given to you one at a time."
    )
}

/// An attached file is cut at this many bytes (the note says how to read on).
pub const ATTACHMENT_BYTES: usize = 32 * 1024;

/// The files a prompt `@`-mentions: (path, whether it could be read, what was read).
#[must_use]
pub fn attached(files: &[(String, bool, String)]) -> String {
    let mut out = String::from("Files the user attached to this prompt (@-mentioned):");
    for (path, ok, content) in files {
        let _ = write!(out, "\n\n### {path}\n");
        if !ok {
            let _ = write!(out, "[not attached: {content}]");
            continue;
        }
        if content.len() > ATTACHMENT_BYTES {
            let mut cut = ATTACHMENT_BYTES;
            while !content.is_char_boundary(cut) {
                cut -= 1;
            }
            let _ = write!(
                out,
                "{}\n[cut at {} KB of {} KB: read the rest with read_file]",
                &content[..cut],
                ATTACHMENT_BYTES / 1024,
                content.len().div_ceil(1024)
            );
        } else {
            out.push_str(content);
        }
    }
    out
}

/// How a command the user ran with `!` ended: `exit N`, or `stopped` (killed, cancelled).
#[must_use]
pub fn exit_status(exit_code: Option<i32>) -> String {
    exit_code.map_or_else(|| "stopped".to_string(), |c| format!("exit {c}"))
}

/// A command the user ran with `!`, as the model reads it.
#[must_use]
pub fn shell_ran(command: &str, output: &str, exit_code: Option<i32>) -> String {
    let status = exit_status(exit_code);
    format!(
        "The user ran a command in the workspace ({status}):\n$ {command}\n```\n{}\n```",
        output.trim_end()
    )
}

/// Said after [`plan_proposed`] when gearshift ended the plan with the memory step.
#[must_use]
pub fn memory_step_added(number: usize) -> String {
    format!(
        " gearshift added step {number}, \"{}\": once the others are done, propose AGENTS.md \
         updates for what they introduced.",
        crate::plan::MEMORY_STEP
    )
}

/// The result of `complete_step` or `fail_step`.
#[must_use]
pub fn step_ended(number: &str, failed: bool) -> String {
    if failed {
        format!("Step {number} is marked failed; execution stops for the user.")
    } else {
        format!("Step {number} is complete; the user reviews it before the next step. Stop here.")
    }
}

/// A write to a protected path in a run without a human.
#[must_use]
pub fn protected_headless(path: &str, why: &str) -> String {
    format!(
        "not written: {path} is protected — {why}. A run without a human never writes it; tell \
         the user what it should contain."
    )
}

/// The memory files of folders the model just opened files in (`sections` in the format of
/// [`crate::core::memory`], so the context pane can name each).
#[must_use]
pub fn nested_memory(sections: &str) -> String {
    format!(
        "Note from gearshift: project instructions of the folders you just opened files in \
         (they apply to the files there, with the ones you already have):{sections}"
    )
}

/// Files the model wrote that changed since (see `core::drift`), told before its
/// next request so its history never claims a change that is gone.
#[must_use]
pub fn files_changed(files: &[(String, Drift)]) -> String {
    let mut out = String::from(
        "Note from gearshift: files you wrote changed since your last edit of them. Work from \
         what is there now, and read a file again before editing it.\n",
    );
    for (path, drift) in files {
        let _ = match drift {
            Drift::Undone { created: true } => writeln!(
                out,
                "- {path}: the user undid your change; the file you created no longer exists."
            ),
            Drift::Undone { created: false } => writeln!(
                out,
                "- {path}: the user undid your change; it is back as it was before your edit."
            ),
            Drift::MovedBack { from } => writeln!(
                out,
                "- {path}: the user undid your move; the file is back at {from}."
            ),
            Drift::Deleted => writeln!(out, "- {path}: deleted since you wrote it."),
            Drift::Recreated => writeln!(
                out,
                "- {path}: exists again (you had deleted or moved it); read it before using it."
            ),
            Drift::Edited { diff: Some(diff) } => writeln!(
                out,
                "- {path}: edited since you wrote it (by the user or a command):\n```diff\n{}\n```",
                diff.trim_end()
            ),
            Drift::Edited { diff: None } => writeln!(
                out,
                "- {path}: edited since you wrote it (by the user or a command), too much to \
                 show here: read it again."
            ),
        };
    }
    out.trim_end().to_string()
}

/// The skills catalog in the system prompt: each skill's name and the start of its
/// description (the body is loaded on demand with the `skill` tool). Empty without skills.
#[must_use]
pub fn skill_catalog(skills: &crate::tools::Skills) -> String {
    /// Characters of a description the catalog shows: 50 skills stay near 2,500 tokens.
    const SHOWN: usize = 160;
    if skills
        .values()
        .all(crate::pipeline::skill::Skill::user_only)
    {
        return String::new();
    }
    let mut out = String::from(
        "\n\n# Skills\n\nSkills are instructions for particular tasks. When a task fits a \
         skill's description, load it with the `skill` tool before you start, and follow it. The \
         user may also ask for one by name (`/name`).\n",
    );
    for s in skills.values().filter(|s| !s.user_only()) {
        let description: String = s
            .description
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let cut: String = description.chars().take(SHOWN).collect();
        let more = if cut.len() < description.len() {
            "…"
        } else {
            ""
        };
        let _ = writeln!(out, "- {}: {cut}{more}", s.name);
    }
    out
}

/// The user invoked a skill from the composer (`/name args`): its instructions, loaded.
#[must_use]
pub fn skill_invoked(name: &str, args: &str, loaded: &str) -> String {
    let what = if args.is_empty() {
        String::new()
    } else {
        format!(" for: {args}")
    };
    format!("The user invoked the skill `{name}`{what}. Follow it.\n\n{loaded}")
}

/// The user denied a command, with their reason if they gave one.
#[must_use]
pub fn command_denied(reason: Option<&str>) -> String {
    match reason {
        Some(r) => format!("The user denied running this command: {r}"),
        None => "The user denied running this command.".to_string(),
    }
}

/// The prompt `r` (revise) sends with the plan as the human left it.
#[must_use]
pub fn revise_plan(rendered: &str) -> String {
    format!(
        "Please revise the plan with my edits and comments, and propose it again with \
         propose_plan.\n\nThe plan as I left it:\n\n{rendered}"
    )
}

/// The result of a change sent back unapplied, with the human's hunk comments.
#[must_use]
pub fn sent_back(path: &str, conflicted: bool, comments: &[(usize, String, String)]) -> String {
    let mut text = format!("The user sent your change to {path} back without applying any of it");
    if conflicted {
        text.push_str(": the file changed on disk after you read it");
    }
    text.push_str(". Read the file again and propose the change afresh.");
    for (n, header, comment) in comments {
        text.push_str(&format!("\n- on hunk {n} {header}: {comment}"));
    }
    text
}

/// What the model is told when a step starts: the step, then the plan as approved.
#[must_use]
pub fn step(plan: &Plan, id: &str) -> String {
    brief(
        plan,
        id,
        "Work on this step only. Each edit you make is proposed to the user for review before \
         it reaches the disk. When the step is done, call complete_step with a short summary; \
         if it cannot be done, call fail_step with the reason.",
    )
}

/// What a worker is told: the step, run in a worktree of its own (see `worktree`).
#[must_use]
pub fn worker_step(plan: &Plan, id: &str) -> String {
    brief(
        plan,
        id,
        "You work in a git worktree of your own: a scratch copy of the workspace where your \
         edits are written at once, while the steps marked independent run beside you in \
         theirs. Work on this step only, and touch no file another step names. When the step \
         is done, answer with a short summary of what you changed and how you checked it; your \
         change is then merged onto the workspace for the user's review, hunk by hunk. If it \
         cannot be done, say why and change nothing.",
    )
}

/// The step and the plan as approved, for whoever runs it, then `how` it is run (nothing
/// when there is no such step).
fn brief(plan: &Plan, id: &str, how: &str) -> String {
    let Some((number, _, step)) = plan.walk().find(|(_, _, s)| s.id == id) else {
        return String::new();
    };
    let mut out = format!("Run step {number} of the approved plan: {}\n", step.title);
    if !step.detail.is_empty() {
        let _ = writeln!(out, "\n{}", step.detail);
    }
    if !step.files.is_empty() {
        let _ = writeln!(out, "\nFiles: {}", step.files.join(", "));
    }
    if let Some(a) = &step.acceptance {
        let _ = writeln!(out, "Done when: {a}");
    }
    for c in &step.comments {
        let _ = writeln!(out, "The user's comment: {c}");
    }
    let _ = write!(out, "\nThe plan as approved:\n\n{}\n{how}", plan.render());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::SessionState;
    use crate::core::state::instructions;
    use crate::pipeline::StageEvent;
    use crate::protocol::Event;

    #[test]
    fn attachments_are_cut_with_a_note_and_a_failed_one_says_why() {
        let big = "x".repeat(ATTACHMENT_BYTES + 10);
        let text = attached(&[
            ("big.txt".into(), true, big),
            ("gone.rs".into(), false, "gone.rs does not exist".into()),
        ]);
        assert!(text.contains("### big.txt"));
        assert!(text.contains("[cut at 32 KB of 33 KB: read the rest with read_file]"));
        assert!(text.contains("### gone.rs\n[not attached: gone.rs does not exist]"));
        assert!(text.len() < ATTACHMENT_BYTES + 400);
    }

    fn state_with_run() -> SessionState {
        let skills = crate::pipeline::skill::discover(crate::pipeline::skill::Roots {
            config_dir: None,
            home: None,
            workspace: std::path::Path::new("/nonexistent"),
        })
        .skills;
        let pipeline = crate::pipeline::parse(
            std::path::Path::new("engineering.toml"),
            crate::pipeline::ENGINEERING,
            &skills,
        )
        .unwrap();
        let bodies = skills
            .iter()
            .map(|(k, s)| (k.clone(), format!("BODY OF {k}: {}", s.body.len())))
            .collect();
        SessionState::fold(&[Event::PipelineStarted {
            pipeline,
            skills: bodies,
            request: "add a greeting".into(),
        }])
    }

    fn said(state: &SessionState, event: StageEvent) -> Vec<String> {
        instructions(state, &Event::Stage { event })
            .into_iter()
            .map(|(t, _)| t)
            .collect()
    }

    #[test]
    fn every_kind_of_stage_carries_its_skill_once() {
        let s = state_with_run();
        let started = |stage: &str| {
            said(
                &s,
                StageEvent::Started {
                    stage: stage.into(),
                },
            )
        };
        assert!(started("requirements")[0].contains("BODY OF requirements"));
        assert!(started("tasks")[0].contains("BODY OF tasks"));
        // The approved tasks run as steps: the implement skill is said before them.
        let implement = started("implement");
        assert_eq!(implement.len(), 1);
        assert!(implement[0].contains("BODY OF implement"), "{implement:?}");
        // Verify: the skill with the first failure, not again with every round.
        assert!(started("verify").is_empty());
        let failed = |round| {
            said(
                &s,
                StageEvent::VerifyFailed {
                    round,
                    output: "1 failed".into(),
                },
            )
        };
        assert!(failed(1)[0].contains("BODY OF verify"));
        assert!(!failed(2)[0].contains("BODY OF verify"));
        assert!(failed(2)[0].contains("round 2"));
    }
}
