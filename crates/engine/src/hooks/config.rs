//! gearshift's own `[hooks]` table: Claude Code's `hooks` block (event → matcher groups →
//! handlers) and `sandbox`, which confines the hooks that would otherwise run as the user.

use serde::{Deserialize, Serialize};

use super::{HookEvent, HooksBlock, compile};

/// `[hooks]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct HooksConfig {
    /// `true`: every hook runs in the command sandbox; `false`: every hook runs as the user
    /// (only the user's own config may say so); unset: hooks run as the user but for those that
    /// start the workspace's own tooling (see [`super::reach`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<bool>,
    #[serde(flatten)]
    pub events: HooksBlock,
}

impl HooksConfig {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sandbox.is_none() && self.events.is_empty()
    }
}

/// Checks gearshift's own `[hooks]`: every event known, every matcher compiling, every
/// handler a command with a command line. The error names the dotted key.
pub fn check(block: &HooksBlock) -> Result<(), (String, String)> {
    for (name, groups) in block {
        if HookEvent::named(name).is_none() {
            let known: Vec<&str> = HookEvent::ALL.iter().map(|e| e.name()).collect();
            return Err((
                format!("hooks.{name}"),
                format!("no such event; the events are {}", known.join(", ")),
            ));
        }
        for group in groups {
            compile(group.matcher.as_deref()).map_err(|e| {
                (
                    format!("hooks.{name}"),
                    format!(
                        "matcher `{}` does not compile: {e}",
                        group.matcher.as_deref().unwrap_or_default()
                    ),
                )
            })?;
            for h in &group.hooks {
                if h.kind != "command" {
                    return Err((
                        format!("hooks.{name}"),
                        format!("type `{}`: only `command` hooks run", h.kind),
                    ));
                }
                if h.command.trim().is_empty() {
                    return Err((format!("hooks.{name}"), "a hook needs a `command`".into()));
                }
            }
        }
    }
    Ok(())
}
