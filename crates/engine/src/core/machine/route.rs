//! Where a tool call goes, and what its result does. The registry says what kind of tool it
//! is; the gear (through `shape::tool_offered`) says whether it may run now; the session's
//! own tools (a plan, the end of a step) are recorded here rather than run; commands and
//! mutating external tools go through approval.

use std::time::Duration;

use super::approval::{ask, ask_at, decided};
use super::gates::{result_event, running_step};
use super::{ApprovalMode, Effect, Facts};
use crate::changes::change_id;
use crate::core::{SessionState, shape};
use crate::plan::{Plan, StepSpec, StepStatus};
use crate::protocol::{CommandDecision, Event, Verdict};
use crate::provider::ToolCallRequest;
use crate::tools::{self, Registry, ToolKind, ToolOutcome};

/// Routes the next tool call. `listed` says how the command is pre-approved, with the sandbox
/// in force: the allowlist, or an active skill's `allowed-tools` (the shell asks the sandbox,
/// which may mean waiting for its probe, only for commands). `checkpoint` is the
/// `[[checkpoints]]` rule the call matches, if any: it is then asked about whatever would
/// have let it through.
#[must_use]
pub fn route(
    state: &SessionState,
    registry: &Registry,
    call: ToolCallRequest,
    listed: Option<CommandDecision>,
    checkpoint: Option<String>,
    facts: Facts,
) -> Vec<Effect> {
    let Some(tool) = registry.get(&call.name) else {
        // Unknown tools run into the registry's own "no such tool" result.
        return vec![Effect::RunTool(call)];
    };
    if !shape::tool_offered(state, registry, &call.name) {
        let outcome = ToolOutcome::error(format!(
            "`{}` is not available in the {} gear; use the tools offered in this request",
            call.name, state.gear
        ));
        return vec![
            Effect::Record(vec![result_event(&call, &outcome, Duration::ZERO)]),
            Effect::NextCall,
        ];
    }
    if shape::phase(state) == tools::Phase::Memory && tool.kind() == ToolKind::Write {
        let paths = tools::paths_of(&call);
        if paths.is_empty() || !paths.iter().all(|p| crate::core::memory::is_memory_file(p)) {
            let outcome = ToolOutcome::error(format!(
                "this turn writes memory files only (AGENTS.md or CLAUDE.md), not `{}`; \
                 propose the memory file, and say what else you would change",
                paths.join("`, `")
            ));
            return vec![
                Effect::Record(vec![result_event(&call, &outcome, Duration::ZERO)]),
                Effect::NextCall,
            ];
        }
    }
    let session_tool = matches!(tool.kind(), ToolKind::Plan | ToolKind::Step);
    if let Some(why) = checkpoint.filter(|_| !session_tool) {
        let subject = subject(registry, &call);
        let subject = if subject.is_empty() {
            format!("{} {}", call.name, call.arguments)
        } else {
            subject
        };
        return ask_at(call, subject, Some(why), facts);
    }
    match tool.kind() {
        ToolKind::Plan => propose_plan(state, &call, facts.memory_step),
        ToolKind::Step => end_step(state, &call, facts),
        ToolKind::Shell => match tools::command_of(&call) {
            // What is seen must be what runs: a command with characters that do not show as
            // themselves (a tab, a carriage return, a zero-width or bidi control) is asked of
            // a human every time — never allowed by a list, an "always" or a headless flag.
            Some(command) if crate::safe_text::has_hidden(&command) => {
                let facts = Facts {
                    policy: super::ApprovalPolicy {
                        commands: match facts.policy.commands {
                            ApprovalMode::Approve => ApprovalMode::Deny,
                            other => other,
                        },
                        ..facts.policy
                    },
                    ..facts
                };
                ask(call, command, facts)
            }
            Some(command) => {
                // The allowlist was written in advance for a sandboxed command; without the
                // sandbox every command asks. An "always" the human gave in this session
                // stands: they decided with the sandbox's state in front of them.
                if let Some(how) = listed {
                    decided(call, &command, how)
                } else if state.allowed_commands.contains(command.trim()) {
                    decided(call, &command, CommandDecision::Allowed)
                } else {
                    ask(call, command, facts)
                }
            }
            // Arguments without a command: the tool's own result says what is wrong.
            None => vec![Effect::RunTool(call)],
        },
        // Another program's tool, read-only or not, asks as a command does: listed in
        // `allow_tools`, or allowed "always" for this tool in this session, it runs.
        ToolKind::External => {
            let subject = subject(registry, &call);
            if let Some(how) = listed {
                decided(call, &subject, how)
            } else if state.allowed_commands.contains(call.name.as_str()) {
                decided(call, &subject, CommandDecision::Allowed)
            } else {
                ask(call, subject, facts)
            }
        }
        ToolKind::ReadOnly | ToolKind::Write | ToolKind::Agent => vec![Effect::RunTool(call)],
    }
}

