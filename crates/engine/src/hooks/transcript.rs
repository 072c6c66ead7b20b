//! The session as Claude Code's transcript: one JSON object per line (`type` `user` or
//! `assistant`, `uuid`, `parentUuid`, `sessionId`, `timestamp`, `cwd`, and the API-shaped
//! `message`), so a hook that reads `transcript_path` — the last assistant message at `Stop`,
//! the tool calls of a turn — works unchanged.
//!
//! Written only when hooks are configured, and only when one is about to run: the file is
//! brought up to the conversation then (the new messages appended), never on the draw or
//! stream path. The conversation is the recorded one, so keys are already redacted. A
//! compaction, which replaces the conversation's start, is marked by a `system` line with
//! `subtype` `compact_boundary`, after which the compacted conversation follows.

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};

use crate::protocol::ChatMessage;

/// One session's transcript file.
#[derive(Debug)]
pub struct Transcript {
    path: PathBuf,
    session_id: String,
    cwd: PathBuf,
    /// Messages of the conversation already in the file (`None`: the file is not begun).
    written: Option<usize>,
    last_uuid: Option<String>,
}

impl Transcript {
    /// The transcript of `session_id` in `dir` (created when first written).
    #[must_use]
    pub fn new(dir: &Path, session_id: &str, cwd: &Path) -> Transcript {
        Transcript {
            path: dir.join(format!("{session_id}.jsonl")),
            session_id: session_id.to_string(),
            cwd: cwd.to_path_buf(),
            written: None,
            last_uuid: None,
        }
    }

    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Brings the file up to `conversation` and then `pending` (a reply recorded only after
    /// the hooks about it): the first time it is written whole (a resumed session's file
    /// starts again, never doubled), then only what is new.
    pub fn sync(
        &mut self,
        conversation: &[Arc<ChatMessage>],
        pending: Option<&ChatMessage>,
        model: &str,
    ) -> std::io::Result<()> {
        let total = conversation.len() + usize::from(pending.is_some());
        let mut lines = Vec::new();
        let from = match self.written {
            None => 0,
            Some(n) if n <= total => n,
            Some(_) => {
                lines.push(self.line(json!({
                    "type": "system",
                    "subtype": "compact_boundary",
                    "content": "Conversation compacted",
                    "level": "info",
                })));
                0
            }
        };
        let all = conversation.iter().map(AsRef::as_ref).chain(pending);
        for message in all.skip(from) {
            let body = message_json(message, model, &self.cwd);
            lines.push(self.line(body));
        }
        if lines.is_empty() && self.written.is_some() {
            return Ok(());
        }
        let begun = self.written.is_some();
        if let Some(dir) = self.path.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(begun)
            .truncate(!begun)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&self.path)?;
        let mut text = String::new();
        for line in lines {
            text.push_str(&line.to_string());
            text.push('\n');
        }
        file.write_all(text.as_bytes())?;
        self.written = Some(total);
        Ok(())
    }

