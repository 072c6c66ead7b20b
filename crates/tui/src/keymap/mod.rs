//! Key bindings: one table that both dispatches keys and generates the help overlay and the
//! status-bar hints, so what the help says is always what the keys do.
//!
//! Each [`Action`] lives in one [`KeyContext`]; `[keys]` in config replaces an action's keys by
//! its name. Two actions whose contexts can be active together may not share a key, and a
//! global key may not be a bare character (it would steal typing from the composer): both are
//! reported before the terminal is touched.

use std::collections::{BTreeMap, HashMap};

use crate::config::KeyBinding;

mod combo;
pub use combo::KeyCombo;

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyContext {
    /// Everywhere.
    Global,
    /// Wherever focus is, the composer included, while a plan step or a pipeline stage waits
    /// at its gate.
    Gate,
    /// As `Gate`, while a pipeline stage waits at its gate.
    StageGate,
    /// While typing in the composer.
    Composer,
    /// While the composer's `/` command popup shows (its keys shadow the composer's).
    Completion,
    /// In any pane other than the composer.
    Panes,
    /// In the chat transcript.
    Transcript,
    /// In the diff review pane.
    Diff,
    /// In the context heatmap pane.
    Context,
    /// In the plan pane.
    Plan,
    /// While the help overlay is open.
    Help,
    /// While the model waits for a command to be approved.
    Approval,
    /// In the session browser.
    Browser,
    /// In the command palette.
    Palette,
}

impl KeyContext {
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            KeyContext::Global => "Everywhere",
            KeyContext::Gate => "At a gate (anywhere, the composer included)",
            KeyContext::StageGate => "At a pipeline stage's gate (anywhere)",
            KeyContext::Composer => "Composer",
            KeyContext::Completion => "The / command popup (above the composer)",
            KeyContext::Panes => "Any pane outside the composer",
            KeyContext::Transcript => "Chat transcript",
            KeyContext::Diff => "Diff review pane",
            KeyContext::Context => "Context heatmap pane",
            KeyContext::Plan => "Plan pane",
            KeyContext::Help => "Help",
            KeyContext::Approval => "Command approval",
            KeyContext::Browser => "Session browser",
            KeyContext::Palette => "Command palette",
        }
    }

    /// Whether both contexts can be active at the same time (and so may not share a key).
    fn overlaps(self, other: KeyContext) -> bool {
        use KeyContext::{
            Completion, Composer, Context, Diff, Gate, Global, Panes, Plan, StageGate, Transcript,
        };
        // The popup's keys shadow the composer's and the global ones while it shows, by design
        // (↑/↓ pick a command instead of a past prompt, Tab completes instead of moving focus).
        if matches!(
            (self, other),
            (Completion, Composer | Global) | (Composer | Global, Completion)
        ) {
            return false;
        }
        self == other
            || matches!(self, Global | Gate | StageGate)
            || matches!(other, Global | Gate | StageGate)
            || matches!(
                (self, other),
                (Panes, Transcript | Diff | Context | Plan)
                    | (Transcript | Diff | Context | Plan, Panes)
            )
    }
}

macro_rules! actions {
    ($( $variant:ident => $name:literal, $ctx:ident, [$($key:literal),*], $hint:literal, $desc:literal; )*) => {
        /// Everything a key can do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action { $($variant),* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];

            /// The name used in `[keys]`.
            #[must_use]
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name),* }
            }

            #[must_use]
            pub fn context(self) -> KeyContext {
                match self { $(Action::$variant => KeyContext::$ctx),* }
            }

            /// The default keys, in the syntax of `[keys]`.
            #[must_use]
            pub fn default_keys(self) -> &'static [&'static str] {
                match self { $(Action::$variant => &[$($key),*]),* }
            }

            /// A short label for the status bar; empty when the action is not hinted there.
            #[must_use]
            pub fn hint(self) -> &'static str {
                match self { $(Action::$variant => $hint),* }
            }

            /// What the help overlay says.
            #[must_use]
            pub fn description(self) -> &'static str {
                match self { $(Action::$variant => $desc),* }
            }
        }
    };
}

