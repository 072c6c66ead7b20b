//! Hooks: the user's own commands, run at session events with the event as JSON on stdin.
//!
//! The configuration has the shape of Claude Code's `hooks` block — event name → matcher
//! groups → command handlers — whether it comes from gearshift's `[hooks]` or from Claude
//! Code's `settings.json` files (read unchanged, see [`claude`]). The events are Claude Code's
//! where they fit (`PreToolUse`, `PostToolUse`, `UserPromptSubmit`, `Stop`, `SessionStart`)
//! and gearshift's own (`GateReached`, `StageStarted`, `StagePassed`, `ChangeApplied`).
//!
//! What a hook answers is read as Claude Code reads it ([`verdict`]): exit code 2, or JSON with
//! `"decision": "block"` (or a `deny` permission decision), blocks; the reason goes to the
//! model. Any other failure is reported and blocks nothing. Hooks can stop the model, never
//! grant it anything: an `allow`/`approve` answer changes no approval.
//!
//! Hooks run like the model's own commands ([`run`]): in the sandbox, with the keys removed
//! from the environment, since what they run (a script in the workspace, `node_modules`) is
//! something the model can write.

pub mod claude;
pub mod config;
pub mod reach;
pub mod run;
pub mod shape;
pub mod transcript;
pub mod verdict;

use crate::protocol::hook::one_line;
pub use crate::protocol::hook::{HookEvent, HookOutcome, HookRun};
pub use config::{HooksConfig, check};

use std::collections::BTreeMap;
use std::time::Duration;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// A handler's timeout when it names none (Claude Code's default).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// One matcher group of an event, as Claude Code writes it. Fields this version does not
/// know (`description`, newer ones) are ignored, so a block copied from `settings.json` loads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct HookGroup {
    /// A tool name, a regex (`Write|Edit`), or `*`/empty/absent for every one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matcher: Option<String>,
    pub hooks: Vec<HookHandler>,
}

/// One handler of a group. Only `type = "command"` runs here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct HookHandler {
    #[serde(rename = "type")]
    pub kind: String,
    pub command: String,
    /// Seconds (Claude Code's unit); 60 when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// Claude Code's newer permission-rule filter; not supported (the hook runs on every
    /// match of `matcher`), said at load.
    #[serde(rename = "if", skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

/// A `hooks` block: event name → its matcher groups.
pub type HooksBlock = BTreeMap<String, Vec<HookGroup>>;

/// Hooks read from a file, labelled with where they came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Source {
    /// Shown with every run: `config`, `~/.claude/settings.json`, ….
    pub label: String,
    pub block: HooksBlock,
    /// A workspace's file (its `.gearshift/config.toml`, `.claude/settings*.json`): its hooks'
    /// `allow` answers grant nothing.
    pub workspace: bool,
}

/// One runnable handler, matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Handler {
    pub event: HookEvent,
    pub command: String,
    pub timeout: Duration,
    pub source: String,
    /// The group's matcher as written (for listings).
    pub matcher: String,
    /// From a workspace's file (see [`Source::workspace`]).
    pub workspace: bool,
    /// Why it runs in the sandbox; `None`: as the user (`[hooks] sandbox = false` in the
    /// user's own config).
    pub confined: Option<String>,
    /// Made only of plain utilities ([`reach::plain`]): in the sandbox it is given the network
    /// or files its line names ([`reach::grants`]).
    pub plain: bool,
}

#[derive(Debug, Clone)]
enum Matcher {
    All,
    Pattern(Regex),
}

impl Matcher {
    fn matches(&self, subject: &str) -> bool {
        match self {
            Matcher::All => true,
            Matcher::Pattern(re) => re.is_match(subject),
        }
    }
}

/// Every hook in force, compiled.
#[derive(Debug, Clone, Default)]
pub struct Hooks {
    entries: Vec<(Matcher, Handler)>,
    /// What was left out and why (an unknown event, a handler type that does not run here,
    /// a matcher that does not compile), said once at start.
    pub problems: Vec<String>,
}

/// Claude Code's name for a built-in tool, so a matcher written for Claude Code (`Write|Edit`,
/// `Bash`) matches gearshift's tool.
#[must_use]
pub fn claude_name(tool: &str) -> Option<&'static str> {
    Some(match tool {
        crate::tools::READ_FILE => "Read",
        crate::tools::WRITE_FILE => "Write",
        crate::tools::EDIT_FILE => "Edit",
        crate::tools::RUN_COMMAND => "Bash",
        crate::tools::LIST_DIR => "LS",
        crate::tools::GLOB => "Glob",
        crate::tools::GREP => "Grep",
        crate::tools::SKILL => "Skill",
        crate::tools::task::TASK => "Task",
        _ => return None,
    })
}

