//! One model turn, as pure functions: the request built from the session state, and the events
//! that record how the turn ended. The actor in `core` does the streaming around them.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::config::ActiveProvider;
use crate::protocol::{ErrorKind, Event, FinishReason, Gear, RequestFacts};
use crate::provider::{
    self, ChatRequest, ProviderError, Reasoning, ReasoningPart, StreamEvent, TokenUsage,
    ToolCallRequest,
};

use super::{SessionState, shape};

pub use super::prompts::gear_prompt;

/// What a request's system prompt starts with: a subagent's own instructions (its
/// definition's, in place of the gear's), else the gear's.
#[must_use]
pub fn instructions(state: &SessionState) -> &str {
    match &state.subagent {
        Some(agent) => &agent.prompt,
        None => gear_prompt(state.gear),
    }
}

/// The request for the next model call: the gear's prompt, project memory, the conversation
/// as shaped by compaction and drops, and the tools the gear allows.
#[must_use]
pub fn build_request(
    state: &SessionState,
    provider: &ActiveProvider,
    memory: &str,
    catalog: &str,
    registry: &crate::tools::Registry,
) -> ChatRequest {
    ChatRequest {
        model: provider.model.clone(),
        system: format!("{}{catalog}{memory}", instructions(state).trim()),
        messages: shape::shaped_messages(state)
            .into_iter()
            .map(|(_, m)| m)
            .collect(),
        tools: shape::offered_specs(state, registry),
        max_output_tokens: provider.max_output_tokens,
        reasoning: provider.reasoning,
        source: provider.source(),
        think_tags: provider.think_tags,
        probe: false,
    }
}

/// What is known of a model response in progress.
#[derive(Debug, Default)]
pub struct TurnProgress {
    pub text: String,
    /// Reasoning text so far, and the parts to pass back.
    pub reasoning: String,
    pub reasoning_parts: Vec<ReasoningPart>,
    pub usage: Option<TokenUsage>,
    pub reason: Option<FinishReason>,
    /// Tool calls being assembled, by stream index.
    calls: BTreeMap<usize, ToolCallRequest>,
    /// When the request was sent, and when its first token arrived.
    sent: Option<Instant>,
    first: Option<Instant>,
    /// Attempts the HTTP layer made before this one.
    retries: u32,
    /// The request's input tokens as estimated when it was sent: what a reply cut off before
    /// the provider said its usage is recorded as having read.
    pub input_estimate: u64,
}

/// What a request was for, as its usage records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub gear: Gear,
    pub stage: Option<String>,
    /// `turn` or `compact`.
    pub purpose: &'static str,
}

impl TurnProgress {
    /// The progress of a request sent now, of about `input_estimate` input tokens: its
    /// latency and time to first token are measured.
    #[must_use]
    pub fn sent_now(input_estimate: u64) -> TurnProgress {
        TurnProgress {
            sent: Some(Instant::now()),
            input_estimate,
            ..TurnProgress::default()
        }
    }

    /// The same progress, its request sent `delay` from now (after a retry's backoff).
    #[must_use]
    pub fn sent_after(mut self, delay: std::time::Duration) -> TurnProgress {
        self.sent = self.sent.map(|s| s + delay);
        self
    }

    /// Which model answered, for what, and how fast; `None` for a request never sent.
    #[must_use]
    pub fn facts(
        &self,
        provider: &ActiveProvider,
        origin: &Origin,
        error: Option<ErrorKind>,
    ) -> Option<RequestFacts> {
        let sent = self.sent?;
        let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Some(RequestFacts {
            provider: provider.name.clone(),
            model: provider.model.clone(),
            gear: origin.gear,
            stage: origin.stage.clone(),
            purpose: origin.purpose.to_string(),
            latency_ms: ms(sent.elapsed()),
            ttft_ms: self.first.map(|f| ms(f.duration_since(sent))),
            error,
            retries: self.retries,
            estimated: self.estimated_usage().is_some(),
        })
    }

    /// Whether anything of the reply arrived: text, reasoning or a tool call.
    #[must_use]
    pub fn answered(&self) -> bool {
        self.first.is_some() || !self.text.is_empty() || !self.calls.is_empty()
    }

