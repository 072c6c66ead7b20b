//! What a hook's exit and output mean, as Claude Code reads them (pure).
//!
//! - Exit 2 blocks; stderr is the reason.
//! - Exit 0 with JSON on stdout: `"continue": false` ends the turn (`stopReason` is for the
//!   human); `"decision": "block"` (with `reason`) or a
//!   `hookSpecificOutput.permissionDecision` of `deny` (with `permissionDecisionReason`)
//!   blocks; `ask` makes the human decide the call; `allow` (or the older `"decision":
//!   "approve"`) lets it run without the approval prompt — from the user's own hooks only, and
//!   never past a checkpoint or a protected path ([`combine`] reads a workspace's as `ask`);
//!   `hookSpecificOutput.additionalContext` is context for the model.
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
    match str_at(&json, "decision").as_deref() {
        Some("block") => {
            return HookOutcome::Blocked {
                reason: str_at(&json, "reason").unwrap_or_else(|| "(no reason given)".into()),
            };
        }
        Some("approve") => {
            return HookOutcome::Allowed {
                reason: str_at(&json, "reason").unwrap_or_else(|| "(no reason given)".into()),
            };
        }
        _ => {}
    }
    let why = || {
        str_at(&specific, "permissionDecisionReason").unwrap_or_else(|| "(no reason given)".into())
    };
    match str_at(&specific, "permissionDecision").as_deref() {
        Some("deny") => return HookOutcome::Blocked { reason: why() },
        Some("ask") => return HookOutcome::Ask { reason: why() },
        Some("allow") => return HookOutcome::Allowed { reason: why() },
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
    /// `ask` decisions' reasons (and a workspace hook's `allow`): the human decides the call.
    pub asked: Option<String>,
    /// The user's own hooks' `allow`: the call runs without the approval prompt, unless
    /// another hook blocked or asked. The first such hook's source and reason.
    pub allowed: Option<(String, String)>,
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
    let mut allowed = None;
    for run in runs {
        match &run.outcome {
            HookOutcome::Stopped { reason } => stops.push(reason.clone()),
            HookOutcome::Ask { reason } => asks.push(reason.clone()),
            HookOutcome::Allowed { reason } if run.workspace => asks.push(format!(
                "a hook of the workspace's {} allows it, which counts as asking: {reason}",
                run.source
            )),
            HookOutcome::Allowed { reason } if run.confined => asks.push(format!(
                "a hook that ran in the sandbox (it may run code the model wrote) allows it, \
                 which counts as asking: {reason}"
            )),
            HookOutcome::Allowed { reason } => {
                allowed.get_or_insert_with(|| (run.source.clone(), reason.clone()));
            }
            HookOutcome::Blocked { reason } => reasons.push(reason.clone()),
            HookOutcome::Passed { output: Some(o) } => outputs.push(o.clone()),
            HookOutcome::Context { text } => context.push(text.clone()),
            _ => {}
        }
    }
    let joined = |v: Vec<String>| (!v.is_empty()).then(|| v.join("\n"));
    let outweighed = !(asks.is_empty() && reasons.is_empty() && stops.is_empty());
    Combined {
        allowed: allowed.filter(|_| !outweighed),
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
        let allow = r#"{"hookSpecificOutput": {"permissionDecision": "allow",
            "permissionDecisionReason": "read-only git"}}"#;
        assert_eq!(
            read(Some(0), allow, ""),
            HookOutcome::Allowed {
                reason: "read-only git".into()
            }
        );
        assert_eq!(
            read(Some(0), r#"{"decision": "approve"}"#, ""),
            HookOutcome::Allowed {
                reason: "(no reason given)".into()
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

    fn run(outcome: HookOutcome, workspace: bool) -> crate::hooks::HookRun {
        crate::hooks::HookRun {
            event: crate::hooks::HookEvent::PreToolUse,
            command: "x".into(),
            source: if workspace {
                ".claude/settings.json".into()
            } else {
                "~/.claude/settings.json".into()
            },
            subject: None,
            duration_ms: 1,
            workspace,
            confined: false,
            wrote: Vec::new(),
            withheld: Vec::new(),
            outcome,
        }
    }

    #[test]
    fn only_the_users_own_allow_counts_and_any_ask_or_block_outweighs_it() {
        let allow = || HookOutcome::Allowed {
            reason: "safe".into(),
        };
        let mine = combine(&[run(allow(), false)]);
        assert_eq!(
            mine.allowed,
            Some(("~/.claude/settings.json".into(), "safe".into()))
        );
        assert_eq!(mine.asked, None);
        // A workspace's `allow` is a question for the human.
        let theirs = combine(&[run(allow(), true)]);
        assert_eq!(theirs.allowed, None);
        assert!(theirs.asked.unwrap().contains("counts as asking: safe"));
        // So is a confined hook's: what it ran may be the model's.
        let mut confined = run(allow(), false);
        confined.confined = true;
        let boxed = combine(&[confined]);
        assert_eq!(boxed.allowed, None);
        assert!(boxed.asked.unwrap().contains("ran in the sandbox"));
        // Deny and ask win over allow (Claude Code's order).
        let blocked = combine(&[
            run(allow(), false),
            run(
                HookOutcome::Blocked {
                    reason: "no".into(),
                },
                false,
            ),
        ]);
        assert_eq!(blocked.allowed, None);
        assert_eq!(blocked.blocked.as_deref(), Some("no"));
        let asked = combine(&[
            run(allow(), false),
            run(
                HookOutcome::Ask {
                    reason: "look".into(),
                },
                false,
            ),
        ]);
        assert_eq!(asked.allowed, None);
        assert_eq!(asked.asked.as_deref(), Some("look"));
    }
}
