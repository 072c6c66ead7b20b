//! The scripted provider (`kind = "script"`): plays a TOML file of turns — text, tool calls,
//! usage, or an error — as if a model streamed them. Used by tests, for reproducing bug reports,
//! and for the offline demo (`assets/demo/script.toml`).

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{
    ChatMessage, ChatRequest, ModelClient, ModelStream, ProviderError, StreamEvent, TokenUsage,
};
use crate::protocol::FinishReason;

/// The built-in demo script.
pub const DEMO_SCRIPT: &str = include_str!("../../../../assets/demo/script.toml");

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// Pause between streamed words, to look like a model typing.
    #[serde(default, skip_serializing_if = "is_zero")]
    chunk_delay_ms: u64,
    #[serde(default)]
    turns: Vec<ScriptTurn>,
    /// Played for every request after the last turn; without it, such a request is an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fallback: Option<String>,
    /// Turns played in answer to a message that contains `when` (the demo's tour: what the
    /// newcomer types, or the instruction that starts a plan step or a pipeline stage).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    scenes: Vec<Scene>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Turns that answer a message containing `when` (case-insensitive): turn N answers the N-th
/// request since that message.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Scene {
    when: String,
    turns: Vec<ScriptTurn>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ScriptTurn {
    #[serde(default)]
    text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<ScriptToolCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    usage: Option<ScriptUsage>,
    /// Fail the turn with this provider error after the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ScriptToolCall {
    name: String,
    #[serde(default)]
    arguments: serde_json::Value,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ScriptUsage {
    input: u64,
    output: u64,
    #[serde(default)]
    cached: u64,
}

impl Script {
    pub fn parse(text: &str) -> Result<Script, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// A recorded session's model replies, in order, as a script that plays them again: each
    /// reply's text, its tool calls (their arguments as recorded) and its usage. Summaries
    /// of compactions are not replies and are left out.
    #[must_use]
    pub fn of_session(events: &[crate::protocol::Event]) -> Script {
        use crate::protocol::Event;
        let mut turns: Vec<ScriptTurn> = Vec::new();
        let mut open = false;
        for e in events {
            match e {
                Event::AssistantMessage { text, .. } => {
                    turns.push(ScriptTurn {
                        text: text.clone(),
                        ..ScriptTurn::default()
                    });
                    open = true;
                }
                Event::ToolCall {
                    name, arguments, ..
                } if open => {
                    let arguments = serde_json::from_str(arguments)
                        .unwrap_or_else(|_| serde_json::Value::String(arguments.clone()));
                    if let Some(t) = turns.last_mut() {
                        t.tool_calls.push(ScriptToolCall {
                            name: name.clone(),
                            arguments,
                        });
                    }
                }
                Event::Usage {
                    input,
                    output,
                    cached,
                    ..
                } if open => {
                    if let Some(t) = turns.last_mut() {
                        t.usage = Some(ScriptUsage {
                            input: *input,
                            output: *output,
                            cached: *cached,
                        });
                    }
                    open = false;
                }
                Event::Reasoning { .. } => {}
                _ => open = false,
            }
        }
        Script {
            turns,
            ..Script::default()
        }
    }

    /// The script as a TOML file.
    ///
    /// # Errors
    /// When a value has no TOML form (it always has: the fields are strings and numbers).
    pub fn to_toml(&self) -> Result<String, String> {
        toml::to_string(self).map_err(|e| e.to_string())
    }

    /// How many replies it plays, and their tool calls.
    #[must_use]
    pub fn size(&self) -> (usize, usize) {
        let calls = self.turns.iter().map(|t| t.tool_calls.len()).sum();
        (self.turns.len(), calls)
    }

    /// The turn of the scene the latest message that starts one began, if any: `Some(None)`
    /// when that scene has played all its turns.
    fn scene_turn(&self, messages: &[Arc<ChatMessage>]) -> Option<Option<ScriptTurn>> {
        messages.iter().enumerate().rev().find_map(|(i, m)| {
            let ChatMessage::User { text } = &**m else {
                return None;
            };
            let text = text.to_lowercase();
            let scene = self
                .scenes
                .iter()
                .find(|s| text.contains(&s.when.to_lowercase()))?;
            let n = messages[i + 1..]
                .iter()
                .filter(|m| matches!(&***m, ChatMessage::Assistant { .. }))
                .count();
            Some(scene.turns.get(n).cloned())
        })
    }
}

pub struct ScriptClient {
    provider: String,
    script: Script,
}

impl ScriptClient {
    pub fn new(provider: &str, script: Script) -> ScriptClient {
        ScriptClient {
            provider: provider.to_string(),
            script,
        }
    }
}

/// A rough token estimate for scripts that give no usage: four characters a token.
fn estimate_tokens(chars: usize) -> u64 {
    u64::try_from(chars.div_ceil(4)).unwrap_or(u64::MAX)
}

impl ModelClient for ScriptClient {
    fn provider(&self) -> &str {
        &self.provider
    }

    fn stream(&self, request: ChatRequest) -> ModelStream {
        // A scene's turn when a message started one; else turn N answers the N-th request of
        // the conversation, so a resumed session continues the script where it left off.
        let n = request
            .messages
            .iter()
            .filter(|m| matches!(&***m, ChatMessage::Assistant { .. }))
            .count();
        let scene = self.script.scene_turn(&request.messages);
        let turn = match (scene, self.script.turns.get(n), &self.script.fallback) {
            (Some(Some(t)), _, _) => Ok(t),
            (None, Some(t), _) => Ok(t.clone()),
            (_, _, Some(text)) => Ok(ScriptTurn {
                text: text.clone(),
                ..ScriptTurn::default()
            }),
            (_, _, None) => Err(ProviderError::Script(format!(
                "the script has {} turns and no fallback; request {} has nothing to play",
                self.script.turns.len(),
                n + 1
            ))),
        };
        let prompt = request
            .messages
            .iter()
            .rev()
            .find_map(|m| match &**m {
                ChatMessage::User { text } => Some(crate::protocol::default_title(text)),
                _ => None,
            })
            .unwrap_or_default();
        let tools_chars = serde_json::to_string(&request.tools).map_or(0, |t| t.len());
        let input_chars = tools_chars
            + request.system.len()
            + request
                .messages
                .iter()
                .map(|m| match &**m {
                    ChatMessage::User { text } | ChatMessage::Assistant { text, .. } => text.len(),
                    ChatMessage::ToolResult { content, .. } => content.len(),
                })
                .sum::<usize>();
        let delay = Duration::from_millis(self.script.chunk_delay_ms);
        let provider = self.provider.clone();
        ModelStream::spawn(move |tx| async move {
            let turn = match turn {
                Ok(t) => t,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let text = turn.text.replace("{prompt}", &prompt);
            for word in text.split_inclusive(' ') {
                if tx
                    .send(Ok(StreamEvent::TextDelta(word.to_string())))
                    .await
                    .is_err()
                {
                    return;
                }
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
            }
            if let Some(message) = turn.error {
                let _ = tx
                    .send(Err(ProviderError::Api {
                        provider,
                        message,
                        outage: false,
                    }))
                    .await;
                return;
            }
            for (index, call) in turn.tool_calls.iter().enumerate() {
                let events = [
                    StreamEvent::ToolCallStart {
                        index,
                        id: format!("script_call_{n}_{index}"),
                        name: call.name.clone(),
                    },
                    StreamEvent::ToolCallDelta {
                        index,
                        arguments: call.arguments.to_string(),
                    },
                    StreamEvent::ToolCallEnd { index },
                ];
                for e in events {
                    let _ = tx.send(Ok(e)).await;
                }
            }
            let usage = turn.usage.map_or_else(
                || TokenUsage {
                    input: estimate_tokens(input_chars),
                    output: estimate_tokens(text.len()),
                    cached: 0,
                    cache_write: 0,
                    reasoning: 0,
                },
                |u| TokenUsage {
                    input: u.input,
                    output: u.output,
                    cached: u.cached,
                    cache_write: 0,
                    reasoning: 0,
                },
            );
            let reason = if turn.tool_calls.is_empty() {
                FinishReason::Stop
            } else {
                FinishReason::ToolCalls
            };
            let _ = tx.send(Ok(StreamEvent::Usage(usage))).await;
            let _ = tx.send(Ok(StreamEvent::Finish(reason))).await;
        })
    }
}
