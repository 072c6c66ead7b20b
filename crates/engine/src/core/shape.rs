//! The next request as the model will see it: which tools the gear, the plan step or the
//! pipeline stage offer; the conversation with compaction and drops applied; what each part
//! costs (the context accounting); and the request that asks for a compaction summary.

use super::SessionState;
use crate::config::ActiveProvider;
use crate::context::Category;
use crate::protocol::Gear;
use crate::provider::{
    self, ChatMessage, ChatRequest, Reasoning, ReasoningRequest, ToolCallRequest,
};
use crate::tools;
use std::sync::Arc;

/// Whether the session is running a plan step (which hands out write tools) or planning.
#[must_use]
pub fn phase(state: &SessionState) -> tools::Phase {
    if state.memory_turn {
        return tools::Phase::Memory;
    }
    let running = state
        .plan
        .as_ref()
        .and_then(crate::plan::Plan::running)
        .is_some();
    if running {
        return tools::Phase::Executing;
    }
    let stage = state.pipeline.as_ref().and_then(|p| {
        let i = p.run.current()?;
        (p.run.statuses[i] == crate::pipeline::StageStatus::Running)
            .then(|| p.run.pipeline.stages[i].kind)
    });
    match stage {
        Some(kind) if state.gear == Gear::Pipeline => tools::Phase::Stage(kind),
        _ => tools::Phase::Planning,
    }
}

/// The tools a pipeline stage may use by its definition (the stage's `tools`), when that list
/// names any of gearshift's tools, plus what the stage needs to produce its output whatever
/// the list says: a list written for another tool (`Read, Grep`) names none and restricts
/// nothing, and no list can take away the artifact's `write_file`, a plan stage's
/// `propose_plan` or a step's end.
fn stage_allows(state: &SessionState, registry: &tools::Registry) -> Option<Vec<String>> {
    use crate::pipeline::StageKind;
    if state.gear != Gear::Pipeline {
        return None;
    }
    let p = state.pipeline.as_ref()?;
    let i = p.run.current()?;
    let stage = &p.run.pipeline.stages[i];
    let mut list = stage.tools.clone()?;
    if !list.iter().any(|t| registry.kind_of(t).is_some()) {
        return None;
    }
    let needed: &[&str] = match stage.kind {
        StageKind::Artifact | StageKind::Ship => &[tools::WRITE_FILE],
        StageKind::Plan => &[tools::PROPOSE_PLAN],
        StageKind::RunPlan => &[tools::COMPLETE_STEP, tools::FAIL_STEP],
        StageKind::Verify => &[],
    };
    for t in needed {
        if !list.iter().any(|l| l == t) {
            list.push((*t).to_string());
        }
    }
    Some(list)
}

/// Whether the tool may be called now: offered by the gear and phase, and allowed by the
/// pipeline stage.
#[must_use]
pub fn tool_offered(state: &SessionState, registry: &tools::Registry, name: &str) -> bool {
    registry.offered(state.gear, phase(state), name)
        && stage_allows(state, registry).is_none_or(|list| list.iter().any(|t| t == name))
}

/// The tool schemas of the next request.
#[must_use]
pub fn offered_specs(state: &SessionState, registry: &tools::Registry) -> Vec<provider::ToolSpec> {
    let allows = stage_allows(state, registry);
    registry
        .specs(state.gear, phase(state))
        .into_iter()
        // A stage's own list narrows the tools, but a skill can always be loaded.
        .filter(|s| {
            s.name == tools::SKILL || allows.as_ref().is_none_or(|list| list.contains(&s.name))
        })
        .collect()
}

/// What a dropped message becomes in requests (its place is kept, so tool calls still have
/// their results and turns still alternate).
pub const DROPPED: &str = "[left out of the context by the user]";
const SUMMARY_ACK: &str = "Understood. I will continue from this summary.";

/// A message as requests carry it once dropped: the text replaced, the structure kept.
fn dropped(m: &ChatMessage) -> ChatMessage {
    match m {
        ChatMessage::User { .. } => ChatMessage::User {
            text: DROPPED.into(),
        },
        ChatMessage::Assistant {
            tool_calls,
            reasoning,
            ..
        } => ChatMessage::Assistant {
            text: DROPPED.into(),
            // Dropping a message drops what it thought, but DeepSeek and Anthropic refuse a
            // tool loop whose reasoning is missing: signed parts stay, the words go.
            reasoning: reasoning.as_ref().map(|r| Reasoning {
                text: String::new(),
                ..r.clone()
            }),
            tool_calls: tool_calls
                .iter()
                .map(|c| ToolCallRequest {
                    arguments: "{}".into(),
                    ..c.clone()
                })
                .collect(),
        },
        ChatMessage::ToolResult {
            call_id, is_error, ..
        } => ChatMessage::ToolResult {
            call_id: call_id.clone(),
            content: DROPPED.into(),
            is_error: *is_error,
        },
    }
}

