//! What the model is told besides the conversation, found afresh each turn: the project
//! memory, the skill catalog and the user's commands, and what the front end may send.

use super::Actor;
use crate::pipeline;
use crate::protocol::{CommandInfo, CommandKind, Event, NoticeLevel};

impl Actor {
    /// The project memory files, read afresh (an edit to AGENTS.md applies from the next
    /// prompt).
    pub(super) fn read_memory(&self) -> String {
        let memory = crate::core::memory::load(crate::core::memory::Roots {
            workspace: self.deps.tools.workspace.root(),
            home: self.deps.home_dir.as_deref(),
        });
        // What goes into every request holds no key, whatever a memory file says.
        self.deps.tools.runner.secrets.redact(&memory)
    }

    /// Reads the memory files and finds the skills again (an edit to AGENTS.md, a skill
    /// installed, apply from the next prompt): once the system prompt holds them, what changed
    /// is recorded as a note instead, so the cached prefix stays. False when the store failed.
    pub(super) async fn reread_prompt_files(&mut self) -> bool {
        self.memory = self.read_memory();
        self.find_skills();
        let Some(frozen) = self.frozen.as_mut() else {
            return true;
        };
        let notes: Vec<Event> = frozen
            .changes(&self.memory, &self.catalog)
            .into_iter()
            .map(|(text, category)| Event::Instructed {
                text,
                category: Some(category),
            })
            .collect();
        notes.is_empty() || self.record(notes).await
    }

    /// The memory and skill catalog the system prompt holds: frozen once a request was sent.
    pub(super) fn prompt_files(&self) -> (&str, &str) {
        match &self.frozen {
            Some(f) => (&f.memory, &f.catalog),
            None => (&self.memory, &self.catalog),
        }
    }

    /// Finds the skills (the catalog, and what the `skill` tool and the read tools may use),
    /// and says once what is wrong with any of them; nothing here stops the session.
    pub(super) fn find_skills(&mut self) {
        let root = self.deps.tools.workspace.root().to_path_buf();
        let found = pipeline::skill::discover(pipeline::skill::Roots {
            config_dir: self.deps.config_dir.as_deref(),
            home: self.deps.home_dir.as_deref(),
            workspace: &root,
        });
        let problems = found.problems();
        for text in problems.iter().filter(|p| !self.skills_said.0.contains(p)) {
            let _ = self.events.send(Event::Notice {
                level: NoticeLevel::Warning,
                text: text.clone(),
            });
        }
        self.skills_said.0 = problems;
        // A subagent's context holds its instructions, the memory and its prompt only.
        self.catalog = if self.state.subagent.is_some() {
            String::new()
        } else {
            self.deps
                .tools
                .runner
                .secrets
                .redact(&crate::core::prompts::skill_catalog(&found.skills))
        };
        self.custom = crate::core::commands::discover(
            &crate::core::commands::places(
                self.deps.config_dir.as_deref(),
                self.deps.home_dir.as_deref(),
                &root,
            ),
            &root,
        );
        // What the composer can send: the user's own commands first (they win a name), then
        // every skill.
        let commands: Vec<CommandInfo> = self
            .custom
            .values()
            .map(|c| CommandInfo {
                name: c.name.clone(),
                hint: c.hint.clone(),
                description: c.description.clone(),
                kind: CommandKind::Custom,
            })
            .chain(found.skills.values().map(|s| CommandInfo {
                name: s.name.clone(),
                hint: String::new(),
                description: s.description.clone(),
                kind: CommandKind::Skill,
            }))
            .collect();
        self.listed_commands = commands;
        self.say_commands();
        if let Ok(mut skills) = self.deps.tools.skills.write() {
            *skills = found.skills;
        }
    }

    /// Tells the front end what the composer can send — the user's commands, the skills,
    /// the running MCP servers' prompts — when that changed.
    pub(super) fn say_commands(&mut self) {
        let mut commands = self.listed_commands.clone();
        commands.extend(self.mcp_commands());
        if commands != self.skills_said.1 {
            self.skills_said.1.clone_from(&commands);
            let _ = self.events.send(Event::Commands { commands });
        }
    }

    /// `new`, each event followed by the instructions it calls for, worked out on the state
    /// as it will be once the events before it are applied.
    pub(super) fn with_instructions(&self, new: Vec<Event>) -> Vec<Event> {
        if !new.iter().any(crate::core::state::instructs) {
            return new;
        }
        let mut next = self.state.clone();
        let mut out = Vec::with_capacity(new.len() + 2);
        for event in new {
            next.apply(&event);
            let said = crate::core::state::instructions(&next, &event);
            out.push(event);
            for (text, category) in said {
                let instructed = Event::Instructed { text, category };
                next.apply(&instructed);
                out.push(instructed);
            }
        }
        out
    }
}
