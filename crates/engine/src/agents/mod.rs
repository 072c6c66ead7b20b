//! Subagent definitions: the built-in ones (`explorer`, `reviewer`, `security-reviewer`,
//! in `assets/agents/`) and those found where Claude Code and the cross-agent convention keep
//! them, in Claude Code's format ([`definition`]).
//!
//! A later place replaces an agent of the same name from an earlier one (said once) — but a
//! workspace's definition, a file the model could have written, never replaces a built-in
//! agent or one of the user's: it is refused, said with its path. It is shown with its
//! origin and can be used, but like any agent it never gets a tool its parent lacks, nor a
//! power of its own, nor (being the repository's) a model of its choosing (see
//! [`definition`]).

pub mod definition;
pub mod review;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use definition::{Agent, AgentError};

pub use crate::provided::Roots;
use crate::provided::{self, Origin};

/// Every place agents are read from, lowest precedence first.
#[must_use]
pub fn places(roots: Roots<'_>) -> Vec<(PathBuf, Origin)> {
    let mut out = Vec::new();
    if let Some(home) = roots.home {
        out.push((home.join(".claude/agents"), Origin::User));
        out.push((home.join(".agents/agents"), Origin::User));
    }
    if let Some(dir) = roots.config_dir {
        out.push((dir.join("agents"), Origin::User));
    }
    for dir in [".claude/agents", ".agents/agents", ".gearshift/agents"] {
        out.push((roots.workspace.join(dir), Origin::Workspace));
    }
    out
}

/// The built-in agents.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "explorer",
        include_str!("../../../../assets/agents/explorer.md"),
    ),
    (
        "reviewer",
        include_str!("../../../../assets/agents/reviewer.md"),
    ),
    (
        "security-reviewer",
        include_str!("../../../../assets/agents/security-reviewer.md"),
    ),
];

/// An agent file larger than this is not read.
const MAX_AGENT_BYTES: u64 = 256 * 1024;

/// What discovery found.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    pub agents: BTreeMap<String, Agent>,
    /// Files that could not be read as an agent.
    pub errors: Vec<AgentError>,
    /// Agents replaced by one of the same name from a later place.
    pub shadowed: Vec<String>,
}

impl Discovery {
    /// Every problem worth telling the user once: broken files, warnings, shadowed agents.
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .errors
            .iter()
            .map(|e| format!("agent not loaded: {e}"))
            .collect();
        for a in self.agents.values() {
            for w in &a.warnings {
                out.push(format!("agent `{}` ({}): {w}", a.name, a.path.display()));
            }
        }
        out.extend(self.shadowed.iter().cloned());
        out
    }
}

/// The `*.md` files of a directory, in order.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    out.sort();
    out
}

/// Every agent by name: the built-in ones, then each of [`places`] (a later one replacing
/// an earlier one of the same name), with the files that failed and what was shadowed.
#[must_use]
pub fn discover(roots: Roots<'_>) -> Discovery {
    let mut found = Discovery::default();
    let add = |found: &mut Discovery, a: Agent| {
        // A workspace's file could be the model's own: it never stands in for an agent you
        // or gearshift defined (a `reviewer` that finds nothing).
        if let Some(old) = found.agents.get(&a.name)
            && a.origin == Origin::Workspace
            && old.origin != Origin::Workspace
        {
            found.errors.push(AgentError {
                line: 1,
                message: format!(
                    "a workspace's agent cannot replace the {} `{}` ({})",
                    old.origin.label(),
                    a.name,
                    old.path.display()
                ),
                path: a.path,
            });
            return;
        }
        if let Some(old) = found.agents.get(&a.name) {
            found.shadowed.push(format!(
                "agent `{}` in {} replaces the one in {}",
                a.name,
                a.path.display(),
                old.path.display()
            ));
        }
        found.agents.insert(a.name.clone(), a);
    };
    for (name, text) in BUILT_IN {
        let path = PathBuf::from(format!("assets/agents/{name}.md"));
        match definition::parse(&path, text, Origin::BuiltIn) {
            Ok(a) => add(&mut found, a),
            Err(e) => found.errors.push(e),
        }
    }
    // A repository's agent is read only where it really lies inside the repository: a
    // committed link out (to a key, to /proc) is refused.
    for file in provided::read_places(places(roots), roots.workspace, MAX_AGENT_BYTES, files) {
        let loaded = file
            .text
            .map_err(|e| AgentError {
                path: file.path.clone(),
                line: 1,
                message: format!("cannot read: {e}"),
            })
            .and_then(|text| definition::parse(&file.path, &text, file.origin));
        match loaded {
            Ok(a) => add(&mut found, a),
            Err(e) => found.errors.push(e),
        }
    }
    found
}

#[cfg(test)]
mod tests;
