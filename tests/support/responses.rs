//! The OpenAI Responses API as the fakes speak it: a scripted turn as its documented event
//! stream, and the rules a request must keep (the API answers a broken one with HTTP 400).

use std::collections::HashSet;

use serde_json::{Value, json};

use super::model::Turn;

/// The event stream of `turn` (request number `n`): output items opened and closed around
/// their deltas, then `response.completed` with usage.
#[must_use]
pub fn sse(turn: &Turn, n: usize) -> String {
    let mut seq = 0;
    let mut event = |mut v: Value| {
        v["sequence_number"] = json!(seq);
        seq += 1;
        format!("event: {}\ndata: {v}\n\n", v["type"].as_str().unwrap())
    };
    let id = format!("resp_{n}");
    let mut out = event(json!({"type": "response.created", "response": {
        "id": id, "object": "response", "status": "in_progress", "output": [], "usage": null}}));
    match turn {
        Turn::Raw(body) => return body.clone(),
        Turn::Text(text) => {
            let item = format!("msg_{n}");
            out += &event(
                json!({"type": "response.output_item.added", "output_index": 0,
                "item": {"id": item, "type": "message", "status": "in_progress",
                         "role": "assistant", "content": []}}),
            );
            out += &event(
                json!({"type": "response.output_text.delta", "item_id": item,
                "output_index": 0, "content_index": 0, "delta": text}),
            );
            out += &event(
                json!({"type": "response.output_item.done", "output_index": 0,
                "item": {"id": item, "type": "message", "status": "completed",
                         "role": "assistant",
                         "content": [{"type": "output_text", "text": text, "annotations": []}]}}),
            );
        }
        Turn::Tools(calls) => {
            for (i, (name, args)) in calls.iter().enumerate() {
                let item = json!({"id": format!("fc_{n}_{i}"), "type": "function_call",
                    "call_id": format!("call_{n}_{i}"), "name": name});
                let mut added = item.clone();
                added["arguments"] = json!("");
                added["status"] = json!("in_progress");
                out += &event(json!({"type": "response.output_item.added",
                    "output_index": i, "item": added}));
                out += &event(json!({"type": "response.function_call_arguments.delta",
                    "item_id": item["id"], "output_index": i, "delta": args.to_string()}));
                let mut done = item;
                done["arguments"] = json!(args.to_string());
                done["status"] = json!("completed");
                out += &event(json!({"type": "response.output_item.done",
                    "output_index": i, "item": done}));
            }
        }
    }
    out += &event(json!({"type": "response.completed", "response": {
        "id": id, "object": "response", "status": "completed",
        "usage": {"input_tokens": 100, "input_tokens_details": {"cached_tokens": 0},
                  "output_tokens": 10, "output_tokens_details": {"reasoning_tokens": 0},
                  "total_tokens": 110}}}));
    out
}

/// Every rule a Responses request breaks: `store: false` with nothing referring to stored
/// items (a reasoning item goes back whole, with its `encrypted_content` and without its id),
/// `include` asking for the encrypted reasoning it passes back, every `function_call_output`
/// after its `function_call` and every call answered, tools in the flat function shape.
#[must_use]
pub fn violations(body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if body["store"] != json!(false) {
        out.push("store is not false: items would be kept on OpenAI's side".into());
    }
    if body["stream"] != json!(true) {
        out.push("not streamed".into());
    }
    if body.get("messages").is_some() {
        out.push("`messages` is Chat Completions; the Responses API takes `input`".into());
    }
    let Some(input) = body["input"].as_array() else {
        out.push("no input array".into());
        return out;
    };
    let mut calls: Vec<String> = Vec::new();
    let mut answered: HashSet<String> = HashSet::new();
    for (i, item) in input.iter().enumerate() {
        match item["type"].as_str() {
            Some("message") => {
                let role = item["role"].as_str().unwrap_or("");
                let want = if role == "assistant" {
                    "output_text"
                } else {
                    "input_text"
                };
                for c in item["content"].as_array().into_iter().flatten() {
                    if c["type"] != want {
                        out.push(format!(
                            "item {i}: a {role} message with {} content",
                            c["type"]
                        ));
                    }
                }
            }
            Some("reasoning") => {
                if item.get("id").is_some() {
                    out.push(format!(
                        "item {i}: a reasoning item by id, with store false"
                    ));
                }
                if item["encrypted_content"].as_str().is_none_or(str::is_empty) {
                    out.push(format!(
                        "item {i}: a reasoning item without encrypted_content"
                    ));
                }
                let included = body["include"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|v| v == "reasoning.encrypted_content"));
                if !included {
                    out.push(
                        "reasoning passed back without include reasoning.encrypted_content".into(),
                    );
                }
            }
            Some("function_call") => {
                let id = item["call_id"].as_str().unwrap_or("").to_string();
                if id.is_empty() || calls.contains(&id) {
                    out.push(format!(
                        "item {i}: function_call with a missing or repeated call_id"
                    ));
                }
                if serde_json::from_str::<Value>(item["arguments"].as_str().unwrap_or("")).is_err()
                {
                    out.push(format!(
                        "item {i}: function_call arguments are not JSON text"
                    ));
                }
                calls.push(id);
            }
            Some("function_call_output") => {
                let id = item["call_id"].as_str().unwrap_or("").to_string();
                if !calls.contains(&id) {
                    out.push(format!("item {i}: output for a call not made before: {id}"));
                }
                if !item["output"].is_string() {
                    out.push(format!(
                        "item {i}: function_call_output output is not a string"
                    ));
                }
                answered.insert(id);
            }
            other => out.push(format!("item {i}: unknown item type {other:?}")),
        }
    }
    let unanswered: Vec<&String> = calls.iter().filter(|c| !answered.contains(*c)).collect();
    if !unanswered.is_empty() {
        out.push(format!("function calls without output: {unanswered:?}"));
    }
    for t in body["tools"].as_array().into_iter().flatten() {
        if t["type"] != "function" || t["name"].as_str().is_none() || t.get("function").is_some() {
            out.push(format!("a tool not in the Responses function shape: {t}"));
        }
    }
    out
}