actions! {
    Help => "help", Global, ["f1"], "help", "Open or close this help";
    CycleGear => "cycle_gear", Global, ["shift+tab"], "gear", "Shift gear: vibe → plan → pipeline";
    Quit => "quit", Global, ["ctrl+q"], "quit", "Quit gearshift";
    Interrupt => "interrupt", Global, ["ctrl+c"], "",
        "Cancel running work, or clear the composer; press twice within a second to quit";
    FocusNext => "focus_next", Global, ["tab"], "next pane", "Move focus to the next pane";
    Sessions => "sessions", Global, ["ctrl+s"], "sessions",
        "Browse, search and resume past sessions";
    FocusChat => "focus_chat", Global, ["alt+1"], "", "Focus the chat composer";
    FocusPlan => "focus_plan", Global, ["alt+2"], "", "Focus the plan pane";
    FocusDiff => "focus_diff", Global, ["alt+3"], "", "Focus the diff review pane";
    FocusContext => "focus_context", Global, ["alt+4"], "", "Focus the context heatmap pane";
    Back => "back", Global, ["esc"], "", "Close the overlay, stop the reply being written, or return focus to the composer";
    Palette => "palette", Global, ["ctrl+p"], "palette",
        "Open the command palette: every action and / command, filtered as you type";
    Models => "models", Global, ["f2"], "",
        "Choose the model for what runs now (as /model): every configured provider's models";
    GatePass => "gate_pass", Gate, ["alt+g"], "pass gate",
        "Pass the waiting gate: run the next approved step, or the next pipeline stage (an incomplete step runs again)";
    GateBack => "gate_back", StageGate, ["alt+b"], "send back",
        "Send the waiting stage back to the model with comments";
    GateSkip => "gate_skip", StageGate, ["alt+s"], "skip", "Skip the waiting stage (recorded)";
    Submit => "submit", Composer, ["enter"], "send", "Send the prompt";
    Newline => "newline", Composer, ["alt+enter", "ctrl+j"], "newline", "Insert a new line";
    SendNow => "send_now", Composer, ["ctrl+enter", "ctrl+o"], "",
        "Send the prompt now: while the model works, stop it and start over with this prompt";
    HistoryPrev => "history_prev", Composer, ["up"], "",
        "Previous prompt (on the first line of the composer)";
    HistoryNext => "history_next", Composer, ["down"], "",
        "Next prompt (on the last line of the composer)";
    DeleteToStart => "delete_to_start", Composer, ["ctrl+u"], "",
        "Delete from the cursor to the start of the line, as in a shell";
    EditPrompt => "edit_prompt", Composer, ["ctrl+g"], "",
        "Edit the prompt in $EDITOR; what you save comes back to the composer";
    CompletionNext => "completion_next", Completion, ["down"], "", "Select the next command";
    CompletionPrev => "completion_prev", Completion, ["up"], "", "Select the previous command";
    CompletionAccept => "completion_accept", Completion, ["tab"], "complete",
        "Complete the selected command's name, to type its arguments";
    CompletionRun => "completion_run", Completion, ["enter"], "run",
        "Run the selected command (or send the line as typed when it names one)";
    PaletteDown => "palette_down", Palette, ["down", "ctrl+n"], "", "Select the next entry";
    PaletteUp => "palette_up", Palette, ["up"], "", "Select the previous entry";
    PaletteRun => "palette_run", Palette, ["enter"], "run", "Run the selected entry";
    PaneHelp => "pane_help", Panes, ["?"], "", "Open the help";
    Zoom => "zoom", Panes, ["z"], "zoom", "Zoom the focused pane to full screen and back";
    ScrollUp => "scroll_up", Transcript, ["k", "up"], "", "Scroll up a line";
    ScrollDown => "scroll_down", Transcript, ["j", "down"], "", "Scroll down a line";
    PageUp => "page_up", Transcript, ["pageup", "ctrl+b"], "", "Scroll up a page";
    PageDown => "page_down", Transcript, ["pagedown", "space"], "", "Scroll down a page";
    ScrollTop => "scroll_top", Transcript, ["home", "g"], "", "Go to the first message";
    ScrollBottom => "scroll_bottom", Transcript, ["end", "G"], "end",
        "Go to the end and follow new output";
    SelectPrev => "select_prev", Transcript, ["[", "shift+up"], "select",
        "Select the previous message or tool call";
    SelectNext => "select_next", Transcript, ["]", "shift+down"], "",
        "Select the next message or tool call";
    ToggleCell => "toggle_cell", Transcript, ["enter"], "expand",
        "Expand or collapse the selected tool call or thinking";
    Copy => "copy", Transcript, ["y"], "copy", "Copy the selected message to the clipboard (OSC 52)";
    DiffDown => "diff_down", Diff, ["j", "down"], "", "Scroll the diff down a line";
    DiffUp => "diff_up", Diff, ["k", "up"], "", "Scroll the diff up a line";
    DiffPageDown => "diff_page_down", Diff, ["pagedown", "space"], "", "Scroll the diff down a page";
    DiffPageUp => "diff_page_up", Diff, ["pageup", "ctrl+b"], "", "Scroll the diff up a page";
    DiffRight => "diff_right", Diff, ["l", "right"], "",
        "Scroll long lines sideways (a line cut at the pane's edge ends in ›)";
    DiffLeft => "diff_left", Diff, ["h", "left"], "", "Scroll back towards the start of the lines";
    DiffNextHunk => "diff_next_hunk", Diff, ["n"], "hunk", "Select the next hunk";
    DiffPrevHunk => "diff_prev_hunk", Diff, ["p"], "", "Select the previous hunk";
    DiffNextFile => "diff_next_file", Diff, ["]"], "file", "Show the next changed file";
    DiffPrevFile => "diff_prev_file", Diff, ["["], "", "Show the previous changed file";
    DiffAccept => "diff_accept", Diff, ["a"], "accept", "Accept the selected hunk";
    DiffReject => "diff_reject", Diff, ["x"], "reject", "Reject the selected hunk";
    DiffAcceptFile => "diff_accept_file", Diff, ["A"], "",
        "Accept every undecided hunk of the file";
    DiffRejectFile => "diff_reject_file", Diff, ["X"], "",
        "Reject every undecided hunk of the file";
    DiffComment => "diff_comment", Diff, ["c"], "comment",
        "Comment on the selected hunk; the model reads it with the decisions";
    DiffEdit => "diff_edit", Diff, ["e"], "edit",
        "Edit the hunk's proposed text in $EDITOR; what you save is what gets applied";
    DiffSubmit => "diff_submit", Diff, ["enter"], "submit",
        "Submit the review: write the accepted hunks and tell the model the decisions";
    DiffUndo => "diff_undo", Diff, ["u"], "undo",
        "Undo the last applied change (refused if the file changed since)";
    DiffSplit => "diff_split", Diff, ["s"], "split",
        "Switch between unified and side-by-side views (side-by-side needs 100 columns in the pane: zoom it)";
    DiffForward => "diff_forward", Diff, ["f"], "",
        "Make the reviewing agents' findings on the selected hunk your comment on it";
    DiffRepropose => "diff_repropose", Diff, ["R"], "send back",
        "Send the change back unapplied and ask the model for a fresh proposal";
    PlanDown => "plan_down", Plan, ["j", "down"], "", "Select the next step";
    PlanUp => "plan_up", Plan, ["k", "up"], "", "Select the previous step";
    PlanCollapse => "plan_collapse", Plan, ["h", "left"], "", "Collapse the step, or go to its parent";
    PlanExpand => "plan_expand", Plan, ["l", "right"], "", "Expand the step";
    PlanApprove => "plan_approve", Plan, ["a"], "approve", "Approve the step and the steps under it";
    PlanApproveAll => "plan_approve_all", Plan, ["A"], "", "Approve every step not rejected";
    PlanReject => "plan_reject", Plan, ["x"], "reject",
        "Reject the step and the steps under it: they never run";
    PlanEdit => "plan_edit", Plan, ["e"], "edit",
        "Edit the step's title, then its detail, in place (Enter saves, Esc cancels)";
    PlanAdd => "plan_add", Plan, ["o"], "add", "Add a step after the selected one";
    PlanDelete => "plan_delete", Plan, ["d"], "", "Delete the step (not one that has run)";
    PlanParallel => "plan_parallel", Plan, ["p"], "",
        "Mark the step independent (∥): it may run at the same time as its neighbours so marked";
    PlanMoveUp => "plan_move_up", Plan, ["K"], "", "Move the step up among its siblings";
    PlanMoveDown => "plan_move_down", Plan, ["J"], "", "Move the step down among its siblings";
    PlanComment => "plan_comment", Plan, ["c"], "comment", "Comment on the step, for the model";
    PlanRevise => "plan_revise", Plan, ["r"], "revise",
        "Send the plan with your edits and comments to the model for a revised version";
    PlanGo => "plan_go", Plan, ["g"], "run",
        "Pass the step's gate and run the next approved step (pipeline gear: pass the stage's gate)";
    PlanMarkDone => "plan_mark_done", Plan, ["D"], "",
        "Mark the step the model left incomplete as done (the run key runs it again instead)";
    PlanGoAll => "plan_go_all", Plan, ["G"], "run all",
        "Run every remaining approved step, each still stopping while its changes await review";
    StageBack => "stage_back", Plan, ["b"], "send back",
        "Pipeline gear: send the stage back to the model with comments";
    StageSkip => "stage_skip", Plan, ["S"], "skip", "Pipeline gear: skip the stage (recorded)";
    ContextDown => "context_down", Context, ["j", "down"], "", "Select the next item (largest first)";
    ContextUp => "context_up", Context, ["k", "up"], "", "Select the previous item";
    ContextDrop => "context_drop", Context, ["d"], "drop",
        "Leave the selected message out of future requests, or bring it back (history keeps it)";
    ContextPin => "context_pin", Context, ["p"], "pin",
        "Pin the selected message: compaction keeps it verbatim";
    ContextCompact => "context_compact", Context, ["C"], "compact",
        "Compact now: the model summarises the turns before the latest prompt";
    ApproveOnce => "approve_once", Approval, ["y"], "run once", "Run the command this once";
    ApproveAlways => "approve_always", Approval, ["a"], "always",
        "Run it, and allow this exact command for the rest of the session";
    Deny => "deny", Approval, ["n"], "deny", "Refuse it, with an optional reason for the model";
    ApprovalDown => "approval_down", Approval, ["j", "down"], "",
        "Scroll a long command down (it must be read to its end before y or a)";
    ApprovalUp => "approval_up", Approval, ["k", "up"], "", "Scroll the command up";
    ApprovalPageDown => "approval_page_down", Approval, ["pagedown", "space"], "",
        "Scroll the command a page down";
    ApprovalPageUp => "approval_page_up", Approval, ["pageup"], "", "Scroll the command a page up";
    BrowserUp => "browser_up", Browser, ["k", "up"], "", "Previous session";
    BrowserDown => "browser_down", Browser, ["j", "down"], "", "Next session";
    BrowserOpen => "browser_open", Browser, ["enter"], "resume",
        "Resume the session (read-only when it belongs to another workspace)";
    BrowserScope => "browser_scope", Browser, ["w"], "all/this workspace",
        "Show all workspaces' sessions, or this workspace's";
    BrowserSearch => "browser_search", Browser, ["/"], "search",
        "Search the text of every message (Enter to run, Esc to leave)";
    BrowserFork => "browser_fork", Browser, ["f"], "fork", "Copy the session into a new one and open it";
    BrowserRename => "browser_rename", Browser, ["r"], "rename", "Rename the session";
    BrowserDelete => "browser_delete", Browser, ["d"], "delete",
        "Delete the session and all its rows (asks first)";
    BrowserExport => "browser_export", Browser, ["e"], "export", "Export the session as Markdown";
    HelpUp => "help_up", Help, ["k", "up"], "", "Scroll the help or the cost overlay up";
    HelpDown => "help_down", Help, ["j", "down"], "", "Scroll the help or the cost overlay down";
    HelpClose => "help_close", Help, ["q", "?"], "", "Close the help or the cost overlay";
}

