//! One model turn, as pure functions: the request built from the session state, and the events
//! that record how the turn ended. The actor in `core` does the streaming around them.

use crate::config::ActiveProvider;
use crate::protocol::{Event, FinishReason, Gear};
use crate::provider::{self, ChatRequest, ProviderError, StreamEvent, TokenUsage};

use super::SessionState;

/// The system prompt of each gear (`assets/prompts/`).
#[must_use]
pub fn gear_prompt(gear: Gear) -> &'static str {
    match gear {
        Gear::Vibe => include_str!("../../assets/prompts/vibe.md"),
        Gear::Plan => include_str!("../../assets/prompts/plan.md"),
        Gear::Pipeline => include_str!("../../assets/prompts/pipeline.md"),
    }
}

/// The request for the next turn: the gear's prompt and the whole conversation.
#[must_use]
pub fn build_request(state: &SessionState, provider: &ActiveProvider) -> ChatRequest {
    ChatRequest {
        model: provider.model.clone(),
        system: gear_prompt(state.gear).trim().to_string(),
        messages: state.conversation.clone(),
        tools: Vec::new(),
        max_output_tokens: provider.max_output_tokens,
    }
}

/// What is known of a turn in progress.
#[derive(Debug, Default)]
pub struct TurnProgress {
    pub text: String,
    pub usage: Option<TokenUsage>,
    pub reason: Option<FinishReason>,
}

impl TurnProgress {
    /// Folds a stream event in; returns the text to show now, if any.
    pub fn absorb(&mut self, event: StreamEvent) -> Option<String> {
        match event {
            StreamEvent::TextDelta(t) => {
                self.text.push_str(&t);
                return Some(t);
            }
            StreamEvent::Usage(u) => self.usage.get_or_insert_with(TokenUsage::default).merge(u),
            StreamEvent::Finish(r) => self.reason = Some(r),
            // Tools are offered by the agent loop; until then a model has none to call.
            StreamEvent::ToolCallStart { .. }
            | StreamEvent::ToolCallDelta { .. }
            | StreamEvent::ToolCallEnd { .. } => {}
        }
        None
    }
}

/// How a turn ended.
#[derive(Debug)]
pub enum TurnEnd {
    Completed,
    Cancelled,
    Failed(ProviderError),
}

/// The events that record a turn's end, in order: the reply (marked interrupted unless it
/// completed), usage with cost, an error if any, and the finish.
#[must_use]
pub fn finish_events(
    progress: TurnProgress,
    end: &TurnEnd,
    provider: &ActiveProvider,
) -> Vec<Event> {
    let mut events = Vec::new();
    let completed = matches!(end, TurnEnd::Completed);
    if completed || !progress.text.is_empty() {
        events.push(Event::AssistantMessage {
            text: progress.text,
            interrupted: !completed,
        });
    }
    if let Some(u) = progress.usage {
        events.push(Event::Usage {
            input: u.input,
            output: u.output,
            cached: u.cached,
            cost: provider::cost(provider, u),
        });
    }
    let reason = match end {
        TurnEnd::Completed => progress.reason.unwrap_or(FinishReason::Stop),
        TurnEnd::Cancelled => FinishReason::Cancelled,
        TurnEnd::Failed(e) => {
            events.push(Event::Error {
                kind: e.kind(),
                message: e.to_string(),
            });
            FinishReason::Error
        }
    };
    events.push(Event::TurnFinished { reason });
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, DEFAULTS_TOML};
    use crate::protocol::ErrorKind;

    fn openai() -> ActiveProvider {
        let mut c: Config = toml::from_str(DEFAULTS_TOML).unwrap();
        c.provider = Some("openai".into());
        c.active_provider().unwrap()
    }

    #[test]
    fn a_completed_turn_records_reply_usage_with_cost_and_finish() {
        let mut p = TurnProgress::default();
        assert_eq!(
            p.absorb(StreamEvent::TextDelta("Hel".into())).as_deref(),
            Some("Hel")
        );
        p.absorb(StreamEvent::TextDelta("lo".into()));
        p.absorb(StreamEvent::Usage(TokenUsage {
            input: 1_000_000,
            output: 0,
            cached: 0,
        }));
        p.absorb(StreamEvent::Usage(TokenUsage {
            input: 0,
            output: 500_000,
            cached: 0,
        }));
        p.absorb(StreamEvent::Finish(FinishReason::Length));
        let events = finish_events(p, &TurnEnd::Completed, &openai());
        assert_eq!(
            events,
            vec![
                Event::AssistantMessage {
                    text: "Hello".into(),
                    interrupted: false
                },
                Event::Usage {
                    input: 1_000_000,
                    output: 500_000,
                    cached: 0,
                    // $2 per million in, $8 per million out.
                    cost: Some(6.0)
                },
                Event::TurnFinished {
                    reason: FinishReason::Length
                }
            ]
        );
    }

    #[test]
    fn a_failed_turn_keeps_partial_text_marked_interrupted() {
        let mut p = TurnProgress::default();
        p.absorb(StreamEvent::TextDelta("partial".into()));
        let err = ProviderError::IdleTimeout {
            provider: "openai".into(),
            seconds: 1.0,
        };
        let events = finish_events(p, &TurnEnd::Failed(err), &openai());
        assert_eq!(
            events[0],
            Event::AssistantMessage {
                text: "partial".into(),
                interrupted: true
            }
        );
        assert!(matches!(
            events[1],
            Event::Error {
                kind: ErrorKind::Network,
                ..
            }
        ));
        assert_eq!(
            events[2],
            Event::TurnFinished {
                reason: FinishReason::Error
            }
        );
    }

    #[test]
    fn a_cancelled_turn_without_text_records_only_the_finish() {
        let events = finish_events(TurnProgress::default(), &TurnEnd::Cancelled, &openai());
        assert_eq!(
            events,
            vec![Event::TurnFinished {
                reason: FinishReason::Cancelled
            }]
        );
    }

    #[test]
    fn the_request_carries_the_gear_prompt_and_conversation() {
        let mut s = SessionState {
            gear: Gear::Plan,
            ..SessionState::default()
        };
        s.apply(&Event::UserMessage {
            text: "hi".into(),
            attachments: vec![],
        });
        let r = build_request(&s, &openai());
        assert!(r.system.contains("plan"));
        assert_eq!(r.messages.len(), 1);
        assert_eq!(r.model, "gpt-4.1");
    }
}