impl Hooks {
    /// Compiles the sources in order; `sandbox` is `[hooks] sandbox`. Nothing here fails:
    /// what cannot run is listed in [`Hooks::problems`] (gearshift's own `[hooks]` is checked
    /// strictly when the config loads).
    #[must_use]
    pub fn new(sources: &[Source], sandbox: Option<bool>) -> Hooks {
        let mut hooks = Hooks::default();
        for source in sources {
            for (name, groups) in &source.block {
                let Some(event) = HookEvent::named(name) else {
                    hooks.problems.push(format!(
                        "{}: hooks for `{name}` are not run: gearshift has no such event",
                        source.label
                    ));
                    continue;
                };
                for group in groups {
                    let matcher = match compile(group.matcher.as_deref()) {
                        Ok(m) => m,
                        Err(e) => {
                            hooks.problems.push(format!(
                                "{}: {name} matcher `{}` is left out: {e}",
                                source.label,
                                group.matcher.as_deref().unwrap_or_default()
                            ));
                            continue;
                        }
                    };
                    for h in &group.hooks {
                        if h.kind != "command" {
                            hooks.problems.push(format!(
                                "{}: a {name} hook of type `{}` is not run: only `command` hooks \
                                 run in gearshift",
                                source.label, h.kind
                            ));
                            continue;
                        }
                        if h.condition.is_some() {
                            hooks.problems.push(format!(
                                "{}: the `if` of a {name} hook is not supported: it runs on every \
                                 match of `{}`",
                                source.label,
                                group.matcher.as_deref().unwrap_or("*")
                            ));
                        }
                        let plain = reach::plain(&h.command);
                        let confined = match sandbox {
                            Some(false) => None,
                            _ => Some("hooks run in the command sandbox".to_string()),
                        };
                        if sandbox.is_none()
                            && let Err(what) = &plain
                        {
                            hooks.problems.push(format!(
                                "{}: the {name} hook `{}` runs in the sandbox, where it cannot \
                                 write outside the workspace: it runs {what}, which could load \
                                 code the model wrote (`[hooks] sandbox = false` in your config \
                                 runs hooks as you)",
                                source.label,
                                one_line(&h.command)
                            ));
                        }
                        hooks.entries.push((
                            matcher.clone(),
                            Handler {
                                event,
                                command: h.command.clone(),
                                timeout: timeout(h.timeout),
                                source: source.label.clone(),
                                matcher: group.matcher.clone().unwrap_or_default(),
                                workspace: source.workspace,
                                confined,
                                plain: plain.is_ok(),
                            },
                        ));
                    }
                }
            }
        }
        hooks
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Only the handlers of `events` (a subagent keeps the tool hooks that guard its calls).
    #[must_use]
    pub fn only(&self, events: &[HookEvent]) -> Hooks {
        Hooks {
            entries: self
                .entries
                .iter()
                .filter(|(_, h)| events.contains(&h.event))
                .cloned()
                .collect(),
            problems: Vec::new(),
        }
    }

    /// Every handler, for listings.
    pub fn all(&self) -> impl Iterator<Item = &Handler> {
        self.entries.iter().map(|(_, h)| h)
    }

    /// The handlers of `event` whose matcher matches `subject` (a tool's name matches by its
    /// Claude Code name too). Events without a subject match every group.
    #[must_use]
    pub fn matching(&self, event: HookEvent, subject: Option<&str>) -> Vec<Handler> {
        let alias = subject.and_then(claude_name);
        self.entries
            .iter()
            .filter(|(m, h)| {
                h.event == event
                    && match subject {
                        None => true,
                        Some(s) => m.matches(s) || alias.is_some_and(|a| m.matches(a)),
                    }
            })
            .map(|(_, h)| h.clone())
            .collect()
    }
}

fn timeout(secs: Option<u64>) -> Duration {
    match secs {
        Some(s) if s > 0 => Duration::from_secs(s.min(86_400)),
        _ => DEFAULT_TIMEOUT,
    }
}

/// A matcher as Claude Code reads it: empty or `*` matches everything; anything else is a
/// regular expression that must match the whole subject (so `Write` is exactly `Write`).
fn compile(matcher: Option<&str>) -> Result<Matcher, regex::Error> {
    let m = matcher.unwrap_or_default().trim();
    if m.is_empty() || m == "*" {
        return Ok(Matcher::All);
    }
    Regex::new(&format!("^(?:{m})$")).map(Matcher::Pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(json: &str) -> Source {
        Source {
            label: "test".into(),
            block: serde_json::from_str(json).unwrap(),
            workspace: false,
        }
    }

    #[test]
    fn matchers_match_whole_names_regexes_and_claude_code_names() {
        let hooks = Hooks::new(
            &[source(
                r#"{
              "PreToolUse": [
                {"matcher": "Write|Edit", "hooks": [{"type": "command", "command": "a"}]},
                {"matcher": "run_command", "hooks": [{"type": "command", "command": "b", "timeout": 5}]},
                {"hooks": [{"type": "command", "command": "c"}]},
                {"matcher": "mcp__.*", "hooks": [{"type": "command", "command": "d"}]}
              ],
              "Stop": [{"hooks": [{"type": "command", "command": "e"}]}]
            }"#,
            )],
            Some(false),
        );
        let names = |event, subject| -> Vec<String> {
            hooks
                .matching(event, subject)
                .into_iter()
                .map(|h| h.command)
                .collect()
        };
        assert_eq!(names(HookEvent::PreToolUse, Some("write_file")), ["a", "c"]);
        assert_eq!(names(HookEvent::PreToolUse, Some("edit_file")), ["a", "c"]);
        assert_eq!(
            names(HookEvent::PreToolUse, Some("run_command")),
            ["b", "c"]
        );
        // Whole-name match: `Write` is not `WriteX`, `run_command` not `run_commands`.
        assert_eq!(names(HookEvent::PreToolUse, Some("run_commands")), ["c"]);
        assert_eq!(names(HookEvent::PreToolUse, Some("mcp__db__q")), ["c", "d"]);
        assert_eq!(names(HookEvent::Stop, None), ["e"]);
        assert!(names(HookEvent::PostToolUse, Some("write_file")).is_empty());
        let b = &hooks.matching(HookEvent::PreToolUse, Some("run_command"))[0];
        assert_eq!(b.timeout, Duration::from_secs(5));
        assert!(hooks.problems.is_empty());
    }

    #[test]
    fn what_cannot_run_is_said_and_left_out() {
        let hooks = Hooks::new(
            &[source(
                r#"{
              "SubagentStop": [{"hooks": [{"type": "command", "command": "x"}]}],
              "PreToolUse": [
                {"matcher": "(", "hooks": [{"type": "command", "command": "y"}]},
                {"matcher": "Bash", "hooks": [{"type": "prompt", "prompt": "is it safe?"}]}
              ]
            }"#,
            )],
            None,
        );
        assert!(hooks.is_empty());
        assert_eq!(hooks.problems.len(), 3, "{:?}", hooks.problems);
        assert!(hooks.problems.iter().any(|p| p.contains("SubagentStop")));
        assert!(hooks.problems.iter().any(|p| p.contains("only `command`")));
        assert!(check(&source(r#"{"Bogus": []}"#).block).is_err());
        let (key, message) =
            check(&source(r#"{"Stop": [{"hooks": [{"type": "command", "command": " "}]}]}"#).block)
                .unwrap_err();
        assert_eq!(key, "hooks.Stop");
        assert!(message.contains("command"));
    }

    #[test]
    fn hooks_run_in_the_sandbox_unless_you_say_and_plain_ones_are_told_apart() {
        let block = r#"{"PostToolUse": [{"matcher": "Write|Edit", "hooks": [
            {"type": "command", "command": "jq -r .tool_input.command >> ~/.claude/log.txt"},
            {"type": "command", "command": "npx prettier --write \"$f\""}
        ]}]}"#;
        let confined = |sandbox| -> Vec<bool> {
            Hooks::new(&[source(block)], sandbox)
                .all()
                .map(|h| h.confined.is_some())
                .collect()
        };
        assert_eq!(confined(None), [true, true]);
        assert_eq!(confined(Some(true)), [true, true]);
        assert_eq!(confined(Some(false)), [false, false]);
        let auto = Hooks::new(&[source(block)], None);
        let plain: Vec<bool> = auto.all().map(|h| h.plain).collect();
        assert_eq!(plain, [true, false]);
        assert_eq!(auto.problems.len(), 1, "{:?}", auto.problems);
        assert!(auto.problems[0].contains("`npx`"), "{}", auto.problems[0]);
        assert!(Hooks::new(&[source(block)], Some(true)).problems.is_empty());
    }
}
