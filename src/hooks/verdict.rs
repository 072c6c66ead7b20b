//! What a hook's exit and output mean, as Claude Code reads them (pure).
//!
//! - Exit 2 blocks; stderr is the reason.
//! - Exit 0 with JSON on stdout: `"continue": false` ends the turn (`stopReason` is for the
//!   human); `"decision": "block"` (with `reason`) or a
//!   `hookSpecificOutput.permissionDecision` of `deny` (with `permissionDecisionReason`)
//!   blocks; `ask` makes the human decide the call; `hookSpecificOutput.additionalContext` is
//!   context for the model.
//!   `approve`/`allow` grant nothing here: hooks stop, they never approve.
//! - Exit 0 with other text: that text is the hook's output (the model's at `SessionStart`
//!   and `UserPromptSubmit` only, as in Claude Code).
//! - Any other exit: a failure, reported, blocking nothing.

use serde_json::Value;

use super::HookOutcome;

/// Reads one finished run. `stdout` and `stderr` are as captured.
#[must_use]
pub fn read(exit_code: Option<i32>, stdout: &str, stderr: &str) -> HookOutcome {
    match exit_code {
        Some(2) => HookOutcome::Blocked {
            reason: non_empty(stderr)
                .or_else(|| non_empty(stdout))
                .unwrap_or_else(|| "(the hook gave no reason)".into()),
        },
        Some(0) => from_stdout(stdout),
        code => HookOutcome::Failed {
            exit_code: code,
            message: non_empty(stderr)
                .or_else(|| non_empty(stdout))
                .unwrap_or_else(|| match code {
                    Some(_) => "no output".into(),
                    None => "killed by a signal".into(),
                }),
        },
    }
}

fn non_empty(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn from_stdout(stdout: &str) -> HookOutcome {
    let text = stdout.trim();
    let json = text
        .starts_with('{')
        .then(|| serde_json::from_str::<Value>(text).ok())
        .flatten();
    let Some(json) = json else {
        return HookOutcome::Passed {
            output: non_empty(text),
        };
    };
    let str_at = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let specific = json
        .get("hookSpecificOutput")
        .cloned()
        .unwrap_or(Value::Null);
    if json.get("continue").and_then(Value::as_bool) == Some(false) {
        return HookOutcome::Stopped {
            reason: str_at(&json, "stopReason").unwrap_or_else(|| "(no reason given)".into()),
        };
    }
    if str_at(&json, "decision").as_deref() == Some("block") {
        return HookOutcome::Blocked {
            reason: str_at(&json, "reason").unwrap_or_else(|| "(no reason given)".into()),
        };
    }
    let why = || {
        str_at(&specific, "permissionDecisionReason").unwrap_or_else(|| "(no reason given)".into())
    };
    match str_at(&specific, "permissionDecision").as_deref() {
        Some("deny") => return HookOutcome::Blocked { reason: why() },
        Some("ask") => return HookOutcome::Ask { reason: why() },
        _ => {}
    }
    match str_at(&specific, "additionalContext").and_then(|c| non_empty(&c)) {
        Some(text) => HookOutcome::Context { text },
        None => HookOutcome::Passed { output: None },
    }
}

/// What several runs of one event add up to: ended when any said `continue: false`, blocked
/// when any blocked (every reason kept), and what those that passed said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Combined {
    /// `stopReason`s, for the human.
    pub stopped: Option<String>,
    pub blocked: Option<String>,
    /// `ask` decisions' reasons: the human decides the call.
    pub asked: Option<String>,
    /// Plain stdout (the model's at `SessionStart` and `UserPromptSubmit` only).
    pub output: Option<String>,
    /// `additionalContext`, the model's at every event.
    pub context: Option<String>,
}

impl Combined {
    /// What reaches the model at an event that takes plain output as context.
    #[must_use]
    pub fn all_output(&self) -> Option<String> {
        let parts: Vec<&str> = [self.output.as_deref(), self.context.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        (!parts.is_empty()).then(|| parts.join("\n"))
    }
}

#[must_use]
pub fn combine(runs: &[super::HookRun]) -> Combined {
    let (mut stops, mut reasons, mut outputs, mut context, mut asks) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in runs {
        match &run.outcome {
            HookOutcome::Stopped { reason } => stops.push(reason.clone()),
            HookOutcome::Ask { reason } => asks.push(reason.clone()),
            HookOutcome::Blocked { reason } => reasons.push(reason.clone()),
            HookOutcome::Passed { output: Some(o) } => outputs.push(o.clone()),
            HookOutcome::Context { text } => context.push(text.clone()),
            _ => {}
        }
    }
    let joined = |v: Vec<String>| (!v.is_empty()).then(|| v.join("\n"));
    Combined {
        stopped: joined(stops),
        blocked: joined(reasons),
        asked: joined(asks),
        output: joined(outputs),
        context: joined(context),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_and_json_answers_read_as_claude_code_reads_them() {
        assert_eq!(
            read(Some(2), "ignored", "no writes to migrations/\n"),
            HookOutcome::Blocked {
                reason: "no writes to migrations/".into()
            }
        );
        assert_eq!(read(Some(0), "", ""), HookOutcome::Passed { output: None });
        assert_eq!(
            read(Some(0), "branch: main\n", ""),
            HookOutcome::Passed {
                output: Some("branch: main".into())
            }
        );
        assert_eq!(
            read(
                Some(0),
                r#"{"decision": "block", "reason": "lint failed"}"#,
                ""
            ),
            HookOutcome::Blocked {
                reason: "lint failed".into()
            }
        );
        let deny = r#"{"hookSpecificOutput": {"hookEventName": "PreToolUse",
            "permissionDecision": "deny", "permissionDecisionReason": "prod config"}}"#;
        assert_eq!(
            read(Some(0), deny, ""),
            HookOutcome::Blocked {
                reason: "prod config".into()
            }
        );
        // A hook cannot approve: `allow` is read as a plain pass, its context kept.
        let allow = r#"{"hookSpecificOutput": {"permissionDecision": "allow",
            "additionalContext": "checked"}}"#;
        assert_eq!(
            read(Some(0), allow, ""),
            HookOutcome::Context {
                text: "checked".into()
            }
        );
        let ask = r#"{"hookSpecificOutput": {"hookEventName": "PreToolUse",
            "permissionDecision": "ask", "permissionDecisionReason": "a human confirms deploys"}}"#;
        assert_eq!(
            read(Some(0), ask, ""),
            HookOutcome::Ask {
                reason: "a human confirms deploys".into()
            }
        );
        // `continue: false` ends the turn, whatever else the answer says.
        assert_eq!(
            read(
                Some(0),
                r#"{"continue": false, "stopReason": "enough", "decision": "block"}"#,
                ""
            ),
            HookOutcome::Stopped {
                reason: "enough".into()
            }
        );
        // Exit 1 is a failure, not a block (the classic mistake with Claude Code hooks).
        assert_eq!(
            read(Some(1), "", "jq: not found"),
            HookOutcome::Failed {
                exit_code: Some(1),
                message: "jq: not found".into()
            }
        );
        assert!(matches!(
            read(None, "", ""),
            HookOutcome::Failed {
                exit_code: None,
                ..
            }
        ));
        // Broken JSON is text.
        assert_eq!(
            read(Some(0), "{not json", ""),
            HookOutcome::Passed {
                output: Some("{not json".into())
            }
        );
    }
}