    /// Folds a stream event in; returns the text to show now, if any.
    pub fn absorb(&mut self, event: StreamEvent) -> Option<String> {
        if self.first.is_none()
            && matches!(
                event,
                StreamEvent::TextDelta(_)
                    | StreamEvent::ReasoningDelta(_)
                    | StreamEvent::ToolCallStart { .. }
            )
        {
            self.first = Some(Instant::now());
        }
        match event {
            StreamEvent::TextDelta(t) => {
                self.text.push_str(&t);
                return Some(t);
            }
            StreamEvent::ReasoningDelta(t) => self.reasoning.push_str(&t),
            StreamEvent::ReasoningPart(p) => self.reasoning_parts.push(p),
            StreamEvent::Usage(u) => self.usage.get_or_insert_with(TokenUsage::default).merge(u),
            StreamEvent::Finish(r) => self.reason = Some(r),
            StreamEvent::ToolCallStart { index, id, name } => {
                self.calls.insert(
                    index,
                    ToolCallRequest {
                        id,
                        name,
                        arguments: String::new(),
                    },
                );
            }
            StreamEvent::ToolCallDelta { index, arguments } => {
                if let Some(c) = self.calls.get_mut(&index) {
                    c.arguments.push_str(&arguments);
                }
            }
            StreamEvent::ToolCallEnd { .. } => {}
            StreamEvent::Retried(n) => self.retries += n,
        }
        None
    }

    /// The usage to record when the reply was cut off (a cancel, a broken stream) before the
    /// provider gave its final figures — Anthropic's `message_start` says 1 output token —
    /// or it never gave any: the input as estimated when sent, the output from what arrived,
    /// each where larger than what the provider said. `None` when the provider's figures
    /// stand (the reply finished with usage), or nothing arrived (nothing was billed).
    #[must_use]
    pub fn estimated_usage(&self) -> Option<TokenUsage> {
        if !self.answered() || (self.reason.is_some() && self.usage.is_some()) {
            return None;
        }
        let arrived: String = [self.reasoning.as_str(), self.text.as_str()]
            .into_iter()
            .chain(self.calls.values().map(|c| c.arguments.as_str()))
            .collect();
        let reported = self.usage.unwrap_or_default();
        Some(TokenUsage {
            input: reported.input.max(self.input_estimate),
            output: reported
                .output
                .max(crate::context::estimate_tokens(&arrived) as u64),
            ..reported
        })
    }

    /// Bytes of the reply so far: its text and its tool calls' arguments.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.text.len()
            + self.reasoning.len()
            + self
                .calls
                .values()
                .map(|c| c.arguments.len())
                .sum::<usize>()
    }

    /// The reasoning of this response, tagged with its source, if the model showed any.
    #[must_use]
    pub fn reasoning(&self, source: &str) -> Option<Reasoning> {
        let r = Reasoning {
            text: self.reasoning.clone(),
            parts: self.reasoning_parts.clone(),
            source: source.to_string(),
        };
        (!r.is_empty()).then_some(r)
    }

    /// The assembled tool calls, in the order the model made them.
    #[must_use]
    pub fn tool_calls(&self) -> Vec<ToolCallRequest> {
        self.calls.values().cloned().collect()
    }
}

/// The events that record one model response: the reply (marked interrupted unless it
/// completed), its tool calls (only when complete: a half-streamed call is never run), and
/// usage with cost and the request's facts (a failed request's with no tokens).
#[must_use]
pub fn reply_events(
    progress: &TurnProgress,
    completed: bool,
    provider: &ActiveProvider,
    origin: &Origin,
    error: Option<ErrorKind>,
) -> Vec<Event> {
    let mut events = Vec::new();
    let reasoning = progress.reasoning(&provider.source());
    let thought = reasoning.is_some();
    if let Some(reasoning) = reasoning {
        events.push(Event::Reasoning { reasoning });
    }
    if completed || thought || !progress.text.is_empty() {
        events.push(Event::AssistantMessage {
            text: progress.text.clone(),
            interrupted: !completed,
        });
    }
    if completed {
        events.extend(progress.calls.values().map(|c| Event::ToolCall {
            id: c.id.clone(),
            name: c.name.clone(),
            arguments: c.arguments.clone(),
        }));
    }
    events.extend(usage_event(progress, provider, origin, error));
    events
}