/// The first conversation index requests carry verbatim.
#[must_use]
pub fn kept_from(state: &SessionState) -> usize {
    state
        .compaction
        .as_ref()
        .map_or(0, |c| c.through.min(state.conversation.len()))
}

/// The compacted messages that stay verbatim: the ones the user pinned, and every skill's
/// instructions loaded before (by the `skill` tool, as `/name`, or for a pipeline stage) — a
/// skill stays in force for the rest of the session, so a summary must not paraphrase it. The
/// same skill loaded twice is kept once, its latest load.
#[must_use]
pub fn kept_verbatim(state: &SessionState) -> Vec<usize> {
    kept_verbatim_before(state, kept_from(state))
}

/// [`kept_verbatim`] for a compaction through `before`.
pub(crate) fn kept_verbatim_before(state: &SessionState, before: usize) -> Vec<usize> {
    let mut skill_calls = std::collections::HashSet::new();
    let mut out: Vec<usize> = Vec::new();
    let mut texts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, m) in state.conversation.iter().enumerate().take(before) {
        let skill = match &**m {
            ChatMessage::Assistant { tool_calls, .. } => {
                skill_calls.extend(
                    tool_calls
                        .iter()
                        .filter(|c| c.name == tools::SKILL)
                        .map(|c| c.id.as_str()),
                );
                None
            }
            ChatMessage::ToolResult {
                call_id,
                content,
                is_error,
            } => (!is_error && skill_calls.contains(call_id.as_str())).then_some(content),
            ChatMessage::User { text } => {
                (state.stage_messages.get(&i) == Some(&Category::Skills)).then_some(text)
            }
        };
        if let Some(text) = skill
            && !state.dropped.contains(&i)
        {
            if let Some(earlier) = texts.insert(text.as_str(), i) {
                out.retain(|k| *k != earlier || state.pinned.contains(k));
            }
            out.push(i);
        } else if state.pinned.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// The summary message that stands for compacted turns, with the kept ones verbatim.
fn summary_text(state: &SessionState, summary: &str) -> String {
    let mut text = format!(
        "Summary of the earlier conversation (compacted by gearshift; the full history is \
         kept in the session):\n\n{summary}"
    );
    let kept = kept_verbatim(state);
    if !kept.is_empty() {
        text.push_str(
            "\n\nKept verbatim (pinned by the user, and the instructions of skills loaded \
             earlier, still in force):",
        );
        for i in kept {
            text.push_str("\n\n");
            text.push_str(&crate::context::ledger::message_text(
                &state.conversation[i],
            ));
        }
    }
    text
}

/// The conversation as the next request carries it, each message with its index in the
/// session's conversation (`None` for the compaction summary and its acknowledgement).
#[must_use]
pub fn shaped_messages(state: &SessionState) -> Vec<(Option<usize>, Arc<ChatMessage>)> {
    let start = kept_from(state);
    let mut out = Vec::with_capacity(state.conversation.len() - start + 2);
    if let Some(c) = &state.compaction {
        out.push((
            None,
            Arc::new(ChatMessage::User {
                text: summary_text(state, &c.summary),
            }),
        ));
        out.push((
            None,
            Arc::new(ChatMessage::Assistant {
                text: SUMMARY_ACK.into(),
                tool_calls: Vec::new(),
                reasoning: None,
            }),
        ));
    }
    for (i, m) in state.conversation.iter().enumerate().skip(start) {
        let m = if state.dropped.contains(&i) {
            Arc::new(dropped(m))
        } else {
            m.clone()
        };
        out.push((Some(i), m));
    }
    out
}

/// What the model is asked when compacting.
const COMPACT_PROMPT: &str = "You compact a coding session so it can continue in a smaller \
context. Summarise the conversation below for the assistant who will continue it: the user's \
goals and constraints, decisions taken and why, files read or changed (with paths) and what \
changed, commands run and their outcome, the current state of the work, and open questions. \
Keep names, paths and numbers exact. Write plain Markdown, at most about 600 words.";
/// Each message of the transcript sent for compaction is cut to this many characters.
const COMPACT_MESSAGE_CHARS: usize = 4_000;

/// The request that asks the model to summarise the conversation before `through`, as a plain
/// transcript (so it needs no tools and fits the window: long messages are cut in the middle,
/// and the oldest part is cut first when the whole is still too long).
#[must_use]
pub fn compaction_request(
    state: &SessionState,
    provider: &ActiveProvider,
    through: usize,
    focus: Option<&str>,
) -> ChatRequest {
    let mut parts = Vec::new();
    // What stays verbatim needs no summary: its first line says what it was.
    let kept = kept_verbatim_before(state, through);
    for (index, m) in shaped_messages(state) {
        if index.is_some_and(|i| i >= through) {
            break;
        }
        if let Some(i) = index.filter(|i| kept.contains(i)) {
            let text = crate::context::ledger::message_text(&state.conversation[i]);
            let first = text.lines().next().unwrap_or_default();
            parts.push(format!("### Kept verbatim after the summary\n{first}"));
            continue;
        }
        let (who, text) = match &*m {
            ChatMessage::User { text } => ("User", text.clone()),
            ChatMessage::Assistant { .. } => {
                ("Assistant", crate::context::ledger::message_text(&m))
            }
            ChatMessage::ToolResult { content, .. } => ("Tool result", content.clone()),
        };
        parts.push(format!(
            "### {who}\n{}",
            cut_middle(&text, COMPACT_MESSAGE_CHARS)
        ));
    }
    let mut transcript = parts.join("\n\n");
    // About three characters a token, leaving room for the prompt and the summary.
    let budget = usize::try_from(
        u64::from(provider.context_window)
            .saturating_sub(u64::from(provider.max_output_tokens.min(4_096)) + 1_000)
            .saturating_mul(3),
    )
    .unwrap_or(usize::MAX)
    .max(4_000);
    if transcript.len() > budget {
        let mut cut = transcript.len() - budget;
        while !transcript.is_char_boundary(cut) {
            cut += 1;
        }
        transcript = format!("[earlier part cut]\n{}", &transcript[cut..]);
    }
    ChatRequest {
        model: provider.model.clone(),
        system: match focus.map(str::trim).filter(|f| !f.is_empty()) {
            Some(f) => format!("{COMPACT_PROMPT} Focus the summary on: {f}."),
            None => COMPACT_PROMPT.into(),
        },
        messages: vec![
            ChatMessage::User {
                text: format!("The conversation to summarise:\n\n{transcript}"),
            }
            .into(),
        ],
        tools: Vec::new(),
        max_output_tokens: provider.max_output_tokens.min(4_096),
        // A summary needs no deliberation, and Anthropic's budget would not fit 4,096 tokens.
        reasoning: ReasoningRequest {
            effort: None,
            budget: None,
            ..provider.reasoning
        },
        source: provider.source(),
        think_tags: provider.think_tags,
        probe: false,
    }
}

fn cut_middle(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut head = max / 2;
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = text.len() - max / 2;
    while !text.is_char_boundary(tail) {
        tail += 1;
    }
    format!(
        "{}\n[… {} characters cut …]\n{}",
        &text[..head],
        tail - head,
        &text[tail..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, DEFAULTS_TOML};
    use crate::context::{ItemId, Ledger};
    use crate::core::accounting::account;
    use crate::core::turn::build_request;
    use crate::protocol::Event;

    fn openai() -> ActiveProvider {
        let mut c: Config = toml::from_str(DEFAULTS_TOML).unwrap();
        c.provider = Some("openai".into());
        c.active_provider().unwrap()
    }

    /// Three turns: a prompt, a tool call with a big result, a reply, each.
    fn session() -> SessionState {
        let mut events = Vec::new();
        for t in 0..3 {
            events.push(Event::UserMessage {
                text: format!("prompt {t}"),
                attachments: vec![],
            });
            events.push(Event::ToolCall {
                id: format!("c{t}"),
                name: "read_file".into(),
                arguments: format!("{{\"path\":\"src/f{t}.rs\"}}"),
            });
            events.push(Event::ToolResult {
                id: format!("c{t}"),
                ok: true,
                content: format!("fn f{t}() {{}}\n").repeat(300),
                summary: String::new(),
                duration_ms: 1,
            });
            events.push(Event::AssistantMessage {
                text: format!("answer {t}"),
                interrupted: false,
            });
        }
        SessionState::fold(&events)
    }

    #[test]
    fn skills_loaded_before_a_compaction_are_kept_once_each_and_a_dropped_one_is_not() {
        let mut events = Vec::new();
        let load = |events: &mut Vec<Event>, id: &str, body: &str| {
            events.push(Event::ToolCall {
                id: id.into(),
                name: tools::SKILL.into(),
                arguments: "{\"name\":\"x\"}".into(),
            });
            events.push(Event::ToolResult {
                id: id.into(),
                ok: true,
                content: body.into(),
                summary: String::new(),
                duration_ms: 1,
            });
        };
        events.push(Event::UserMessage {
            text: "/tdd go".into(),
            attachments: vec![],
        });
        events.push(Event::Instructed {
            text: "TDD: red, green, refactor.".into(),
            category: Some(Category::Skills),
        });
        load(&mut events, "a", "Skill x: write tests first.");
        load(&mut events, "b", "Skill x: write tests first.");
        load(&mut events, "c", "Skill y: name things well.");
        events.push(Event::AssistantMessage {
            text: "ok".into(),
            interrupted: false,
        });
        events.push(Event::UserMessage {
            text: "next".into(),
            attachments: vec![],
        });
        let mut state = SessionState::fold(&events);
        let through = state.conversation.len() - 1;
        state.apply(&Event::ItemDropped {
            item: 7,
            dropped: true,
        });
        assert!(
            matches!(&*state.conversation[7], ChatMessage::ToolResult { content, .. } if content.contains("name things"))
        );
        state.apply(&Event::Compacted {
            through,
            summary: "S".into(),
            before: 0,
            after: 0,
        });
        // The `/name` instructions and the latest load of x; not the dropped y.
        assert_eq!(kept_verbatim(&state), [1, 5]);
        let request = build_request(&state, &openai(), "", "", &tools::Registry::builtin());
        let ChatMessage::User { text } = &*request.messages[0] else {
            panic!("the summary first")
        };
        assert_eq!(text.matches("write tests first").count(), 1, "{text}");
        assert!(text.contains("red, green, refactor") && !text.contains("name things"));
    }

    #[test]
    fn a_dropped_item_leaves_the_next_request_but_keeps_its_place() {
        let mut state = session();
        let p = openai();
        let before = build_request(&state, &p, "", "", &tools::Registry::builtin());
        let mut ledger = Ledger::default();
        let full = account(&mut ledger, &state, &p, "", "", &tools::Registry::builtin()).used();
        // Message 2 is the first tool result.
        state.apply(&Event::ItemDropped {
            item: 2,
            dropped: true,
        });
        let after = build_request(&state, &p, "", "", &tools::Registry::builtin());
        assert_eq!(after.messages.len(), before.messages.len());
        assert!(matches!(
            &*after.messages[2],
            ChatMessage::ToolResult { call_id, content, .. } if call_id == "c0" && content == DROPPED
        ));
        let report = account(&mut ledger, &state, &p, "", "", &tools::Registry::builtin());
        assert!(report.used() < full - 1_000, "{} vs {full}", report.used());
        let item = report
            .items
            .iter()
            .find(|i| i.id == ItemId::Message(2))
            .unwrap();
        assert!(item.dropped && item.category == Category::ToolResults);
        assert_eq!(item.label, "result of read_file src/f0.rs");
        let sum: u64 = report.by_category().iter().map(|(_, t)| t).sum();
        assert_eq!(sum, report.used());
        // The session still holds the original.
        assert!(
            matches!(&*state.conversation[2], ChatMessage::ToolResult { content, .. } if content.len() > 1_000)
        );
    }

    #[test]
    fn reasoning_counts_as_its_own_category_where_it_is_passed_back() {
        let thought = "weigh the parser against the lexer ".repeat(200);
        let mut c: Config = toml::from_str(DEFAULTS_TOML).unwrap();
        c.provider = Some("deepseek".into());
        let deepseek = c.active_provider().unwrap();
        let events = [
            Event::UserMessage {
                text: "go".into(),
                attachments: vec![],
            },
            Event::Reasoning {
                reasoning: Reasoning {
                    text: thought,
                    parts: vec![],
                    source: deepseek.source(),
                },
            },
            Event::AssistantMessage {
                text: "done".into(),
                interrupted: false,
            },
        ];
        let state = SessionState::fold(&events);
        let report = account(
            &mut Ledger::default(),
            &state,
            &deepseek,
            "",
            "",
            &tools::Registry::builtin(),
        );
        let item = report
            .items
            .iter()
            .find(|i| i.category == Category::Reasoning)
            .expect("a reasoning item");
        assert_eq!(item.id, ItemId::Reasoning(1));
        assert!(item.tokens > 1_000, "{}", item.tokens);
        // OpenAI never takes it back: it fills nothing there.
        let report = account(
            &mut Ledger::default(),
            &state,
            &openai(),
            "",
            "",
            &tools::Registry::builtin(),
        );
        assert!(
            !report
                .items
                .iter()
                .any(|i| i.category == Category::Reasoning)
        );
    }

    #[test]
    fn compaction_replaces_older_turns_and_pinned_items_survive_it() {
        let mut state = session();
        let p = openai();
        state.apply(&Event::ItemPinned {
            item: 3,
            pinned: true,
        });
        // The latest prompt is message 8: everything before it is summarised.
        let through = 8;
        let compaction = compaction_request(&state, &p, through, Some("the f1 file"));
        assert!(
            compaction
                .system
                .ends_with("Focus the summary on: the f1 file.")
        );
        let ChatMessage::User { text } = &*compaction.messages[0] else {
            panic!("a transcript")
        };
        assert!(
            text.contains("prompt 0") && text.contains("answer 1") && !text.contains("prompt 2")
        );
        assert!(compaction.tools.is_empty());
        state.apply(&Event::Compacted {
            through,
            summary: "The user asked for f0 and f1; both were read.".into(),
            before: 0,
            after: 0,
        });
        let request = build_request(&state, &p, "", "", &tools::Registry::builtin());
        assert_eq!(request.messages.len(), 2 + 4);
        let ChatMessage::User { text } = &*request.messages[0] else {
            panic!("the summary first")
        };
        assert!(text.contains("both were read"));
        assert!(
            text.contains("pinned by the user") && text.contains("answer 0"),
            "{text}"
        );
        assert!(matches!(&*request.messages[2], ChatMessage::User { text } if text == "prompt 2"));
        let report = account(
            &mut Ledger::default(),
            &state,
            &p,
            "",
            "",
            &tools::Registry::builtin(),
        );
        assert!(report.items.iter().any(|i| i.id == ItemId::Summary));
        assert!(
            report
                .items
                .iter()
                .any(|i| i.id == ItemId::Message(3) && i.pinned)
        );
        assert!(!report.items.iter().any(|i| i.id == ItemId::Message(2)));
    }

    #[test]
    fn a_pipeline_stage_offers_only_its_tools_and_always_its_artifacts_write_tool() {
        use crate::pipeline::{Gate, Pipeline, StageDef, StageEvent, StageKind};
        let stage = |tools: Option<Vec<&str>>| StageDef {
            name: "write".into(),
            skill: "s".into(),
            artifact: Some("a.md".into()),
            kind: StageKind::Artifact,
            gate: Gate::Human,
            tools: tools.map(|t| t.into_iter().map(String::from).collect()),
        };
        let names = |tools: Option<Vec<&str>>| {
            let events = [
                Event::GearChanged {
                    from: Gear::Vibe,
                    to: Gear::Pipeline,
                },
                Event::PipelineStarted {
                    pipeline: Pipeline {
                        name: "p".into(),
                        description: String::new(),
                        stages: vec![stage(tools)],
                    },
                    skills: std::collections::BTreeMap::new(),
                    request: "r".into(),
                },
                Event::Stage {
                    event: StageEvent::Started {
                        stage: "write".into(),
                    },
                },
            ];
            let state = SessionState::fold(&events);
            offered_specs(&state, &tools::Registry::builtin())
                .into_iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
        };
        // A skill can always be loaded, whatever the stage's list.
        assert_eq!(
            names(Some(vec!["read_file", "write_file"])),
            ["skill", "read_file", "write_file"]
        );
        let all = names(None);
        assert!(all.contains(&"write_file".to_string()) && all.contains(&"grep".to_string()));
        assert!(
            !all.contains(&"run_command".to_string()),
            "an artifact stage runs nothing"
        );
        assert_eq!(
            names(Some(vec!["Read", "Grep"])),
            all,
            "another tool's names restrict nothing"
        );
        // No list takes away the tool the stage writes its artifact with.
        assert_eq!(
            names(Some(vec!["read_file", "grep"])),
            ["skill", "read_file", "grep", "write_file"]
        );
    }

    #[test]
    fn over_the_window_is_reported() {
        let state = session();
        let mut p = openai();
        p.context_window = 2_000;
        p.max_output_tokens = 500;
        let report = account(
            &mut Ledger::default(),
            &state,
            &p,
            "",
            "",
            &tools::Registry::builtin(),
        );
        assert!(report.over(), "{}", report.used());
        p.context_window = 1_000_000;
        assert!(
            !account(
                &mut Ledger::default(),
                &state,
                &p,
                "",
                "",
                &tools::Registry::builtin()
            )
            .over()
        );
    }
}
