//! The composer as a command line: `/name args`. The built-in commands act on the workbench
//! (a new session, the browser, a gear, compaction…); a skill's or a custom command's name is
//! sent to the core as the prompt, which expands it (see `core::commands`). A line that names
//! no command is refused in the status line, never sent — `/clear` does not become a prompt.
//! A line whose first word is not a command word (`/usr/lib is big`) is an ordinary prompt.
//!
//! Completion and the palette filter with nucleo's matcher (helix's), not a hand-written one.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher};

use crate::protocol::{CommandInfo, CommandKind};

/// What a built-in command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    New,
    Resume,
    Model,
    Gear,
    Compact,
    Undo,
    Diff,
    Export,
    Cost,
    Context,
    Skills,
    Checkpoints,
    Hooks,
    Mcp,
    Help,
    Quit,
}

/// The built-in commands: what each does, its name, its arguments, and what the popup says.
pub const BUILTIN: &[(Builtin, &str, &str, &str)] = &[
    (
        Builtin::New,
        "new",
        "",
        "Start a new session in this workspace",
    ),
    (
        Builtin::Resume,
        "resume",
        "",
        "Browse past sessions and resume one",
    ),
    (
        Builtin::Model,
        "model",
        "[provider/model]",
        "Switch models: the picker, or the one named",
    ),
    (
        Builtin::Gear,
        "gear",
        "vibe|plan|pipeline",
        "Shift to a gear",
    ),
    (
        Builtin::Compact,
        "compact",
        "[focus]",
        "Summarise the older turns now (what to keep most of, optionally)",
    ),
    (Builtin::Undo, "undo", "", "Undo the last applied change"),
    (
        Builtin::Diff,
        "diff",
        "",
        "The session's changes, in the diff pane",
    ),
    (
        Builtin::Export,
        "export",
        "",
        "Export this session as Markdown",
    ),
    (
        Builtin::Cost,
        "cost",
        "",
        "Tokens, cost and speed: this session, the last 7 days per model, the cost per day",
    ),
    (
        Builtin::Context,
        "context",
        "",
        "What fills the context window",
    ),
    (
        Builtin::Skills,
        "skills",
        "",
        "List the skills the model can load",
    ),
    (
        Builtin::Checkpoints,
        "checkpoints",
        "",
        "The [[checkpoints]] in force and where this session stopped at them",
    ),
    (
        Builtin::Hooks,
        "hooks",
        "",
        "The hooks in force, where each comes from, and this session's runs",
    ),
    (
        Builtin::Mcp,
        "mcp",
        "[restart NAME]",
        "The MCP servers: state, tools, why one failed; restart one",
    ),
    (Builtin::Help, "help", "", "Every key and command"),
    (Builtin::Quit, "quit", "", "Quit gearshift"),
];

/// One command the composer knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub name: String,
    /// What its arguments are, for the popup (`vibe|plan|pipeline`).
    pub hint: String,
    pub description: String,
    /// `None`: a skill's or a custom command's, sent to the core as the prompt.
    pub builtin: Option<Builtin>,
    /// For the ones the core expands: what kind.
    pub kind: Option<CommandKind>,
}

/// Every command: the built-in ones, then the skills and custom commands the core found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commands {
    all: Vec<Command>,
}

impl Default for Commands {
    fn default() -> Self {
        Commands::new(&[])
    }
}

impl Commands {
    /// The built-in commands and `found` (a built-in name wins over a skill of the same name).
    #[must_use]
    pub fn new(found: &[CommandInfo]) -> Commands {
        let mut all: Vec<Command> = BUILTIN
            .iter()
            .map(|(b, name, hint, description)| Command {
                name: (*name).to_string(),
                hint: (*hint).to_string(),
                description: (*description).to_string(),
                builtin: Some(*b),
                kind: None,
            })
            .collect();
        for f in found {
            if all.iter().any(|c| c.name == f.name) {
                continue;
            }
            all.push(Command {
                name: f.name.clone(),
                hint: f.hint.clone(),
                description: f.description.clone(),
                builtin: None,
                kind: Some(f.kind),
            });
        }
        Commands { all }
    }

    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Command> {
        self.all.iter().find(|c| c.name == name)
    }

    #[must_use]
    pub fn all(&self) -> &[Command] {
        &self.all
    }

