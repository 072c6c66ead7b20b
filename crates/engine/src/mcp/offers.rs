//! What a server offers besides tools: its resources, which the human mentions as
//! `@server:uri` (read into the prompt, as Claude Code does), and its prompts, which the
//! human runs as `/mcp__server__prompt args` (their messages become the prompt). Listed
//! through the SDK when the server connects — a server that offers none, or does not support
//! the listing, simply has none — and read or fetched when the human uses one.
//!
//! The results are read as JSON (the protocol's documented shapes), so the text kept is what
//! the model would read, whatever else a newer server adds.

use rmcp::model::{GetPromptRequestParams, ReadResourceRequestParams};
use rmcp::service::{Peer, RoleClient};
use serde_json::Value;

/// The most of one resource or prompt kept for the model.
pub const MAX_BYTES: usize = 64 * 1024;

/// The most resources or prompts kept per server (the rest are said to be left out).
const MAX_LISTED: usize = 2000;

/// A resource a server lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerResource {
    pub uri: String,
    pub name: String,
    pub description: String,
}

/// A prompt a server lists, with its arguments in order (`required` ones first need a value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerPrompt {
    pub name: String,
    pub description: String,
    pub arguments: Vec<(String, bool)>,
}

/// The resources and prompts `peer` lists; what it does not support is empty.
pub async fn list(peer: &Peer<RoleClient>) -> (Vec<ServerResource>, Vec<ServerPrompt>) {
    let resources = match peer.list_all_resources().await {
        Ok(list) => resources(&serde_json::to_value(list).unwrap_or(Value::Null)),
        Err(_) => Vec::new(),
    };
    let prompts = match peer.list_all_prompts().await {
        Ok(list) => prompts(&serde_json::to_value(list).unwrap_or(Value::Null)),
        Err(_) => Vec::new(),
    };
    (resources, prompts)
}

/// `resources/list`'s items.
#[must_use]
pub fn resources(items: &Value) -> Vec<ServerResource> {
    items
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some(ServerResource {
                uri: r["uri"].as_str()?.to_string(),
                name: r["name"].as_str().unwrap_or_default().to_string(),
                description: r["description"]
                    .as_str()
                    .or(r["title"].as_str())
                    .unwrap_or_default()
                    .to_string(),
            })
        })
        .take(MAX_LISTED)
        .collect()
}

/// `prompts/list`'s items.
#[must_use]
pub fn prompts(items: &Value) -> Vec<ServerPrompt> {
    items
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let arguments = p["arguments"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| {
                    Some((
                        a["name"].as_str()?.to_string(),
                        a["required"].as_bool().unwrap_or(false),
                    ))
                })
                .collect();
            Some(ServerPrompt {
                name: p["name"].as_str()?.to_string(),
                description: p["description"]
                    .as_str()
                    .or(p["title"].as_str())
                    .unwrap_or_default()
                    .to_string(),
                arguments,
            })
        })
        .take(MAX_LISTED)
        .collect()
}

/// Reads `uri`: its text contents, a blob as a note.
pub async fn read(peer: &Peer<RoleClient>, uri: &str) -> Result<String, String> {
    let result = peer
        .read_resource(ReadResourceRequestParams::new(uri))
        .await
        .map_err(|e| e.to_string())?;
    Ok(contents(
        &serde_json::to_value(result).unwrap_or(Value::Null),
    ))
}

/// `resources/read`'s result as text, cut at [`MAX_BYTES`].
#[must_use]
pub fn contents(result: &Value) -> String {
    let parts: Vec<String> = result["contents"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| match c["text"].as_str() {
            Some(text) => text.to_string(),
            None => format!(
                "[binary contents of {} ({}); not shown]",
                c["uri"].as_str().unwrap_or_default(),
                c["mimeType"].as_str().unwrap_or("?")
            ),
        })
        .collect();
    cut(parts.join("\n"))
}

/// Gets the prompt `name` with `arguments` (by the prompt's argument names): its messages as
/// one text, each with its role when the prompt has several speakers.
pub async fn get(
    peer: &Peer<RoleClient>,
    name: &str,
    arguments: serde_json::Map<String, Value>,
) -> Result<String, String> {
    let mut params = GetPromptRequestParams::new(name);
    params.arguments = (!arguments.is_empty()).then_some(arguments);
    let result = peer.get_prompt(params).await.map_err(|e| e.to_string())?;
    Ok(messages(
        &serde_json::to_value(result).unwrap_or(Value::Null),
    ))
}

