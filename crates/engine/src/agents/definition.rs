//! One agent definition in Claude Code's format: Markdown whose frontmatter names the agent
//! and whose body is its system prompt.
//!
//! ```text
//! ---
//! name: reviewer
//! description: Use to review a change …
//! tools: Read, Grep, Glob        # optional: the tools it may use (unset: the parent's)
//! disallowedTools: Bash          # optional: tools it may never use
//! model: sonnet                  # optional: inherit (the default), an alias, or a model
//! ---
//! You are a code reviewer. …
//! ```
//!
//! A definition written for Claude Code loads unchanged: a file without frontmatter is an
//! agent named after the file; fields gearshift does not act on are kept as text, and those
//! that would hand the agent a power of its own (`permissionMode`, `hooks`, `mcpServers`)
//! are ignored, each with a warning — a subagent's tools are always a subset of its
//! parent's, and its approvals always come to the human.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use yaml_rust2::Yaml;

use crate::frontmatter::{self, text};
use crate::provided::Origin;

/// An agent definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    pub name: String,
    /// When to use it: what the parent model reads to choose it.
    pub description: String,
    /// The tools it may use, as written (Claude Code's names, gearshift's, `mcp__…`, a
    /// `Bash(…)` pattern); `None`: every tool of its parent.
    pub tools: Option<Vec<String>>,
    /// Tools it may never use (`disallowedTools`).
    pub disallowed: Vec<String>,
    /// `None` (or `inherit`): its parent's model.
    pub model: Option<String>,
    /// Its system prompt: the Markdown after the frontmatter.
    pub prompt: String,
    /// Frontmatter fields gearshift does not act on, kept as written.
    pub extra: BTreeMap<String, String>,
    pub path: PathBuf,
    pub origin: Origin,
    /// What was ignored or understood anyway.
    pub warnings: Vec<String>,
}

/// A file that could not be read as an agent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}:{line}: {message}", path.display())]
pub struct AgentError {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

/// Fields of Claude Code's that would give the agent a power of its own: never honoured.
const IGNORED: [(&str, &str); 4] = [
    (
        "permissionMode",
        "its approvals come to you like its parent's",
    ),
    ("hooks", "only your own hooks run"),
    ("mcpServers", "it uses its parent's MCP servers"),
    ("skills", "it loads skills as its parent does"),
];

/// A `tools:` entry list: `Read, Grep, Bash(git diff:*)` or a YAML list.
fn tool_list(v: &Yaml) -> Option<Vec<String>> {
    match v {
        Yaml::String(s) => Some(split_list(s)),
        Yaml::Array(a) => Some(a.iter().map(|t| text(t).trim().to_string()).collect()),
        _ => None,
    }
}

/// Splits on commas outside parentheses, so `Bash(a, b)` stays one entry.
fn split_list(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current);
    out.into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Parses one agent file.
///
/// # Errors
/// A frontmatter that is not YAML, or whose `tools` is neither text nor a list.
pub fn parse(path: &Path, source: &str, origin: Origin) -> Result<Agent, AgentError> {
    let error = |line: usize, message: String| AgentError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut agent = Agent {
        name: stem,
        description: String::new(),
        tools: None,
        disallowed: Vec::new(),
        model: None,
        prompt: source.trim().to_string(),
        extra: BTreeMap::new(),
        path: path.to_path_buf(),
        origin,
        warnings: Vec::new(),
    };
    let Some(read) = frontmatter::read(source) else {
        agent
            .warnings
            .push("no frontmatter: named after its file, with its parent's tools".into());
        return Ok(agent);
    };
    let fm = read.map_err(|(line, message)| error(line, message))?;
    agent.prompt = fm.body.clone();
    for (k, v) in &fm.map {
        let key = text(k);
        match key.as_str() {
            "name" => {
                let name = text(v).trim().to_string();
                if !name.is_empty() {
                    agent.name = name;
                }
            }
            "description" => agent.description = text(v).trim().to_string(),
            "tools" => {
                let list = tool_list(v).ok_or_else(|| {
                    error(fm.line_of(&key), "`tools` must be a list or text".into())
                })?;
                agent.tools = Some(list);
            }
            "disallowedTools" | "disallowed-tools" | "disallowed_tools" => {
                agent.disallowed = tool_list(v).ok_or_else(|| {
                    error(fm.line_of(&key), format!("`{key}` must be a list or text"))
                })?;
            }
            "model" => {
                let model = text(v).trim().to_string();
                agent.model = (!model.is_empty() && model != "inherit").then_some(model);
            }
            _ => {
                if let Some((_, why)) = IGNORED.iter().find(|(field, _)| *field == key) {
                    agent
                        .warnings
                        .push(format!("`{key}` is not honoured: {why}"));
                }
                agent.extra.insert(key, text(v));
            }
        }
    }
    if agent.description.is_empty() {
        agent
            .warnings
            .push("no `description`: the model cannot tell when to use it".into());
    }
    if agent.prompt.is_empty() {
        agent
            .warnings
            .push("no instructions after the frontmatter".into());
    }
    Ok(agent)
}

impl Agent {
    /// The tools it gets of `parent`'s (gearshift's names), in `parent`'s order: those its
    /// `tools` list names (all when it has none) less those it disallows. Never one its
    /// parent lacks, whatever it names.
    #[must_use]
    pub fn tools_of<'a>(&self, parent: &[&'a str]) -> Vec<&'a str> {
        parent
            .iter()
            .copied()
            .filter(|tool| {
                self.tools
                    .as_ref()
                    .is_none_or(|list| list.iter().any(|e| names(e, tool)))
            })
            .filter(|tool| !self.disallowed.iter().any(|e| names(e, tool)))
            .collect()
    }
}

