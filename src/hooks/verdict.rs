//! What a hook's exit and output mean, as Claude Code reads them (pure).
//!
//! - Exit 2 blocks; stderr is the reason.
//! - Exit 0 with JSON on stdout: `"decision": "block"` (with `reason`), a
//!   `hookSpecificOutput.permissionDecision` of `deny` (with `permissionDecisionReason`), or
//!   `"continue": false` (with `stopReason`) block; `hookSpecificOutput.additionalContext` adds
//!   context. `approve`/`allow` grant nothing here: hooks stop, they never approve.
//! - Exit 0 with other text: that text is the hook's output.
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
    if str_at(&json, "decision").as_deref() == Some("block") {
        return HookOutcome::Blocked {
            reason: str_at(&json, "reason").unwrap_or_else(|| "(no reason given)".into()),
        };
    }
    if str_at(&specific, "permissionDecision").as_deref() == Some("deny") {
        return HookOutcome::Blocked {
            reason: str_at(&specific, "permissionDecisionReason")
                .unwrap_or_else(|| "(no reason given)".into()),
        };
    }
    if json.get("continue").and_then(Value::as_bool) == Some(false) {
        return HookOutcome::Blocked {
            reason: str_at(&json, "stopReason").unwrap_or_else(|| "(no reason given)".into()),
        };
    }
    HookOutcome::Passed {
        output: str_at(&specific, "additionalContext").and_then(|c| non_empty(&c)),
    }
}

/// What several runs of one event add up to: blocked when any blocked (every reason kept),
/// and the output of those that passed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Combined {
    pub blocked: Option<String>,
    pub output: Option<String>,
}

#[must_use]
pub fn combine(runs: &[super::HookRun]) -> Combined {
    let mut reasons = Vec::new();
    let mut outputs = Vec::new();
    for run in runs {
        match &run.outcome {
            HookOutcome::Blocked { reason } => reasons.push(reason.clone()),
            HookOutcome::Passed { output: Some(o) } => outputs.push(o.clone()),
            _ => {}
        }
    }
    Combined {
        blocked: (!reasons.is_empty()).then(|| reasons.join("\n")),
        output: (!outputs.is_empty()).then(|| outputs.join("\n")),
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
        // A hook cannot approve: `allow` is read as a plain pass.
        let allow = r#"{"hookSpecificOutput": {"permissionDecision": "allow",
            "additionalContext": "checked"}}"#;
        assert_eq!(
            read(Some(0), allow, ""),
            HookOutcome::Passed {
                output: Some("checked".into())
            }
        );
        assert_eq!(
            read(
                Some(0),
                r#"{"continue": false, "stopReason": "enough"}"#,
                ""
            ),
            HookOutcome::Blocked {
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