/// `prompts/get`'s messages as text.
#[must_use]
pub fn messages(result: &Value) -> String {
    let list: Vec<&Value> = result["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let several = list.iter().any(|m| m["role"] != "user");
    let parts: Vec<String> = list
        .iter()
        .map(|m| {
            let c = &m["content"];
            let text = match c["type"].as_str() {
                Some("text") => c["text"].as_str().unwrap_or_default().to_string(),
                Some("resource") => c["resource"]["text"]
                    .as_str()
                    .map_or_else(|| "[a resource, not shown]".to_string(), str::to_string),
                Some(other) => format!("[{other} content, not shown]"),
                None => String::new(),
            };
            if several {
                format!("{}: {text}", m["role"].as_str().unwrap_or("user"))
            } else {
                text
            }
        })
        .collect();
    cut(parts.join("\n\n"))
}

/// Binds a prompt's words (`args`, split as the shell would, quotes grouping) to its
/// arguments in order, the last taking the rest; an error names a required one left out.
pub fn bind(prompt: &ServerPrompt, args: &str) -> Result<serde_json::Map<String, Value>, String> {
    // Quoting rules are the shell's: the same tokenizer the command rules use.
    let mut words: Vec<String> = match brush_parser::tokenize_str(args) {
        Ok(tokens) => tokens
            .into_iter()
            .filter_map(|t| match t {
                brush_parser::Token::Word(w, _) => {
                    Some(w.trim_matches(|c| c == '"' || c == '\'').to_string())
                }
                brush_parser::Token::Operator(..) => None,
            })
            .collect(),
        Err(_) => args.split_whitespace().map(str::to_string).collect(),
    };
    let mut out = serde_json::Map::new();
    let n = prompt.arguments.len();
    for (i, (name, required)) in prompt.arguments.iter().enumerate() {
        let value = if i + 1 == n && words.len() > 1 {
            Some(std::mem::take(&mut words).join(" "))
        } else if words.is_empty() {
            None
        } else {
            Some(words.remove(0))
        };
        match value {
            Some(v) => {
                out.insert(name.clone(), Value::String(v));
            }
            None if *required => {
                return Err(format!(
                    "the prompt needs `{name}`: /{} {}",
                    prompt.name,
                    usage(prompt)
                ));
            }
            None => {}
        }
    }
    Ok(out)
}

/// A prompt's arguments as its command's hint: `<required> [optional]`.
#[must_use]
pub fn usage(prompt: &ServerPrompt) -> String {
    prompt
        .arguments
        .iter()
        .map(|(a, required)| {
            if *required {
                format!("<{a}>")
            } else {
                format!("[{a}]")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn cut(mut text: String) -> String {
    if text.len() > MAX_BYTES {
        let mut end = MAX_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let total = text.len();
        text.truncate(end);
        text.push_str(&format!(
            "\n[… cut: {total} bytes in all, the first {end} kept]"
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn listings_and_results_read_in_the_protocols_shapes() {
        let r = resources(&json!([
            {"uri": "docs://guide/setup", "name": "setup", "description": "How to set up",
             "mimeType": "text/markdown"},
            {"name": "no uri"}
        ]));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].uri, "docs://guide/setup");
        let p = prompts(&json!([{"name": "review", "description": "Review a file",
            "arguments": [{"name": "path", "required": true}, {"name": "focus"}]}]));
        assert_eq!(
            p[0].arguments,
            [("path".to_string(), true), ("focus".to_string(), false)]
        );
        assert_eq!(
            contents(&json!({"contents": [
                {"uri": "docs://a", "mimeType": "text/plain", "text": "A"},
                {"uri": "docs://b", "mimeType": "image/png", "blob": "iVBO"}
            ]})),
            "A\n[binary contents of docs://b (image/png); not shown]"
        );
        assert_eq!(
            messages(&json!({"messages": [
                {"role": "user", "content": {"type": "text", "text": "Review src/a.rs"}}
            ]})),
            "Review src/a.rs"
        );
        assert!(
            messages(&json!({"messages": [
                {"role": "user", "content": {"type": "text", "text": "Q"}},
                {"role": "assistant", "content": {"type": "text", "text": "A"}}
            ]}))
            .contains("assistant: A")
        );
        assert!(
            contents(&json!({"contents": [{"text": "x".repeat(MAX_BYTES + 10)}]}))
                .ends_with("kept]")
        );
    }

    #[test]
    fn a_prompts_words_bind_to_its_arguments_in_order() {
        let p = ServerPrompt {
            name: "mcp__docs__review".into(),
            description: String::new(),
            arguments: vec![("path".into(), true), ("focus".into(), false)],
        };
        let b = bind(&p, "src/a.rs error handling").unwrap();
        assert_eq!(b["path"], "src/a.rs");
        assert_eq!(b["focus"], "error handling");
        let b = bind(&p, "'my file.rs'").unwrap();
        assert_eq!(b["path"], "my file.rs");
        assert!(!b.contains_key("focus"));
        let e = bind(&p, "").unwrap_err();
        assert!(e.contains("<path> [focus]"), "{e}");
    }
}
