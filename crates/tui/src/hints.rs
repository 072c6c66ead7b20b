//! Key hints, built from the live keymap: wherever the interface tells the user which key
//! does something (a refusal's hint, a notice, a pane footer, the status bar), the key comes
//! from here, so a rebound key shows its new binding everywhere. No other text names a key.

use super::keymap::{Action, Keymap};
use crate::protocol::Hint;

/// The first key bound to `action` ("a", "Ctrl+S"), or "unbound" when the user unbound it.
#[must_use]
pub fn key(keymap: &Keymap, action: Action) -> String {
    keymap
        .keys(action)
        .first()
        .map_or_else(|| "unbound".to_string(), ToString::to_string)
}

/// "a approves the selected step, A all of them": each action with what it does.
#[must_use]
pub fn say(keymap: &Keymap, parts: &[(Action, &str)]) -> String {
    joined(keymap, parts, ", ")
}

fn joined(keymap: &Keymap, parts: &[(Action, &str)], separator: &str) -> String {
    each(keymap, parts).join(separator)
}

/// Each action with what it does, as a hint of its own: "a accept".
#[must_use]
pub fn each(keymap: &Keymap, parts: &[(Action, &str)]) -> Vec<String> {
    parts
        .iter()
        .map(|(action, what)| format!("{} {what}", key(keymap, *action)))
        .collect()
}

/// "in the plan pane (Alt+2): a approves…": where to go, then what to press there.
fn in_pane(keymap: &Keymap, focus: Action, pane: &str, parts: &[(Action, &str)]) -> String {
    format!(
        "in the {pane} pane ({}): {}",
        key(keymap, focus),
        say(keymap, parts)
    )
}

/// What the human can do about a refusal, with its keys.
#[must_use]
pub fn for_hint(keymap: &Keymap, hint: Hint) -> String {
    match hint {
        Hint::ApproveSteps => in_pane(
            keymap,
            Action::FocusPlan,
            "plan",
            &[
                (Action::PlanApprove, "approves the selected step"),
                (Action::PlanApproveAll, "all of them"),
            ],
        ),
        Hint::DecideHunks => in_pane(
            keymap,
            Action::FocusDiff,
            "diff",
            &[
                (Action::DiffAccept, "accepts a hunk"),
                (Action::DiffReject, "rejects it"),
            ],
        ),
        Hint::SkipStage => say(keymap, &[(Action::StageSkip, "skips the stage")]),
        Hint::SendBack => in_pane(
            keymap,
            Action::FocusPlan,
            "plan",
            &[
                (Action::StageBack, "sends the stage back with comments"),
                (Action::StageSkip, "skips it"),
            ],
        ),
        Hint::FreeContext => in_pane(
            keymap,
            Action::FocusContext,
            "context",
            &[
                (Action::ContextDrop, "leaves an item out"),
                (Action::ContextCompact, "compacts older turns"),
            ],
        ),
        Hint::Wait => say(keymap, &[(Action::Interrupt, "cancels what runs")]),
    }
}

/// A refusal as the chat shows it: the core's reason, then what to do, with keys.
#[must_use]
pub fn refusal(keymap: &Keymap, message: &str, hint: Option<Hint>) -> String {
    match hint {
        Some(h) => format!("{message} — {}", for_hint(keymap, h)),
        None => message.to_string(),
    }
}

/// A pane footer in at most `width` columns: "a accept · x reject · ? more", each key as
/// bound now. `parts` come most important first: what does not fit is dropped whole (never
/// cut), and the help's key then says where the rest are.
#[must_use]
pub fn footer(keymap: &Keymap, parts: &[(Action, &str)], width: usize) -> String {
    let more = format!("{} more", key(keymap, Action::PaneHelp));
    super::fit::parts(&each(keymap, parts), " · ", width, Some(&more))
}