/// The usage of one request with its facts: `None` when it reported none and was never sent.
#[must_use]
pub fn usage_event(
    progress: &TurnProgress,
    provider: &ActiveProvider,
    origin: &Origin,
    error: Option<ErrorKind>,
) -> Option<Event> {
    let request = progress.facts(provider, origin, error).map(Box::new);
    if progress.usage.is_none() && request.is_none() {
        return None;
    }
    let usage = progress.estimated_usage().or(progress.usage);
    let u = usage.unwrap_or_default();
    Some(Event::Usage {
        input: u.input,
        output: u.output,
        cached: u.cached,
        cache_write: u.cache_write,
        reasoning: u.reasoning,
        cost: usage.and_then(|u| provider::cost(provider, u)),
        request,
    })
}

/// How a turn ended.
#[derive(Debug)]
pub enum TurnEnd {
    Completed,
    Cancelled,
    Failed(ProviderError),
}

/// The events that record a turn's end, in order: the reply, usage with cost, an error if
/// any, and the finish.
#[must_use]
pub fn finish_events(
    progress: &TurnProgress,
    end: &TurnEnd,
    provider: &ActiveProvider,
    origin: &Origin,
) -> Vec<Event> {
    let error = match end {
        TurnEnd::Failed(e) => Some(e.kind()),
        _ => None,
    };
    let completed = matches!(end, TurnEnd::Completed);
    let mut events = reply_events(progress, completed, provider, origin, error);
    events.extend(end_events(end, progress.reason));
    events
}