/// What an approval is about: the command, or an external tool's name and arguments.
#[must_use]
pub fn subject(registry: &Registry, call: &ToolCallRequest) -> String {
    match registry.kind_of(&call.name) {
        Some(ToolKind::External) => format!("{} {}", call.name, call.arguments),
        _ => tools::command_of(call).unwrap_or_default(),
    }
}

/// `propose_plan`: records the plan (a new version) and ends the turn for the human to
/// review it.
#[must_use]
pub fn propose_plan(
    state: &SessionState,
    call: &ToolCallRequest,
    memory_step: bool,
) -> Vec<Effect> {
    #[derive(serde::Deserialize)]
    struct Args {
        steps: Vec<StepSpec>,
    }
    let parsed: Result<Args, String> = tools::parse_args(call).map_err(|e| e.0);
    let version = state.plan.as_ref().map_or(1, |p| p.version + 1);
    // The plan gear's plans end with the memory upkeep step (a pipeline has its own stage).
    let outcome = parsed.and_then(|mut a| {
        let upkeep = memory_step
            && state.gear == crate::protocol::Gear::Plan
            && crate::plan::wants_memory_step(state.plan.as_ref(), &a.steps);
        Plan::propose(version, &a.steps)
            .map_err(|e| format!("the plan was not accepted: {e}. Propose it again."))?;
        if upkeep {
            a.steps.push(crate::plan::memory_step());
        }
        let plan = Plan::propose(version, &a.steps).map_err(|e| e.to_string())?;
        Ok((a.steps, plan, upkeep))
    });
    match outcome {
        Ok((steps, plan, upkeep)) => {
            let count = plan.walk().count();
            let mut said = crate::core::prompts::plan_proposed(version, count);
            if upkeep {
                said.push_str(&crate::core::prompts::memory_step_added(steps.len()));
            }
            vec![
                Effect::EndTurnAfterCalls,
                Effect::Record(vec![
                    Event::PlanProposed { version, steps },
                    result_event(
                        call,
                        &ToolOutcome::ok(said, format!("plan v{version}: {count} steps")),
                        Duration::ZERO,
                    ),
                ]),
                Effect::NextCall,
            ]
        }
        Err(message) => vec![
            Effect::Record(vec![result_event(
                call,
                &ToolOutcome::error(message),
                Duration::ZERO,
            )]),
            Effect::NextCall,
        ],
    }
}

/// `complete_step` / `fail_step`: the running step stops at its gate, or fails.
#[must_use]
pub fn end_step(state: &SessionState, call: &ToolCallRequest, facts: Facts) -> Vec<Effect> {
    #[derive(serde::Deserialize)]
    struct Args {
        #[serde(default, alias = "reason")]
        summary: String,
    }
    let Some(step) = running_step(state) else {
        return vec![
            Effect::Record(vec![result_event(
                call,
                &ToolOutcome::error("no plan step is running"),
                Duration::ZERO,
            )]),
            Effect::NextCall,
        ];
    };
    let note = tools::parse_args::<Args>(call)
        .map(|a| a.summary)
        .unwrap_or_default();
    let failed = call.name == tools::FAIL_STEP;
    let number = state
        .plan
        .as_ref()
        .and_then(|p| p.number(&step))
        .unwrap_or_default();
    let mut effects = Vec::new();
    let status = if failed {
        effects.push(Effect::RunAll(false));
        StepStatus::Failed
    } else {
        StepStatus::AwaitingReview
    };
    // A step that proposed changes and got none of them written holds its gate: the human
    // passes it deliberately (headless, the note says so and the run goes on).
    let mut note = note.trim().to_string();
    if !failed {
        let from = state.step_changes.get(&step).copied().unwrap_or(usize::MAX);
        let ours = state.changes.entries.get(from..).unwrap_or_default();
        if !ours.is_empty() && ours.iter().all(|e| e.written.is_none()) {
            let paths: Vec<&str> = ours.iter().map(|e| e.change.path.as_str()).collect();
            if !note.is_empty() {
                note.push_str(" — ");
            }
            note.push_str(&format!(
                "{} ({})",
                crate::plan::NOTHING_WRITTEN,
                paths.join(", ")
            ));
            if facts.policy.changes == ApprovalMode::Ask {
                effects.push(Effect::RunAll(false));
            }
        }
    }
    let text = crate::core::prompts::step_ended(&number, failed);
    effects.extend([
        Effect::EndTurnAfterCalls,
        Effect::Record(vec![
            result_event(
                call,
                &ToolOutcome::ok(text, format!("step {number}: {}", status.label())),
                Duration::ZERO,
            ),
            Event::StepStatusChanged {
                step,
                status,
                note: (!note.is_empty()).then_some(note),
            },
        ]),
        Effect::NextCall,
    ]);
    effects
}

