//! What a key asks of the app, from whichever part took it (a pane, an overlay, the app
//! itself): ops for the core, a note for the status bar, and [`Effect`]s for the event loop.

use crate::browser::BrowserRequest;
use crate::protocol::Op;

/// What the event loop must do after an input.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Send(Op),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Ask the session store something for the browser.
    Browser(BrowserRequest),
    /// Suspend the screen and edit a hunk's proposed text in `$EDITOR`.
    EditHunk {
        change: String,
        hunk: String,
        text: String,
        extension: String,
    },
    /// `/new`: close this session and open a new one in the workspace.
    NewSession,
    /// Ctrl+G: suspend the screen and edit the prompt in `$EDITOR`.
    EditPrompt(String),
    /// List the workspace's files for `@` completion (in the background).
    ListFiles,
    /// Read the figures of the `/cost` overlay (in the background).
    LoadStats,
    /// Read a tool call's result from the store (in the background): the chat keeps only
    /// short ones. `copy`: put it on the clipboard once read.
    ReadOutput {
        call: String,
        copy: bool,
    },
    Quit,
}

/// What a pane's action asks of the app.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    /// Ops for the core.
    pub ops: Vec<Op>,
    /// A line for the status bar.
    pub note: Option<String>,
    /// Work for the event loop (the clipboard, `$EDITOR`).
    pub effects: Vec<Effect>,
}

impl Outcome {
    #[must_use]
    pub fn send(ops: Vec<Op>) -> Outcome {
        Outcome {
            ops,
            ..Outcome::default()
        }
    }

    #[must_use]
    pub fn note(note: impl Into<String>) -> Outcome {
        Outcome {
            note: Some(note.into()),
            ..Outcome::default()
        }
    }
}