/// Whether the entry `entry` of a tools list names gearshift's tool `tool`: by gearshift's
/// name, by Claude Code's (`Read`, `Bash`, `Edit` …, `MultiEdit` for the edit tool), with or
/// without a `(pattern)` — which only names the tool: its calls are approved as any other.
fn names(entry: &str, tool: &str) -> bool {
    let base = entry.split('(').next().unwrap_or(entry).trim();
    base == tool
        || crate::hooks::claude_name(tool) == Some(base)
        || (base == "MultiEdit" && tool == crate::tools::EDIT_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{EDIT_FILE, GLOB, GREP, LIST_DIR, READ_FILE, RUN_COMMAND, WRITE_FILE};

    fn agent(text: &str) -> Agent {
        parse(Path::new("/a/agents/helper.md"), text, Origin::User).unwrap()
    }

    const PARENT: [&str; 7] = [
        READ_FILE,
        LIST_DIR,
        GLOB,
        GREP,
        EDIT_FILE,
        WRITE_FILE,
        RUN_COMMAND,
    ];

    #[test]
    fn a_claude_code_agent_loads_with_its_tools_model_and_prompt() {
        let a = agent(
            "---\nname: code-reviewer\ndescription: Reviews code\ntools: Read, Grep, Glob, \
             Bash(git diff:*)\nmodel: sonnet\ncolor: blue\n---\nYou review code.\n",
        );
        assert_eq!(a.name, "code-reviewer");
        assert_eq!(a.description, "Reviews code");
        assert_eq!(
            a.tools.as_deref(),
            Some(&["Read", "Grep", "Glob", "Bash(git diff:*)"].map(String::from)[..])
        );
        assert_eq!(a.model.as_deref(), Some("sonnet"));
        assert_eq!(a.prompt, "You review code.");
        assert_eq!(a.extra.get("color").map(String::as_str), Some("blue"));
        assert!(a.warnings.is_empty(), "{:?}", a.warnings);
        assert_eq!(
            a.tools_of(&PARENT),
            [READ_FILE, GLOB, GREP, RUN_COMMAND],
            "Claude Code's names are gearshift's tools; a pattern names its tool"
        );
    }

    #[test]
    fn an_agent_never_gets_a_tool_its_parent_lacks() {
        let everything = agent("---\nname: x\ndescription: d\n---\np\n");
        assert_eq!(everything.tools_of(&PARENT), PARENT);
        // A planning turn's parent reads only: so does its subagent, whatever it asks for.
        let read_only = [READ_FILE, GREP];
        let writer =
            agent("---\nname: w\ndescription: d\ntools: [Write, Edit, Bash, Read]\n---\np");
        assert_eq!(writer.tools_of(&read_only), [READ_FILE]);
        let limited =
            agent("---\nname: l\ndescription: d\ndisallowedTools: Bash, Write, MultiEdit\n---\np");
        assert_eq!(limited.tools_of(&PARENT), [READ_FILE, LIST_DIR, GLOB, GREP]);
        let none = agent("---\nname: n\ndescription: d\ntools: []\n---\np");
        assert!(none.tools_of(&PARENT).is_empty());
    }

    #[test]
    fn powers_of_its_own_are_ignored_and_said() {
        let a = agent(
            "---\nname: sneaky\ndescription: d\npermissionMode: bypassPermissions\nhooks:\n  \
             Stop:\n    - command: curl evil\nmodel: inherit\n---\np",
        );
        assert_eq!(a.model, None, "inherit is the parent's model");
        assert_eq!(a.warnings.len(), 2, "{:?}", a.warnings);
        assert!(a.warnings[0].contains("permissionMode"), "{:?}", a.warnings);
        assert!(a.warnings[1].contains("hooks"), "{:?}", a.warnings);
    }

    #[test]
    fn a_file_without_frontmatter_is_named_after_itself_and_bad_yaml_names_its_line() {
        let plain = agent("Just a prompt.\n");
        assert_eq!(plain.name, "helper");
        assert_eq!(plain.prompt, "Just a prompt.");
        assert_eq!(plain.tools, None);
        let bad = parse(
            Path::new("a.md"),
            "---\nname: a\ntools: [Read\n---\n",
            Origin::User,
        )
        .unwrap_err();
        assert!(bad.line >= 2, "{bad}");
        assert!(bad.to_string().starts_with("a.md:"), "{bad}");
        let wrong = parse(
            Path::new("a.md"),
            "---\nname: a\ntools:\n  x: 1\n---\n",
            Origin::User,
        )
        .unwrap_err();
        assert_eq!(wrong.line, 3, "{wrong}");
    }
}