    /// `body` with the fields every line has, chained to the line before.
    fn line(&mut self, mut body: Value) -> Value {
        let uuid = uuid::Uuid::new_v4().to_string();
        if let Some(fields) = body.as_object_mut() {
            fields.insert("uuid".into(), json!(uuid));
            fields.insert("parentUuid".into(), json!(self.last_uuid));
            fields.insert("sessionId".into(), json!(self.session_id));
            fields.insert(
                "timestamp".into(),
                json!(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            );
            fields.insert("cwd".into(), json!(self.cwd.display().to_string()));
            fields.insert("isSidechain".into(), json!(false));
            fields.insert("userType".into(), json!("external"));
            fields.insert("version".into(), json!(env!("CARGO_PKG_VERSION")));
        }
        self.last_uuid = Some(uuid);
        body
    }
}

/// One message as Claude Code writes it: the user's text as a string, a tool result as a
/// `tool_result` block of a user message, the model's reply as an assistant message with
/// `thinking`, `text` and `tool_use` blocks (tools by Claude Code's names and arguments, as
/// hooks see them).
fn message_json(message: &ChatMessage, model: &str, cwd: &Path) -> Value {
    match message {
        ChatMessage::User { text } => json!({
            "type": "user",
            "message": { "role": "user", "content": text },
        }),
        ChatMessage::ToolResult {
            call_id,
            content,
            is_error,
        } => json!({
            "type": "user",
            "message": {
                "role": "user",
                "content": [{
                    "type": "tool_result",
                    "tool_use_id": call_id,
                    "content": content,
                    "is_error": is_error,
                }],
            },
        }),
        ChatMessage::Assistant {
            text,
            tool_calls,
            reasoning,
        } => {
            let mut content = Vec::new();
            if let Some(r) = reasoning
                && !r.text.is_empty()
            {
                content.push(json!({ "type": "thinking", "thinking": r.text }));
            }
            if !text.is_empty() {
                content.push(json!({ "type": "text", "text": text }));
            }
            for call in tool_calls {
                content.push(json!({
                    "type": "tool_use",
                    "id": call.id,
                    "name": super::shape::tool_name(&call.name),
                    "input": super::shape::tool_input(&call.name, &call.arguments, cwd),
                }));
            }
            let stop = if tool_calls.is_empty() {
                "end_turn"
            } else {
                "tool_use"
            };
            json!({
                "type": "assistant",
                "message": {
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": content,
                    "stop_reason": stop,
                },
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ToolCallRequest;

    fn conversation() -> Vec<Arc<ChatMessage>> {
        vec![
            Arc::new(ChatMessage::User {
                text: "add a test".into(),
            }),
            Arc::new(ChatMessage::Assistant {
                text: "Writing it.".into(),
                tool_calls: vec![ToolCallRequest {
                    id: "call_1".into(),
                    name: crate::tools::RUN_COMMAND.into(),
                    arguments: r#"{"command": "cargo test"}"#.into(),
                }],
                reasoning: None,
            }),
            Arc::new(ChatMessage::ToolResult {
                call_id: "call_1".into(),
                content: "ok".into(),
                is_error: false,
            }),
        ]
    }

    fn read(path: &Path) -> Vec<Value> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn the_transcript_has_claude_codes_lines_and_grows_with_the_conversation() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = Path::new("/work/project");
        let mut t = Transcript::new(&dir.path().join("transcripts"), "s-1", cwd);
        let mut messages = conversation();
        t.sync(&messages, None, "m1").unwrap();
        let lines = read(t.path());
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["type"], "user");
        assert_eq!(lines[0]["message"]["content"], "add a test");
        assert_eq!(lines[0]["parentUuid"], Value::Null);
        assert_eq!(lines[1]["parentUuid"], lines[0]["uuid"]);
        assert_eq!(lines[1]["sessionId"], "s-1");
        assert_eq!(lines[1]["cwd"], "/work/project");
        let reply = &lines[1]["message"];
        assert_eq!(reply["role"], "assistant");
        assert_eq!(
            reply["content"][0],
            json!({"type": "text", "text": "Writing it."})
        );
        assert_eq!(reply["content"][1]["name"], "Bash");
        assert_eq!(reply["content"][1]["input"]["command"], "cargo test");
        assert_eq!(lines[2]["message"]["content"][0]["tool_use_id"], "call_1");
        // Only what is new is appended; nothing new writes nothing.
        messages.push(Arc::new(ChatMessage::Assistant {
            text: "Done.".into(),
            tool_calls: Vec::new(),
            reasoning: None,
        }));
        t.sync(&messages, None, "m1").unwrap();
        t.sync(&messages, None, "m1").unwrap();
        let lines = read(t.path());
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[3]["message"]["content"][0]["text"], "Done.");
        assert_eq!(lines[3]["message"]["stop_reason"], "end_turn");
        // A compaction: a boundary, then the conversation as it now is.
        let compacted = vec![Arc::new(ChatMessage::User {
            text: "summary".into(),
        })];
        t.sync(&compacted, None, "m1").unwrap();
        let lines = read(t.path());
        assert_eq!(lines.len(), 6);
        assert_eq!(lines[4]["subtype"], "compact_boundary");
        assert_eq!(lines[5]["message"]["content"], "summary");
        // A new writer (a resumed session) starts the file again.
        let mut again = Transcript::new(&dir.path().join("transcripts"), "s-1", cwd);
        again.sync(&messages, None, "m1").unwrap();
        assert_eq!(read(again.path()).len(), 4);
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(again.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "only the user reads it");
    }
}
