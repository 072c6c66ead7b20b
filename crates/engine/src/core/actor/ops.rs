//! The IO of what the ops ask for: every op is decided by [`machine::ops::on_op`]; here its
//! effects run (a cancel, a prompt with its skills, attachments and MCP mentions, a model
//! switch, a shell command, a compaction, an undo, an MCP restart).

use super::Actor;
use crate::core::machine::{Effect, approval, route};
use crate::core::{Decision, decide};
use crate::protocol::{Event, Gear, Op};
use crate::provider::ToolCallRequest;
use crate::tools;
use crate::tools::Writes;

impl Actor {
    /// Runs an effect an op asked for (see [`machine::ops::on_op`]); returns what follows.
    pub(super) async fn asked(&mut self, effect: Effect) -> Option<Vec<Effect>> {
        match effect {
            Effect::Quit => self.quit = true,
            Effect::Cancel { end_turn } => self.cancel(end_turn).await,
            Effect::Answer { call, decision } => {
                let subject = route::subject(&self.deps.tools.registry, &call);
                return Some(approval::answer(Some(&call), &subject, &call.id, decision));
            }
            Effect::QueuePrompt(op) => self.prompts.push_back(op),
            Effect::Submit { op, typed } => {
                // A subagent's prompt is its parent model's words, never the human's.
                self.generated = !typed || self.state.subagent.is_some();
                return Some(self.submit(&op).await);
            }
            Effect::Unqueue => {
                if let Some(Op::Submit { text, .. }) = self.prompts.pop_back() {
                    let _ = self.events.send(Event::Unqueued { text });
                }
            }
            Effect::SwitchModel(target) => self.switch_model(target).await,
            Effect::RunShell(command) => self.run_shell(command),
            Effect::Compact { through, focus } => {
                self.start_compaction(false, through, focus.as_deref());
            }
            Effect::Undo(set) => self.undo(set).await,
            Effect::RestartMcp(server) => self.restart_mcp(&server),
            // `execute` sends only the effects above here.
            other => debug_assert!(false, "not an effect an op asks for: {other:?}"),
        }
        Some(Vec::new())
    }

    /// A prompt: recorded, then a turn starts — or, in the pipeline gear with no run under
    /// way, the run starts.
    /// Returns what follows (nothing while its hooks run: their end submits it).
    pub(super) async fn submit(&mut self, op: &Op) -> Vec<Effect> {
        // `UserPromptSubmit` hooks see it first, when any are set.
        match self.prompt_hooks(op.clone(), false) {
            Some(op) => self.submit_now(&op).await,
            None => Vec::new(),
        }
    }

    /// A prompt the hooks let through: recorded; returns what starts.
    pub(super) async fn submit_now(&mut self, op: &Op) -> Vec<Effect> {
        let Decision::Record(mut new) = decide(&self.state, op) else {
            return Vec::new();
        };
        // A new prompt ends the grants of the skills loaded before it; `/name args` invokes
        // a skill: its instructions follow the prompt.
        self.granted.clear();
        let mut invoked = false;
        let typed = !std::mem::take(&mut self.generated);
        if let Op::Submit { text, .. } = op
            && typed
            && let Some((grant, said)) = self.invoked_skill(text)
        {
            new.extend(said);
            self.granted.extend(grant);
            invoked = true;
        }
        if let Op::Submit { attachments, .. } = op
            && !attachments.is_empty()
        {
            new.push(self.attached(attachments).await);
        }
        // `@server:uri` mentions and `/mcp__server__prompt` of the human's own prompt: read
        // now, recorded with it.
        if let Op::Submit { text, .. } = op
            && typed
        {
            match self.mcp_offers(text).await {
                Ok(said) => new.extend(said),
                Err(why) => {
                    let _ = self.events.send(Event::Unqueued { text: text.clone() });
                    self.refuse(format!("not sent: {why}"), None);
                    return Vec::new();
                }
            }
        }
        if !self.record(new).await {
            return Vec::new();
        }
        let running = self
            .state
            .pipeline
            .as_ref()
            .is_some_and(|p| !p.run.finished());
        // `/name` runs its skill now, in the pipeline gear too, rather than starting a run.
        if self.state.gear == Gear::Pipeline && !running && !invoked {
            match op {
                Op::Submit { text, .. } => self.start_pipeline(text),
                _ => Vec::new(),
            }
        } else {
            vec![Effect::StartTurn]
        }
    }

    /// The instructions of the skill a prompt invokes as `/name args`, if it names one.
    /// A skill whose artifact is a memory file (`/init`) also makes the turn a memory turn.
    /// A custom command (`commands/NAME.md`) comes first: its template, filled in, follows
    /// the prompt as the user's own words.
    /// Returned are the skill whose `allowed-tools` now apply, and what to record.
    fn invoked_skill(&self, text: &str) -> Option<(Option<String>, Vec<Event>)> {
        let rest = text.trim_start().strip_prefix('/')?;
        let (name, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        if let Some(command) = self.custom.get(name) {
            let said = Event::Instructed {
                text: crate::core::commands::expand(&command.body, args.trim()),
                category: None,
            };
            return Some((None, vec![said]));
        }
        let skills = self.deps.tools.skills.read().ok()?;
        if !skills.contains_key(name) {
            return None;
        }
        let loaded = tools::skill::load_named(&skills, name);
        let memory = skills[name]
            .artifact
            .as_deref()
            .is_some_and(crate::core::memory::is_memory_file);
        let mut events = Vec::new();
        if memory {
            events.push(Event::MemoryTurn {
                skill: name.to_string(),
            });
        }
        events.push(Event::Instructed {
            text: crate::core::prompts::skill_invoked(name, args.trim(), &loaded.content),
            category: Some(crate::context::Category::Skills),
        });
        Some((Some(name.to_string()), events))
    }

    /// The files (and folders) a prompt `@`-mentions, read as the model's own read tools read
    /// them — confined to the workspace, secrets redacted — each cut at
    /// [`crate::core::prompts::ATTACHMENT_BYTES`] with a note saying how to read the rest.
    pub(super) async fn attached(&self, paths: &[String]) -> Event {
        let mut read = Vec::with_capacity(paths.len());
        for path in paths {
            let folder =
                path.ends_with('/') || self.deps.tools.workspace.root().join(path).is_dir();
            let call = ToolCallRequest {
                id: String::new(),
                name: if folder {
                    tools::LIST_DIR
                } else {
                    tools::READ_FILE
                }
                .into(),
                arguments: serde_json::json!({ "path": path }).to_string(),
            };
            let outcome = tools::execute(&call, &self.deps.tools, Writes::Propose).await;
            read.push((path.clone(), outcome.ok, outcome.content));
        }
        Event::Instructed {
            text: crate::core::prompts::attached(&read),
            category: Some(crate::context::Category::User),
        }
    }
}