/// A problem with `[keys]`, reported before the terminal is touched.
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    #[error("[keys] {action}: {message}")]
    BadKey { action: String, message: String },
    #[error("[keys] `{0}` is not an action; actions are: {1}")]
    UnknownAction(String, String),
    #[error(
        "[keys] {key} is bound to both `{first}` and `{second}`, which can be active at the same \
         time; rebind one of them"
    )]
    Conflict {
        key: String,
        first: &'static str,
        second: &'static str,
    },
    #[error(
        "[keys] `{action}` is a global action, so {key} would stop you typing that character; \
         bind it with ctrl or alt"
    )]
    StealsTyping { action: &'static str, key: String },
}

impl KeymapError {
    /// The `[keys]` entries the error is about, to blame the one a config file sets.
    #[must_use]
    pub fn actions(&self) -> Vec<&str> {
        match self {
            KeymapError::BadKey { action, .. } | KeymapError::UnknownAction(action, _) => {
                vec![action]
            }
            KeymapError::Conflict { first, second, .. } => vec![second, first],
            KeymapError::StealsTyping { action, .. } => vec![action],
        }
    }
}

/// The resolved bindings.
#[derive(Debug, Clone)]
pub struct Keymap {
    by_action: BTreeMap<Action, Vec<KeyCombo>>,
    lookup: HashMap<(KeyContext, KeyCombo), Action>,
}