/// The error (if any) and the finish of a turn.
#[must_use]
pub fn end_events(end: &TurnEnd, reason: Option<FinishReason>) -> Vec<Event> {
    let mut events = Vec::new();
    let reason = match end {
        TurnEnd::Completed => reason.unwrap_or(FinishReason::Stop),
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
    use crate::protocol::Gear;

    fn openai() -> ActiveProvider {
        let mut c: Config = toml::from_str(DEFAULTS_TOML).unwrap();
        c.provider = Some("openai".into());
        c.active_provider().unwrap()
    }

    fn origin() -> Origin {
        Origin {
            gear: Gear::Plan,
            stage: None,
            purpose: "turn",
        }
    }

    /// The usage event's request facts, taken out so the rest compares exactly.
    fn take_facts(events: &mut [Event]) -> RequestFacts {
        events
            .iter_mut()
            .find_map(|e| match e {
                Event::Usage { request, .. } => request.take().map(|r| *r),
                _ => None,
            })
            .expect("a usage event with facts")
    }

    #[test]
    fn a_completed_turn_records_reply_usage_with_cost_and_finish() {
        let mut p = TurnProgress::sent_now(0);
        assert_eq!(
            p.absorb(StreamEvent::TextDelta("Hel".into())).as_deref(),
            Some("Hel")
        );
        p.absorb(StreamEvent::TextDelta("lo".into()));
        p.absorb(StreamEvent::Usage(TokenUsage {
            input: 1_000_000,
            output: 0,
            cached: 0,
            cache_write: 0,
            reasoning: 0,
        }));
        p.absorb(StreamEvent::Usage(TokenUsage {
            input: 0,
            output: 500_000,
            cached: 0,
            cache_write: 0,
            reasoning: 0,
        }));
        p.absorb(StreamEvent::Finish(FinishReason::Length));
        let mut events = finish_events(&p, &TurnEnd::Completed, &openai(), &origin());
        let facts = take_facts(&mut events);
        assert_eq!(
            (facts.provider.as_str(), facts.model.as_str()),
            ("openai", "gpt-4.1")
        );
        assert_eq!((facts.gear, facts.purpose.as_str()), (Gear::Plan, "turn"));
        assert!(facts.ttft_ms.is_some_and(|t| t <= facts.latency_ms));
        assert_eq!(facts.error, None);
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
                    cache_write: 0,
                    reasoning: 0,
                    // $2 per million in, $8 per million out.
                    cost: Some(6.0),
                    request: None,
                },
                Event::TurnFinished {
                    reason: FinishReason::Length
                }
            ]
        );
    }

    #[test]
    fn a_failed_turn_keeps_partial_text_marked_interrupted() {
        let mut p = TurnProgress::sent_now(1_200);
        p.absorb(StreamEvent::TextDelta("partial".into()));
        let err = ProviderError::IdleTimeout {
            provider: "openai".into(),
            seconds: 1.0,
            received: 10,
        };
        let mut events = finish_events(&p, &TurnEnd::Failed(err), &openai(), &origin());
        // The failed request is counted, with how it failed and the tokens it was billed for
        // as estimated (the provider reported none).
        let facts = take_facts(&mut events);
        assert_eq!(facts.error, Some(ErrorKind::Network));
        assert!(facts.estimated);
        assert_eq!(
            events[0],
            Event::AssistantMessage {
                text: "partial".into(),
                interrupted: true
            }
        );
        let Event::Usage {
            input,
            output,
            cost,
            ..
        } = events[1]
        else {
            panic!("{events:?}")
        };
        assert_eq!((input, output), (1_200, 1));
        assert!(cost.is_some_and(|c| c > 0.0), "billed, so priced");
        // Nothing arrived: nothing was billed, nothing is estimated.
        let mut none = finish_events(
            &TurnProgress::sent_now(1_200),
            &TurnEnd::Cancelled,
            &openai(),
            &origin(),
        );
        assert!(!take_facts(&mut none).estimated);
        // Anthropic's message_start says 1 output token; a reply cut off after it is
        // estimated all the same.
        let mut cut = TurnProgress::sent_now(50_000);
        cut.absorb(StreamEvent::Usage(TokenUsage {
            input: 50_000,
            output: 1,
            ..TokenUsage::default()
        }));
        for _ in 0..200 {
            cut.absorb(StreamEvent::TextDelta("word by word, ".into()));
        }
        let usage = cut.estimated_usage().expect("estimated");
        assert_eq!(usage.input, 50_000);
        assert!(usage.output > 500, "{usage:?}");
        // A reply that finished with the provider's figures keeps them.
        cut.absorb(StreamEvent::Finish(FinishReason::Stop));
        assert!(cut.estimated_usage().is_none());
        assert!(matches!(
            events[2],
            Event::Error {
                kind: ErrorKind::Network,
                ..
            }
        ));
        assert_eq!(
            events[3],
            Event::TurnFinished {
                reason: FinishReason::Error
            }
        );
    }

    #[test]
    fn a_cancelled_turn_without_text_records_only_the_finish() {
        let events = finish_events(
            &TurnProgress::default(),
            &TurnEnd::Cancelled,
            &openai(),
            &origin(),
        );
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
        let r = build_request(&s, &openai(), "", "", &crate::tools::Registry::builtin());
        assert!(r.system.contains("plan"));
        assert_eq!(r.messages.len(), 1);
        assert_eq!(r.model, "gpt-4.1");
        let names: Vec<&str> = r.tools.iter().map(|t| t.name.as_str()).collect();
        assert!(
            !names.contains(&"write_file") && !names.contains(&"run_command"),
            "{names:?}"
        );
    }

    #[test]
    fn tool_calls_are_assembled_and_recorded_only_when_complete() {
        let mut p = TurnProgress::default();
        p.absorb(StreamEvent::TextDelta("Reading.".into()));
        p.absorb(StreamEvent::ToolCallStart {
            index: 1,
            id: "b".into(),
            name: "grep".into(),
        });
        p.absorb(StreamEvent::ToolCallStart {
            index: 0,
            id: "a".into(),
            name: "read_file".into(),
        });
        p.absorb(StreamEvent::ToolCallDelta {
            index: 0,
            arguments: "{\"path\":".into(),
        });
        p.absorb(StreamEvent::ToolCallDelta {
            index: 0,
            arguments: "\"x\"}".into(),
        });
        let calls = p.tool_calls();
        assert_eq!(calls[0].id, "a");
        assert_eq!(calls[0].arguments, "{\"path\":\"x\"}");
        assert_eq!(calls[1].name, "grep");
        let complete = reply_events(&p, true, &openai(), &origin(), None);
        assert_eq!(
            complete.iter().filter(|e| e.kind() == "tool_call").count(),
            2
        );
        let cut = reply_events(&p, false, &openai(), &origin(), None);
        assert_eq!(cut.iter().filter(|e| e.kind() == "tool_call").count(), 0);
    }
}
