//! What the human decided in a recorded session, call by call, for a replay to decide the same:
//! which commands ran (and so may run again, with the user's consent) and which were denied,
//! and each change's hunk verdicts and how its review ended. Calls are matched by their order:
//! the replay plays the same replies, so its `k`th tool call is the original's `k`th. Pure.

use std::collections::{BTreeMap, HashMap};

use crate::changes::call_of;
use crate::protocol::{CommandDecision, Event, Verdict};

/// One tool call of the original session and what became of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Original {
    pub id: String,
    pub name: String,
    /// What it asked to run, as its call carried it (`run_command`'s `command`; another
    /// tool's as its decision recorded it): what a replay of the same call runs, and so the
    /// only thing a replay may approve for it.
    pub command: Option<String>,
    /// How its approval was decided, when it was asked or pre-approved.
    pub decision: Option<CommandDecision>,
    /// Its changes by their suffix in the call (`""` for a file tool's, `#n` for a command's).
    pub changes: BTreeMap<String, Fate>,
}

/// How the review of one change went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fate {
    pub verdicts: HashMap<String, Verdict>,
    /// Sent back to the model for a fresh proposal (not written).
    pub sent_back: bool,
    /// Withdrawn unapplied (cancelled).
    pub withdrawn: bool,
}

impl Original {
    /// Whether the original ran it: approved, allowed or pre-approved — not denied, and not
    /// a call that never got that far.
    #[must_use]
    pub fn ran(&self) -> bool {
        matches!(
            self.decision,
            Some(
                CommandDecision::Once
                    | CommandDecision::Always
                    | CommandDecision::Allowed
                    | CommandDecision::Headless
                    | CommandDecision::Skill { .. }
                    | CommandDecision::Hook { .. }
            )
        )
    }
}

/// Every tool call of `events`, in order, with the human's decisions on it.
#[must_use]
pub fn recorded(events: &[Event]) -> Vec<Original> {
    let mut calls: Vec<Original> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let suffix = |change: &str| change[call_of(change).len()..].to_string();
    for e in events {
        match e {
            Event::ToolCall {
                id,
                name,
                arguments,
            } => {
                index.insert(id.clone(), calls.len());
                let command = (name == crate::tools::RUN_COMMAND).then(|| {
                    serde_json::from_str::<serde_json::Value>(arguments)
                        .ok()
                        .and_then(|v| v["command"].as_str().map(str::to_string))
                        .unwrap_or_default()
                });
                calls.push(Original {
                    id: id.clone(),
                    name: name.clone(),
                    command,
                    ..Original::default()
                });
            }
            Event::CommandDecided {
                id,
                command,
                decision,
            } => {
                if let Some(&i) = index.get(id) {
                    calls[i].decision = Some(decision.clone());
                    // A recorded decision does not say what the call runs; its call does.
                    calls[i].command.get_or_insert_with(|| command.clone());
                }
            }
            Event::HunkDecided {
                change,
                hunk,
                verdict,
            } => {
                if let Some(&i) = index.get(call_of(change)) {
                    calls[i]
                        .changes
                        .entry(suffix(change))
                        .or_default()
                        .verdicts
                        .insert(hunk.clone(), verdict.clone());
                }
            }
            Event::ChangeWithdrawn { id, reason } => {
                if let Some(&i) = index.get(call_of(id)) {
                    let fate = calls[i].changes.entry(suffix(id)).or_default();
                    if reason.contains("sent back") {
                        fate.sent_back = true;
                    } else {
                        fate.withdrawn = true;
                    }
                }
            }
            _ => {}
        }
    }
    calls
}

/// The replay's calls matched to the original's by order.
#[derive(Debug, Default)]
pub struct Matcher {
    originals: Vec<Original>,
    seen: HashMap<String, usize>,
}

impl Matcher {
    #[must_use]
    pub fn new(originals: Vec<Original>) -> Matcher {
        Matcher {
            originals,
            seen: HashMap::new(),
        }
    }

    /// The replay called a tool: it is the next original call.
    pub fn called(&mut self, id: &str) {
        let k = self.seen.len();
        self.seen.insert(id.to_string(), k);
    }

    /// The original of the replay's call `id`.
    #[must_use]
    pub fn original(&self, id: &str) -> Option<&Original> {
        self.originals.get(*self.seen.get(id)?)
    }

    /// How the original decided the change the replay proposes as `change`.
    #[must_use]
    pub fn fate(&self, change: &str) -> Option<&Fate> {
        let call = call_of(change);
        self.original(call)?.changes.get(&change[call.len()..])
    }

    /// The commands of the original that ran, in order, for the replay to say first.
    #[must_use]
    pub fn commands_that_ran(&self) -> Vec<&Original> {
        self.originals.iter().filter(|o| o.ran()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: &str) -> Event {
        Event::ToolCall {
            id: id.into(),
            name: "run_command".into(),
            arguments: format!(r#"{{"command":"run {id}"}}"#),
        }
    }

    fn decided(id: &str, decision: CommandDecision) -> Event {
        Event::CommandDecided {
            id: id.into(),
            command: "x".into(),
            decision,
        }
    }

    #[test]
    fn the_kth_replayed_call_gets_the_kth_original_decision() {
        let events = vec![
            call("a"),
            decided("a", CommandDecision::Once),
            call("b"),
            decided(
                "b",
                CommandDecision::Denied {
                    reason: Some("no".into()),
                },
            ),
            call("c"),
            Event::HunkDecided {
                change: "c#2".into(),
                hunk: "h1".into(),
                verdict: Verdict::Reject,
            },
            Event::ChangeWithdrawn {
                id: "c#3".into(),
                reason: "sent back for a fresh proposal".into(),
            },
        ];
        let mut m = Matcher::new(recorded(&events));
        for id in ["x1", "x2", "x3"] {
            m.called(id);
        }
        assert!(m.original("x1").unwrap().ran());
        // What the call carried, not what its decision's record says.
        assert_eq!(m.original("x1").unwrap().command.as_deref(), Some("run a"));
        assert!(!m.original("x2").unwrap().ran());
        assert_eq!(
            m.fate("x3#2").unwrap().verdicts.get("h1"),
            Some(&Verdict::Reject)
        );
        assert!(m.fate("x3#3").unwrap().sent_back);
        assert!(m.fate("x3#1").is_none());
        assert_eq!(m.commands_that_ran().len(), 1);
    }
}
