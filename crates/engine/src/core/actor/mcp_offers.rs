//! What MCP servers offer the human besides tools: a prompt `@server:uri` reads that resource
//! into the prompt, and `/mcp__server__prompt args` runs that server prompt (its messages
//! become the prompt), as in Claude Code. A server still starting when a prompt names it is
//! waited for (each to its startup timeout, said on screen and on stderr).

use std::time::Duration;

use super::Actor;
use crate::mcp::offers;
use crate::protocol::{CommandInfo, CommandKind, Event, NoticeLevel};

/// How long one resource read or prompt fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// The servers named by `@server:…` mentions and `/mcp__server__…` commands in `text`, among
/// `known` — and, for each mention, the server and the URI.
fn named(text: &str, known: &dyn Fn(&str) -> bool) -> (Vec<String>, Vec<(String, String)>) {
    let mut servers: Vec<String> = Vec::new();
    let mut mentions: Vec<(String, String)> = Vec::new();
    if let Some(rest) = text.trim_start().strip_prefix("/mcp__")
        && let Some((server, _)) = rest.split_once("__")
        && known(server)
    {
        servers.push(server.to_string());
    }
    for word in text.split_whitespace() {
        let Some(mention) = word.strip_prefix('@') else {
            continue;
        };
        let mention = mention.trim_end_matches(['.', ',', ';', ')', '?', '!']);
        let Some((server, uri)) = mention.split_once(':') else {
            continue;
        };
        if uri.is_empty() || !known(server) {
            continue;
        }
        if !servers.iter().any(|s| s == server) {
            servers.push(server.to_string());
        }
        let pair = (server.to_string(), uri.to_string());
        if !mentions.contains(&pair) {
            mentions.push(pair);
        }
    }
    (servers, mentions)
}

impl Actor {
    /// What a prompt's MCP mentions and command add, recorded after it: the resources read,
    /// the server prompt's messages. `Err` when the prompt cannot go as written (a server
    /// prompt that failed or lacks an argument): it goes back to the composer with why.
    pub(super) async fn mcp_offers(&mut self, text: &str) -> Result<Vec<Event>, String> {
        let known = |name: &str| self.mcp.get(name).is_some();
        let (servers, mentions) = named(text, &known);
        if servers.is_empty() {
            return Ok(Vec::new());
        }
        self.ready_for(&servers).await;
        let mut events = Vec::new();
        if let Some(expanded) = self.server_prompt(text).await? {
            events.push(Event::Instructed {
                text: expanded,
                category: None,
            });
        }
        let mut read = Vec::new();
        for (server, uri) in mentions {
            let Some(peer) = self.mcp.peer(&server) else {
                read.push((
                    format!("{server}:{uri}"),
                    false,
                    format!("the MCP server `{server}` is not running"),
                ));
                continue;
            };
            let got = tokio::time::timeout(FETCH_TIMEOUT, offers::read(&peer, &uri)).await;
            let (ok, content) = match got {
                Ok(Ok(text)) => (true, text),
                Ok(Err(e)) => (false, format!("could not be read: {e}")),
                Err(_) => (
                    false,
                    format!("no answer within {} s", FETCH_TIMEOUT.as_secs()),
                ),
            };
            let content = self.deps.tools.runner.secrets.redact(&content);
            read.push((format!("{server}:{uri}"), ok, content));
        }
        if !read.is_empty() {
            events.push(Event::Instructed {
                text: crate::core::prompts::attached(&read),
                category: Some(crate::context::Category::User),
            });
        }
        Ok(events)
    }

    /// `/mcp__server__prompt args`: the prompt's messages, or why it cannot run; `None` when
    /// the text is no such command.
    async fn server_prompt(&self, text: &str) -> Result<Option<String>, String> {
        let Some(rest) = text.trim_start().strip_prefix('/') else {
            return Ok(None);
        };
        let (command, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let Some((server, prompt)) = command
            .strip_prefix("mcp__")
            .and_then(|r| r.split_once("__"))
        else {
            return Ok(None);
        };
        let Some(found) = self.mcp.get(server).and_then(|s| {
            let c = s.connection.as_ref()?;
            c.prompts.iter().find(|p| p.name == prompt).cloned()
        }) else {
            return Err(format!(
                "the MCP server `{server}` has no prompt `{prompt}` (or is not running: see /mcp)"
            ));
        };
        let named = offers::ServerPrompt {
            name: command.to_string(),
            ..found
        };
        let arguments = offers::bind(&named, args)?;
        let peer = self.mcp.peer(server).ok_or("the server stopped")?;
        let got = tokio::time::timeout(FETCH_TIMEOUT, offers::get(&peer, prompt, arguments))
            .await
            .map_err(|_| {
                format!(
                    "`{server}` gave no prompt within {} s",
                    FETCH_TIMEOUT.as_secs()
                )
            })?
            .map_err(|e| format!("`{server}` could not give the prompt `{prompt}`: {e}"))?;
        Ok(Some(self.deps.tools.runner.secrets.redact(&got)))
    }

    /// Waits while any of `servers` is still starting (each has its startup timeout), saying
    /// so first.
    async fn ready_for(&mut self, servers: &[String]) {
        self.mcp.launch();
        let waiting = self.mcp.starting(Some(servers));
        if waiting.is_empty() {
            return;
        }
        let _ = self.events.send(Event::Notice {
            level: NoticeLevel::Info,
            text: format!("Waiting for MCP servers to start: {}", waiting.join(", ")),
        });
        while !self.mcp.starting(Some(servers)).is_empty() {
            match self.mcp.next().await {
                Some(wake) => self.mcp_woke(wake).await,
                None => break,
            }
        }
    }

    /// What the composer can send besides commands and skills: every running server's
    /// prompts as `/mcp__server__prompt`.
    pub(super) fn mcp_commands(&self) -> Vec<CommandInfo> {
        self.mcp
            .iter()
            .filter_map(|(name, s)| Some((name, s.connection.as_ref()?)))
            .flat_map(|(name, c)| {
                c.prompts.iter().map(move |p| CommandInfo {
                    name: format!("mcp__{name}__{}", p.name),
                    hint: offers::usage(p),
                    description: p.description.clone(),
                    kind: CommandKind::McpPrompt,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_and_commands_name_only_configured_servers() {
        let known = |s: &str| s == "docs" || s == "gh";
        let (servers, mentions) = named(
            "/mcp__gh__review 12 see @docs:docs://guide/setup, @src/main.rs and @nope:x://y \
             and mail me@docs:z",
            &known,
        );
        assert_eq!(servers, ["gh", "docs"]);
        assert_eq!(
            mentions,
            [("docs".to_string(), "docs://guide/setup".to_string())]
        );
        assert_eq!(named("plain text", &known), (Vec::new(), Vec::new()));
    }
}
