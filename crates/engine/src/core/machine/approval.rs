//! A command (or an external tool call) waiting for the human's approval: asked, decided and
//! answered, as pure functions of the state.

use std::time::Duration;

use super::gates::result_event;
use super::{ApprovalMode, Effect, Facts};
use crate::protocol::ToolCallRequest;
use crate::protocol::{CommandDecision, Event};
use crate::tools::ToolOutcome;

/// The model asked to run something a human must approve: ask, or decide by the headless
/// policy. `subject` is what the decision is about (the command, or the tool's name).
#[must_use]
pub fn ask(call: ToolCallRequest, subject: String, facts: Facts) -> Vec<Effect> {
    ask_at(call, subject, None, facts)
}

/// [`ask`], stopped by a `[[checkpoints]]` rule: the human is told which and why. A run
/// without one waits for one there (headless: the run stops, exit 3), whatever its flags,
/// unless checkpoints are passed as the flags say (`exec --approve-checkpoints`).
#[must_use]
pub fn ask_at(
    call: ToolCallRequest,
    subject: String,
    checkpoint: Option<String>,
    facts: Facts,
) -> Vec<Effect> {
    let waits = checkpoint.is_some() && !facts.policy.checkpoints;
    match facts.policy.commands {
        _ if waits => vec![
            Effect::Record(vec![Event::CommandApprovalRequested {
                id: call.id.clone(),
                command: subject,
                checkpoint,
            }]),
            Effect::AwaitApproval(call),
        ],
        ApprovalMode::Ask => vec![
            Effect::Record(vec![Event::CommandApprovalRequested {
                id: call.id.clone(),
                command: subject,
                checkpoint,
            }]),
            Effect::AwaitApproval(call),
        ],
        ApprovalMode::Approve => decided(call, &subject, CommandDecision::Headless),
        ApprovalMode::Deny => decided(
            call,
            &subject,
            CommandDecision::Denied {
                reason: Some("commands are not run headless without --approve-commands".into()),
            },
        ),
    }
}

/// Records a decision on a call and acts on it: a denied call's result tells the model why.
#[must_use]
pub fn decided(call: ToolCallRequest, subject: &str, decision: CommandDecision) -> Vec<Effect> {
    let record = Event::CommandDecided {
        id: call.id.clone(),
        command: subject.trim().to_string(),
        decision: decision.clone(),
    };
    match decision {
        CommandDecision::Denied { reason } => {
            let text = format!("Not run: {}.", reason.unwrap_or_else(|| "denied".into()));
            vec![
                Effect::Record(vec![
                    record,
                    result_event(&call, &ToolOutcome::error(text), Duration::ZERO),
                ]),
                Effect::NextCall,
            ]
        }
        _ => vec![Effect::Record(vec![record]), Effect::RunTool(call)],
    }
}

/// The human answered the approval of `call_id`; `awaiting` is the call the session waits
/// on. An answer for another call (late, or for a call already cancelled) does nothing.
#[must_use]
pub fn answer(
    awaiting: Option<&ToolCallRequest>,
    subject: &str,
    call_id: &str,
    decision: CommandDecision,
) -> Vec<Effect> {
    let Some(call) = awaiting.filter(|c| c.id == call_id) else {
        return Vec::new();
    };
    if let CommandDecision::Denied { reason } = &decision {
        let text = crate::core::prompts::command_denied(reason.as_deref());
        return vec![
            Effect::Record(vec![
                Event::CommandDecided {
                    id: call.id.clone(),
                    command: subject.trim().to_string(),
                    decision: decision.clone(),
                },
                result_event(call, &ToolOutcome::error(text), Duration::ZERO),
            ]),
            Effect::NextCall,
        ];
    }
    decided(call.clone(), subject, decision)
}
