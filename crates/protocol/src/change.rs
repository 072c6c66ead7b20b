//! What events say of a change to a file: its content before and after ([`FileChange`]), what
//! is not text in it ([`Node`]), and the human's verdict on a hunk. Diffing, reviewing and
//! writing changes are `crate::changes`'s.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One file's change. `before: None` is a creation; `after: None` a deletion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileChange {
    /// Relative to the workspace root.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// SHA-256 of `before`, to detect a file changed on disk since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_hash: Option<String>,
    /// Set for a rename: the old path (`path` is the new one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// Folders the write created (deepest first), which undoing it removes if still empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub created_dirs: Vec<String>,
    /// The mode the written file gets (a command made a script executable), when it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    /// What is not text — a binary file, a symbolic link, a mode alone — decided whole; then
    /// `before` and `after` only describe it, in one line each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special: Option<Special>,
}

/// A change that is not a text diff: what was at the path and what will be (`None`: nothing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Special {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Node>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Node>,
}

/// What a path holds, when it is not simply text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Node {
    /// A regular file: its bytes (standard base64) and its permission bits.
    File { base64: String, mode: u32 },
    /// A symbolic link and where it points.
    Link { target: String },
}

impl Node {
    /// A file's node.
    #[must_use]
    pub fn file(bytes: &[u8], mode: u32) -> Node {
        use base64::Engine as _;
        Node::File {
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
            mode: mode & 0o777,
        }
    }

    /// A file's bytes (empty for a link, or undecodable text).
    #[must_use]
    pub fn bytes(&self) -> Vec<u8> {
        use base64::Engine as _;
        match self {
            Node::File { base64, .. } => base64::engine::general_purpose::STANDARD
                .decode(base64)
                .unwrap_or_default(),
            Node::Link { .. } => Vec::new(),
        }
    }

    /// What it holds as text, read lossily (a link's target): for the checks that read words.
    #[must_use]
    pub fn lossy(&self) -> String {
        match self {
            Node::File { .. } => String::from_utf8_lossy(&self.bytes()).into_owned(),
            Node::Link { target } => target.clone(),
        }
    }

    /// One line saying what it is, for the diff and the summaries.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Node::File { mode, .. } => {
                let bytes = self.bytes();
                let kind = if std::str::from_utf8(&bytes).is_ok() && !bytes.contains(&0) {
                    "text"
                } else {
                    "binary"
                };
                format!(
                    "[{kind} file, {} bytes, mode {:o}, sha256 {}]\n",
                    bytes.len(),
                    mode,
                    &hash(&bytes)[..12]
                )
            }
            Node::Link { target } => format!("[symbolic link to {target}]\n"),
        }
    }
}

impl FileChange {
    #[must_use]
    pub fn new(path: String, before: Option<String>, after: Option<String>) -> FileChange {
        let base_hash = before.as_deref().map(|b| hash(b.as_bytes()));
        FileChange {
            path,
            before,
            after,
            base_hash,
            renamed_from: None,
            created_dirs: Vec::new(),
            mode: None,
            special: None,
        }
    }

    /// A change decided whole: `before` and `after` describe the nodes.
    #[must_use]
    pub fn special(path: String, before: Option<Node>, after: Option<Node>) -> FileChange {
        let (b, a) = (
            before.as_ref().map(Node::describe),
            after.as_ref().map(Node::describe),
        );
        FileChange {
            special: Some(Special { before, after }),
            ..FileChange::new(path, b, a)
        }
    }

    /// The same change, setting the written file's mode.
    #[must_use]
    pub fn with_mode(mut self, mode: Option<u32>) -> FileChange {
        self.mode = mode.map(|m| m & 0o777);
        self
    }

    /// The same change, recording the folders its write created.
    #[must_use]
    pub fn creating(mut self, dirs: Vec<String>) -> FileChange {
        self.created_dirs = dirs;
        self
    }

    /// A move of `from` to `to`, content unchanged.
    #[must_use]
    pub fn renamed(from: String, to: String, content: String) -> FileChange {
        FileChange {
            renamed_from: Some(from),
            ..FileChange::new(to, Some(content.clone()), Some(content))
        }
    }

    /// Lines added and removed, for summaries.
    #[must_use]
    pub fn line_counts(&self) -> (usize, usize) {
        let before = self.before.as_deref().unwrap_or("");
        let after = self.after.as_deref().unwrap_or("");
        let diff = similar::TextDiff::from_lines(before, after);
        let mut added = 0;
        let mut removed = 0;
        for change in diff.iter_all_changes() {
            match change.tag() {
                similar::ChangeTag::Insert => added += 1,
                similar::ChangeTag::Delete => removed += 1,
                similar::ChangeTag::Equal => {}
            }
        }
        (added, removed)
    }
}

/// Hex SHA-256.
/// The call a change belongs to (a change set's changes are `CALL#n`; a file tool's one change
/// is its call's id): what the engine, the replay and telemetry all name a change's writer by.
#[must_use]
pub fn call_of(change: &str) -> &str {
    change.rsplit_once('#').map_or(change, |(call, _)| call)
}

#[must_use]
pub fn hash(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Bytes as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// What the human decided about a hunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Accept,
    Reject,
    /// Accept this text in place of the hunk (its context and added lines, as edited).
    Edit {
        text: String,
    },
}

impl Verdict {
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Accept => "accepted",
            Verdict::Reject => "rejected",
            Verdict::Edit { .. } => "accepted as edited",
        }
    }

    #[must_use]
    pub fn writes(&self) -> bool {
        !matches!(self, Verdict::Reject)
    }
}

/// What a reviewing agent found in a change under review: for the human alone (shown on the
/// hunk it concerns), never sent to the model unless the human makes it a comment of theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The agent that found it (`reviewer`, `security-reviewer`).
    pub agent: String,
    pub severity: Severity,
    /// The hunk it concerns; `None`: the change as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hunk: Option<String>,
    pub text: String,
}

/// How much a finding matters, by the reviewer's word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    High,
    Medium,
    Low,
}

impl Severity {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}