/// A tool call finished: its result (and the files it wrote) is recorded and the next call
/// runs; changes proposed for review wait for the human instead (headless, every hunk is
/// decided at once as the policy says), and the call's result is the review. A command's
/// writes are a change set: each file its own change (`CALL#n`), its output held until the
/// last of them is decided.
#[must_use]
pub fn finished(
    call: &ToolCallRequest,
    outcome: &ToolOutcome,
    took: Duration,
    facts: Facts,
    context_lines: u32,
) -> Vec<Effect> {
    let headless = facts.policy.changes != ApprovalMode::Ask;
    // A command's writes, or a subagent's, are a change set: its output waits with them.
    let set = outcome.writes.len() > 1
        || call.name == tools::RUN_COMMAND
        || call.name == tools::task::TASK;
    let id_of = |i: usize| {
        if set {
            change_id(&call.id, i)
        } else {
            call.id.clone()
        }
    };
    let mut events = Vec::new();
    let mut proposed = Vec::new();
    let mut refused = Vec::new();
    for (i, w) in outcome.writes.iter().enumerate() {
        if w.applied {
            events.push(Event::FileChanged {
                id: id_of(i),
                change: w.change.clone(),
            });
            continue;
        }
        if !outcome.ok {
            continue;
        }
        let rule = w
            .checkpoint
            .as_deref()
            .is_some_and(tools::checkpoints::is_rule);
        if let Some(why) = w.checkpoint.as_ref().filter(|_| !rule)
            && headless
        {
            // A protected path is written only by a human's decision, never headless.
            refused.push(crate::core::prompts::protected_headless(
                &w.change.path,
                why,
            ));
            continue;
        }
        proposed.push((id_of(i), w, rule));
    }
    if proposed.is_empty() {
        let mut outcome = outcome.clone();
        if !refused.is_empty() {
            if set {
                outcome
                    .content
                    .push_str(&format!("\n{}", refused.join("\n")));
            } else {
                outcome = ToolOutcome::error(refused.join("\n"));
            }
        }
        events.push(result_event(call, &outcome, took));
        return vec![Effect::Record(events), Effect::NextCall];
    }
    if set {
        // What the command said waits with its changes, for the result after the review.
        let mut content = outcome.content.clone();
        for r in &refused {
            content.push_str(&format!("\n{r}"));
        }
        events.push(Event::ToolHeld {
            id: call.id.clone(),
            ok: outcome.ok,
            content,
            summary: outcome.summary.clone(),
            duration_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
        });
    }
    for (id, w, _) in &proposed {
        events.push(Event::ChangeProposed {
            id: id.clone(),
            change: w.change.clone(),
            context: context_lines,
            checkpoint: w.checkpoint.clone(),
        });
    }
    let mut effects = vec![Effect::Record(events), Effect::AwaitReview(call.clone())];
    effects.extend(decided_headless(
        facts,
        proposed.into_iter().map(|(id, _, rule)| (id, rule)),
    ));
    effects
}

/// Headless, each proposed change (its id, and whether a `[[checkpoints]]` rule stops it) is
/// decided whole as the flags say; a rule's stop waits for a human (the run stops) unless the
/// flags pass checkpoints. Nothing when a human decides.
pub fn decided_headless(
    facts: Facts,
    proposed: impl IntoIterator<Item = (String, bool)>,
) -> Vec<Effect> {
    let verdict = match facts.policy.changes {
        ApprovalMode::Ask => return Vec::new(),
        ApprovalMode::Approve => Verdict::Accept,
        ApprovalMode::Deny => Verdict::Reject,
    };
    proposed
        .into_iter()
        .filter(|(_, rule)| !rule || facts.policy.checkpoints)
        .flat_map(|(id, _)| {
            [
                Effect::DecideAll {
                    change: id.clone(),
                    verdict: verdict.clone(),
                },
                Effect::WriteReview(id),
            ]
        })
        .collect()
}

/// Headless: every hunk of the change decided the same way, recorded like a human's.
#[must_use]
pub fn decide_all(state: &SessionState, change: &str, verdict: &Verdict) -> Vec<Effect> {
    let decisions: Vec<Event> = state
        .changes
        .get(change)
        .map(|e| {
            e.hunks
                .iter()
                .map(|h| Event::HunkDecided {
                    change: change.to_string(),
                    hunk: h.id.clone(),
                    verdict: verdict.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    vec![Effect::Record(decisions)]
}