    /// The commands matching `query`, best first: every one, in order, for an empty query;
    /// else fuzzy matches of the name (a name starting with the query ranks first).
    #[must_use]
    pub fn matching(&self, query: &str) -> Vec<&Command> {
        if query.is_empty() {
            return self.all.iter().collect();
        }
        let names: Vec<&str> = self.all.iter().map(|c| c.name.as_str()).collect();
        let ranked = fuzzy(query, &names);
        let mut out: Vec<&Command> = ranked.into_iter().map(|i| &self.all[i]).collect();
        // A prefix match first, keeping the matcher's order within each group.
        out.sort_by_key(|c| !c.name.starts_with(query));
        out
    }
}

/// The indices of `items` that match `query`, best first (nucleo's fuzzy matcher, case
/// ignored).
#[must_use]
pub fn fuzzy(query: &str, items: &[&str]) -> Vec<usize> {
    /// An item with its place, for the matcher.
    struct Item<'a>(usize, &'a str);
    impl AsRef<str> for Item<'_> {
        fn as_ref(&self) -> &str {
            self.1
        }
    }
    let mut matcher = Matcher::new(Config::DEFAULT);
    Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart)
        .match_list(
            items.iter().enumerate().map(|(i, s)| Item(i, s)),
            &mut matcher,
        )
        .into_iter()
        .map(|(item, _)| item.0)
        .collect()
}

/// `/name args` as typed: the name and the rest, when the text is a command line — a `/`
/// then a word of letters, digits, `-`, `_` or `:` ending at a space or the end.
#[must_use]
pub fn parse(text: &str) -> Option<(&str, &str)> {
    let rest = text.trim_start().strip_prefix('/')?;
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let name = &rest[..end];
    let word = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'));
    word.then(|| (name, rest[end..].trim()))
}

/// The name being typed, while the composer holds only `/` and a partial name (the popup's
/// query).
#[must_use]
pub fn typing_name(text: &str) -> Option<&str> {
    let rest = text.strip_prefix('/')?;
    (!rest.contains(char::is_whitespace)
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':')))
    .then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found() -> Vec<CommandInfo> {
        vec![
            CommandInfo {
                name: "init".into(),
                hint: String::new(),
                description: "Propose an AGENTS.md".into(),
                kind: CommandKind::Skill,
            },
            CommandInfo {
                name: "fix-issue".into(),
                hint: "NUMBER".into(),
                description: "Fix a GitHub issue".into(),
                kind: CommandKind::Custom,
            },
            CommandInfo {
                name: "help".into(),
                hint: String::new(),
                description: "a skill shadowed by the built-in".into(),
                kind: CommandKind::Skill,
            },
        ]
    }

    #[test]
    fn a_command_line_is_a_slash_and_a_word() {
        assert_eq!(parse("/gear plan"), Some(("gear", "plan")));
        assert_eq!(
            parse("  /fix-issue 123 now "),
            Some(("fix-issue", "123 now"))
        );
        assert_eq!(parse("/clear"), Some(("clear", "")));
        assert_eq!(parse("/usr/lib is big"), None);
        assert_eq!(parse("/"), None);
        assert_eq!(parse("no slash"), None);
        assert_eq!(typing_name("/com"), Some("com"));
        assert_eq!(typing_name("/"), Some(""));
        assert_eq!(typing_name("/gear p"), None);
        assert_eq!(typing_name("/a/b"), None);
    }

    #[test]
    fn built_ins_then_what_the_core_found_matched_fuzzily_prefix_first() {
        let c = Commands::new(&found());
        assert_eq!(c.get("help").unwrap().builtin, Some(Builtin::Help));
        assert_eq!(c.get("fix-issue").unwrap().kind, Some(CommandKind::Custom));
        assert!(c.get("clear").is_none());
        let names =
            |q: &str| -> Vec<String> { c.matching(q).iter().map(|c| c.name.clone()).collect() };
        assert_eq!(names("").len(), BUILTIN.len() + 2);
        assert_eq!(names("co")[..3], ["compact", "cost", "context"]);
        assert_eq!(names("fx")[0], "fix-issue");
        assert!(names("zzz").is_empty());
    }

    #[test]
    fn the_manual_documents_every_built_in_command() {
        let page = include_str!("../../../docs/keys-and-commands.md");
        for (_, name, _, _) in BUILTIN {
            assert!(
                page.contains(&format!("`/{name}`")) || page.contains(&format!("`/{name} ")),
                "docs/keys-and-commands.md does not document /{name}"
            );
        }
    }
}
