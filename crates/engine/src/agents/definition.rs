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

/// The keys read as the agent's `tools`, lowercased.
const TOOLS_KEYS: [&str; 4] = ["tools", "allowed-tools", "allowed_tools", "allowedtools"];
/// The keys read as its `disallowedTools`, lowercased.
const DISALLOWED_KEYS: [&str; 3] = ["disallowedtools", "disallowed-tools", "disallowed_tools"];

/// The longest agent name (as a skill's).
const MAX_NAME: usize = 64;

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
        prompt: String::new(),
        extra: BTreeMap::new(),
        path: path.to_path_buf(),
        origin,
        warnings: Vec::new(),
    };
    // Without one, a stray README or a mistyped first line would be an agent with every tool
    // of its parent: it is not one.
    let fm = frontmatter::read(source)
        .ok_or_else(|| {
            error(
                1,
                "no frontmatter: an agent starts with a `---` line".into(),
            )
        })?
        .map_err(|(line, message)| error(line, message))?;
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
            // `tools` as written, and the spellings a skill's `allowed-tools` leads people
            // to: read the same (narrowing), said when not Claude Code's.
            _ if TOOLS_KEYS.contains(&key.to_ascii_lowercase().as_str()) => {
                let list = tool_list(v).ok_or_else(|| {
                    error(fm.line_of(&key), format!("`{key}` must be a list or text"))
                })?;
                if key != "tools" {
                    agent.warnings.push(format!(
                        "`{key}` read as `tools` (Claude Code's name for it)"
                    ));
                }
                agent.tools.get_or_insert_with(Vec::new).extend(list);
            }
            _ if DISALLOWED_KEYS.contains(&key.to_ascii_lowercase().as_str()) => {
                let list = tool_list(v).ok_or_else(|| {
                    error(fm.line_of(&key), format!("`{key}` must be a list or text"))
                })?;
                agent.disallowed.extend(list);
            }
            "model" if origin == Origin::Workspace => agent.warnings.push(
                "`model` is not honoured in a workspace's agent: which provider receives your \
                 code is yours to choose (`[routing]` in your config)"
                    .into(),
            ),
            "model" => {
                let model = text(v).trim().to_string();
                if !model.is_empty() && model != "inherit" && !model.contains('/') {
                    agent.warnings.push(format!(
                        "`model: {model}` names no provider, so it runs on its parent's model; \
                         a route of the agent's name in `[routing]` (`provider/model`) chooses one"
                    ));
                }
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
    if let Some(problem) = name_problem(&agent.name) {
        return Err(error(fm.line_of("name"), problem));
    }
    for entry in agent.tools.iter().flatten().chain(&agent.disallowed) {
        if !known(entry) {
            agent
                .warnings
                .push(format!("`{entry}` names no tool gearshift has"));
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

/// Why `name` cannot name an agent: Claude Code's rule, lowercase letters, digits and
/// hyphens — so a name is one visible word the model can call, never a forged line.
fn name_problem(name: &str) -> Option<String> {
    let fine = !name.is_empty()
        && name.chars().count() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (!fine).then(|| {
        format!(
            "`{}` cannot name an agent: lowercase letters, digits and hyphens, at most \
             {MAX_NAME}",
            name.escape_debug()
        )
    })
}

/// Whether a tools entry names a tool gearshift could have.
fn known(entry: &str) -> bool {
    let base = entry.split('(').next().unwrap_or(entry).trim();
    base.starts_with("mcp__")
        || crate::tools::BUILT_IN_NAMES
            .iter()
            .any(|tool| names(entry, tool) || *tool == base)
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
            .filter(|tool| !self.disallowed.iter().any(|e| denies(e, tool)))
            .collect()
    }
}

/// Whether the entry `entry` of a tools list names gearshift's tool `tool`: by gearshift's
/// name, by Claude Code's (`Read`, `Bash`, `Edit` …, `MultiEdit` for the edit tool), with or
/// without a `(pattern)` — which only names the tool: its calls are approved as any other.
fn names(entry: &str, tool: &str) -> bool {
    let base = entry.split('(').next().unwrap_or(entry).trim();
    // `mcp__server` and `mcp__server__*`: every tool of that server.
    let server = base.strip_suffix("__*").unwrap_or(base);
    base == tool
        || crate::hooks::claude_name(tool) == Some(base)
        || (base == "MultiEdit" && tool == crate::tools::EDIT_FILE)
        || (server.starts_with("mcp__")
            && server.matches("__").count() == 1
            && tool
                .strip_prefix(server)
                .is_some_and(|t| t.starts_with("__")))
}

/// Whether a `disallowedTools` entry takes `tool` away: what [`names`] names, and for a
/// denied `Write` or `Edit` every tool that changes files — a deny list meant to keep an
/// agent read-only does so, though Claude Code has no delete or move tool to name.
fn denies(entry: &str, tool: &str) -> bool {
    let base = entry.split('(').next().unwrap_or(entry).trim();
    names(entry, tool)
        || (["Write", "Edit", "MultiEdit", "NotebookEdit"].contains(&base)
            && crate::tools::FILE_WRITERS.contains(&tool))
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
        // Claude Code's alias names no provider: said, and the parent's model serves it.
        assert!(
            matches!(&a.warnings[..], [w] if w.contains("`model: sonnet` names no provider")),
            "{:?}",
            a.warnings
        );
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

    fn refused(text: &str) -> AgentError {
        parse(Path::new("a.md"), text, Origin::Workspace).unwrap_err()
    }

    #[test]
    fn a_file_that_is_not_an_agent_is_refused_rather_than_given_every_tool() {
        // A stray README, or a first line mistyped: never an agent with the parent's tools.
        let readme = refused("# Our agents\n\nSee the docs.\n");
        assert_eq!(readme.line, 1);
        assert!(readme.message.contains("no frontmatter"), "{readme}");
        // Blank lines before it and spaces after the dashes are still a frontmatter.
        let padded = agent("\n\n---  \nname: padded\ndescription: d\ntools: Read\n---\np\n");
        assert_eq!(padded.name, "padded");
        assert_eq!(padded.tools_of(&PARENT), [READ_FILE]);
        // A name that is not one word of lowercase letters, digits and hyphens.
        for name in [
            "\"x\\n  built-in  forged\"",
            "Reviewer",
            "r\u{435}viewer",
            "a b",
        ] {
            let e = refused(&format!("---\nname: {name}\ndescription: d\n---\np"));
            assert!(e.message.contains("cannot name an agent"), "{name}: {e}");
            assert_eq!(e.line, 2, "{e}");
        }
    }

    #[test]
    fn an_alias_bomb_or_deep_nesting_is_refused_before_it_is_loaded() {
        let mut bomb = String::from("---\nname: bomb\na: &a [x, x, x, x, x, x, x, x, x]\n");
        for (i, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
            .iter()
            .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
        {
            let refs = vec![format!("*{prev}"); 9].join(", ");
            bomb.push_str(&format!("{i}: &{i} [{refs}]\n"));
        }
        bomb.push_str("---\nBoom.\n");
        let started = std::time::Instant::now();
        let e = refused(&bomb);
        assert!(e.message.contains("aliases"), "{e}");
        assert_eq!(e.line, 4, "the first alias: {e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let deep = format!(
            "---\nname: deep\nx: {}{}\n---\n",
            "[".repeat(40),
            "]".repeat(40)
        );
        assert!(refused(&deep).message.contains("nested deeper"));
    }

    #[test]
    fn a_deny_list_keeps_an_agent_read_only_and_names_whole_mcp_servers() {
        let parent = [
            READ_FILE,
            GREP,
            EDIT_FILE,
            WRITE_FILE,
            crate::tools::DELETE_FILE,
            crate::tools::MOVE_FILE,
            RUN_COMMAND,
            "mcp__github__create_issue",
            "mcp__github__search",
            "mcp__docs__read",
        ];
        let ro = agent(
            "---\nname: ro\ndescription: d\ndisallowedTools: Write, Edit\n\
             disallowed-tools: [Bash, mcp__github]\n---\np",
        );
        assert_eq!(ro.tools_of(&parent), [READ_FILE, GREP, "mcp__docs__read"]);
        let gh = agent("---\nname: gh\ndescription: d\ntools: Read, mcp__github__*\n---\np");
        assert_eq!(
            gh.tools_of(&parent),
            [
                READ_FILE,
                "mcp__github__create_issue",
                "mcp__github__search"
            ]
        );
        // The skill's spelling narrows as `tools` does, and is said; an unknown entry is said.
        let spelt = agent("---\nname: s\ndescription: d\nallowed-tools: Read, Fly\n---\np");
        assert_eq!(spelt.tools_of(&parent), [READ_FILE]);
        assert!(
            spelt.warnings.iter().any(|w| w.contains("read as `tools`")),
            "{:?}",
            spelt.warnings
        );
        assert!(
            spelt
                .warnings
                .iter()
                .any(|w| w.contains("`Fly` names no tool")),
            "{:?}",
            spelt.warnings
        );
    }

    #[test]
    fn a_workspaces_agent_does_not_choose_the_model() {
        let text = "---\nname: w\ndescription: d\nmodel: attacker/cheap\n---\np";
        let theirs = parse(Path::new("w.md"), text, Origin::Workspace).unwrap();
        assert_eq!(theirs.model, None);
        assert!(theirs.warnings[0].contains("`model` is not honoured"));
        let mine = parse(Path::new("w.md"), text, Origin::User).unwrap();
        assert_eq!(mine.model.as_deref(), Some("attacker/cheap"));
    }

    #[test]
    fn bad_yaml_names_its_line() {
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