impl Keymap {
    /// The defaults patched by `[keys]`.
    pub fn new(overrides: &BTreeMap<String, KeyBinding>) -> Result<Keymap, KeymapError> {
        let mut by_action = BTreeMap::new();
        for &action in Action::ALL {
            let keys = action
                .default_keys()
                .iter()
                .map(|k| KeyCombo::parse(k))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|message| KeymapError::BadKey {
                    action: action.name().into(),
                    message,
                })?;
            by_action.insert(action, keys);
        }
        for (name, binding) in overrides {
            let action = Action::ALL
                .iter()
                .copied()
                .find(|a| a.name() == name)
                .ok_or_else(|| {
                    let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                    KeymapError::UnknownAction(name.clone(), names.join(", "))
                })?;
            let keys = binding
                .keys()
                .into_iter()
                .map(KeyCombo::parse)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|message| KeymapError::BadKey {
                    action: name.clone(),
                    message,
                })?;
            by_action.insert(action, keys);
        }
        let mut lookup: HashMap<(KeyContext, KeyCombo), Action> = HashMap::new();
        let mut seen: Vec<(KeyCombo, Action)> = Vec::new();
        for (&action, keys) in &by_action {
            for &key in keys {
                if matches!(
                    action.context(),
                    KeyContext::Global | KeyContext::Gate | KeyContext::StageGate
                ) && key.is_typing()
                {
                    return Err(KeymapError::StealsTyping {
                        action: action.name(),
                        key: key.to_string(),
                    });
                }
                if let Some((_, other)) = seen
                    .iter()
                    .find(|(k, a)| *k == key && a.context().overlaps(action.context()))
                {
                    return Err(KeymapError::Conflict {
                        key: key.to_string(),
                        first: other.name(),
                        second: action.name(),
                    });
                }
                seen.push((key, action));
                lookup.insert((action.context(), key), action);
            }
        }
        Ok(Keymap { by_action, lookup })
    }

    /// The action for a key in the first of `contexts` that binds it.
    #[must_use]
    pub fn resolve(&self, contexts: &[KeyContext], key: KeyCombo) -> Option<Action> {
        contexts
            .iter()
            .find_map(|ctx| self.lookup.get(&(*ctx, key)).copied())
    }

    #[must_use]
    pub fn keys(&self, action: Action) -> &[KeyCombo] {
        self.by_action.get(&action).map_or(&[], Vec::as_slice)
    }

    /// "Alt+Enter / Ctrl+J" for an action.
    #[must_use]
    pub fn keys_label(&self, action: Action) -> String {
        self.keys(action)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" / ")
    }

    /// Every action of a context with its keys, in table order, for the help overlay.
    #[must_use]
    pub fn section(&self, context: KeyContext) -> Vec<(String, &'static str)> {
        Action::ALL
            .iter()
            .filter(|a| a.context() == context && !self.keys(**a).is_empty())
            .map(|a| (self.keys_label(*a), a.description()))
            .collect()
    }

    /// Status-bar hints for the active contexts: (first key, label).
    #[must_use]
    pub fn hints(&self, contexts: &[KeyContext]) -> Vec<(String, &'static str)> {
        self.hints_where(contexts, |_| true)
    }

    /// [`Keymap::hints`] of the actions that would do something now (`applies`): a hint for a
    /// key that would only be refused is never shown.
    pub fn hints_where(
        &self,
        contexts: &[KeyContext],
        applies: impl Fn(Action) -> bool,
    ) -> Vec<(String, &'static str)> {
        let mut out: Vec<(String, &'static str)> = Vec::new();
        let hinted = contexts
            .iter()
            .flat_map(|ctx| Action::ALL.iter().filter(move |a| a.context() == *ctx))
            .filter(|a| !a.hint().is_empty() && applies(**a))
            .filter_map(|a| self.keys(*a).first().map(|k| (k.to_string(), a.hint())));
        for (key, hint) in hinted {
            // A key a more specific context already took (the popup's Enter) is not the
            // shadowed action's any more.
            if !out.iter().any(|(k, _)| *k == key) {
                out.push((key, hint));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyCombo {
        KeyCombo::new(code, mods)
    }

    #[test]
    fn every_default_key_resolves_to_its_action() {
        let km = Keymap::new(&BTreeMap::new()).unwrap();
        for &action in Action::ALL {
            assert!(!km.keys(action).is_empty(), "{action:?} has no key");
            for &key in km.keys(action) {
                assert_eq!(
                    km.resolve(&[action.context()], key),
                    Some(action),
                    "{key} in {:?}",
                    action.context()
                );
            }
        }
    }

    #[test]
    fn crossterm_events_match_written_keys() {
        let km = Keymap::new(&BTreeMap::new()).unwrap();
        let g = [KeyContext::Global];
        assert_eq!(
            km.resolve(&g, ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::CycleGear)
        );
        assert_eq!(
            km.resolve(&g, ev(KeyCode::Char('q'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.resolve(&g, ev(KeyCode::Char('1'), KeyModifiers::ALT)),
            Some(Action::FocusChat)
        );
        let c = [KeyContext::Composer];
        assert_eq!(
            km.resolve(&c, ev(KeyCode::Enter, KeyModifiers::ALT)),
            Some(Action::Newline)
        );
        assert_eq!(
            km.resolve(&c, ev(KeyCode::Char('j'), KeyModifiers::CONTROL)),
            Some(Action::Newline)
        );
        let t = [KeyContext::Transcript];
        assert_eq!(
            km.resolve(&t, ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::ScrollBottom)
        );
        let p = [KeyContext::Panes];
        assert_eq!(
            km.resolve(&p, ev(KeyCode::Char('?'), KeyModifiers::SHIFT)),
            Some(Action::PaneHelp)
        );
    }

    #[test]
    fn overrides_replace_an_actions_keys() {
        let mut o = BTreeMap::new();
        o.insert(
            "quit".to_string(),
            KeyBinding::Many(vec!["ctrl+x".into(), "f10".into()]),
        );
        let km = Keymap::new(&o).unwrap();
        let g = [KeyContext::Global];
        assert_eq!(
            km.resolve(&g, ev(KeyCode::Char('x'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.resolve(&g, ev(KeyCode::F(10), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.resolve(&g, ev(KeyCode::Char('q'), KeyModifiers::CONTROL)),
            None
        );
        assert_eq!(km.keys_label(Action::Quit), "Ctrl+X / F10");
    }

    #[test]
    fn conflicting_entry_is_reported() {
        let mut o = BTreeMap::new();
        o.insert("zoom".to_string(), KeyBinding::One("j".into()));
        let err = Keymap::new(&o).unwrap_err().to_string();
        assert!(err.contains("zoom") && err.contains("scroll_down"), "{err}");

        let mut o = BTreeMap::new();
        o.insert("help".to_string(), KeyBinding::One("ctrl+q".into()));
        let err = Keymap::new(&o).unwrap_err().to_string();
        assert!(
            err.contains("Ctrl+Q") && err.contains("quit") && err.contains("help"),
            "{err}"
        );

        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), KeyBinding::One("q".into()));
        let err = Keymap::new(&o).unwrap_err().to_string();
        assert!(err.contains("typing"), "{err}");
    }

    #[test]
    fn same_key_in_disjoint_contexts_is_fine() {
        // `j` scrolls both the transcript and the help overlay, which are never active together.
        let km = Keymap::new(&BTreeMap::new()).unwrap();
        let j = KeyCombo::parse("j").unwrap();
        assert_eq!(km.resolve(&[KeyContext::Help], j), Some(Action::HelpDown));
        assert_eq!(
            km.resolve(&[KeyContext::Transcript], j),
            Some(Action::ScrollDown)
        );
    }

    #[test]
    fn the_manual_documents_every_action() {
        let page = include_str!("../../../../docs/keys-and-commands.md");
        for action in Action::ALL {
            assert!(
                page.contains(&format!("`{}`", action.name())),
                "docs/keys-and-commands.md does not mention `{}`",
                action.name()
            );
        }
    }

    #[test]
    fn bad_names_and_keys_are_reported() {
        let mut o = BTreeMap::new();
        o.insert("teleport".to_string(), KeyBinding::One("t".into()));
        let err = Keymap::new(&o).unwrap_err().to_string();
        assert!(err.contains("teleport") && err.contains("quit"), "{err}");
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), KeyBinding::One("hyper+q".into()));
        assert!(Keymap::new(&o).unwrap_err().to_string().contains("hyper"));
        assert!(KeyCombo::parse("f99").is_err());
        assert_eq!(KeyCombo::parse("ctrl++").unwrap().code, KeyCode::Char('+'));
        assert_eq!(
            KeyCombo::parse("shift+k").unwrap(),
            KeyCombo::parse("K").unwrap()
        );
    }
}
