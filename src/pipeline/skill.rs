//! Skills in the Agent Skills format: Markdown with a YAML frontmatter naming the skill.
//!
//! ```text
//! ---
//! name: requirements
//! description: Turn a request into user stories with EARS acceptance criteria
//! allowed-tools: read_file, grep        # optional; a list works too
//! stage: requirements                   # ours, optional
//! artifact: docs/requirements.md        # ours, optional
//! gate: human                           # ours, optional
//! ---
//! The instructions…
//! ```
//!
//! A SKILL.md written for another tool loads unchanged: fields this program does not know are
//! kept (as text) in [`Skill::extra`], not rejected. Skills are found in the built-in set, the
//! user's config dir and the workspace, later ones replacing earlier ones of the same name; a
//! bad file is reported with its path and line while the others still load.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

/// Where a skill came from, in increasing precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    BuiltIn,
    User,
    Workspace,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Skill {
    pub name: String,
    pub description: String,
    pub allowed_tools: Vec<String>,
    pub stage: Option<String>,
    pub artifact: Option<String>,
    pub gate: Option<String>,
    /// Frontmatter fields for other tools, kept as they were written.
    pub extra: BTreeMap<String, String>,
    /// The instructions (the Markdown after the frontmatter).
    pub body: String,
    pub path: PathBuf,
    pub origin: Origin,
}

/// A skill file that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {message}", path.display())]
pub struct SkillError {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

fn error(path: &Path, line: usize, message: impl Into<String>) -> SkillError {
    SkillError {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

/// A YAML value as text, for the fields kept for other tools.
fn text(v: &Yaml) -> String {
    match v {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Array(a) => a.iter().map(text).collect::<Vec<_>>().join(", "),
        Yaml::Hash(h) => h
            .iter()
            .map(|(k, v)| format!("{}: {}", text(k), text(v)))
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}

/// Parses one skill file.
pub fn parse(path: &Path, source: &str, origin: Origin) -> Result<Skill, SkillError> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let rest = source
        .strip_prefix("---\n")
        .or_else(|| source.strip_prefix("---\r\n"))
        .ok_or_else(|| error(path, 1, "no frontmatter: a skill starts with a `---` line"))?;
    let end = rest
        .find("\n---")
        .ok_or_else(|| error(path, 1, "the frontmatter has no closing `---` line"))?;
    let front = &rest[..=end];
    let body_start = rest[end + 4..]
        .find('\n')
        .map_or(rest.len(), |n| end + 4 + n + 1);
    let body = rest.get(body_start..).unwrap_or("").trim().to_string();
    let docs = YamlLoader::load_from_str(front).map_err(|e| {
        // The frontmatter starts on the file's second line.
        error(
            path,
            e.marker().line() + 1,
            format!("bad YAML: {}", e.info()),
        )
    })?;
    let Some(Yaml::Hash(map)) = docs.into_iter().next() else {
        return Err(error(
            path,
            2,
            "the frontmatter must be a mapping of `key: value` lines",
        ));
    };
    let line_of = |key: &str| {
        front
            .lines()
            .position(|l| l.trim_start().starts_with(&format!("{key}:")))
            .map_or(2, |i| i + 2)
    };
    let mut name = None;
    let mut description = None;
    let mut skill = Skill {
        name: String::new(),
        description: String::new(),
        allowed_tools: Vec::new(),
        stage: None,
        artifact: None,
        gate: None,
        extra: BTreeMap::new(),
        body,
        path: path.to_path_buf(),
        origin,
    };
    for (k, v) in &map {
        let key = text(k);
        let string = || match v {
            Yaml::String(s) => Ok(s.trim().to_string()),
            _ => Err(error(path, line_of(&key), format!("`{key}` must be text"))),
        };
        match key.as_str() {
            "name" => name = Some(string()?),
            "description" => description = Some(string()?),
            "allowed-tools" | "allowed_tools" => {
                skill.allowed_tools = match v {
                    Yaml::String(s) => s
                        .split([',', ' '])
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(String::from)
                        .collect(),
                    Yaml::Array(a) => a.iter().map(text).collect(),
                    _ => {
                        return Err(error(
                            path,
                            line_of(&key),
                            "`allowed-tools` must be a list or comma-separated text",
                        ));
                    }
                }
            }
            "stage" => skill.stage = Some(string()?),
            "artifact" => skill.artifact = Some(string()?),
            "gate" => skill.gate = Some(string()?),
            _ => {
                skill.extra.insert(key, text(v));
            }
        }
    }
    skill.name = name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| error(path, 2, "the frontmatter needs a `name`"))?;
    skill.description = description
        .filter(|d| !d.is_empty())
        .ok_or_else(|| error(path, 2, "the frontmatter needs a `description`"))?;
    Ok(skill)
}

/// The skill files of a directory: `NAME/SKILL.md` (the Agent Skills layout) and `*.md`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter_map(|p| {
            if p.is_dir() {
                let f = p.join("SKILL.md");
                f.is_file().then_some(f)
            } else {
                (p.extension().is_some_and(|e| e == "md")).then_some(p)
            }
        })
        .collect();
    out.sort();
    out
}

/// The built-in skills (`assets/skills/NAME/SKILL.md`).
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "requirements",
        include_str!("../../assets/skills/requirements/SKILL.md"),
    ),
    (
        "design",
        include_str!("../../assets/skills/design/SKILL.md"),
    ),
    ("tasks", include_str!("../../assets/skills/tasks/SKILL.md")),
    (
        "implement",
        include_str!("../../assets/skills/implement/SKILL.md"),
    ),
    (
        "verify",
        include_str!("../../assets/skills/verify/SKILL.md"),
    ),
    (
        "review",
        include_str!("../../assets/skills/review/SKILL.md"),
    ),
    ("ship", include_str!("../../assets/skills/ship/SKILL.md")),
];

/// Every skill by name, later sources replacing earlier ones, and the files that failed.
#[must_use]
pub fn discover(
    user_dir: Option<&Path>,
    workspace: &Path,
) -> (BTreeMap<String, Skill>, Vec<SkillError>) {
    let mut skills = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, text) in BUILT_IN {
        let path = PathBuf::from(format!("assets/skills/{name}/SKILL.md"));
        match parse(&path, text, Origin::BuiltIn) {
            Ok(s) => {
                skills.insert(s.name.clone(), s);
            }
            Err(e) => errors.push(e),
        }
    }
    let dirs = [
        (user_dir.map(|d| d.join("skills")), Origin::User),
        (Some(workspace.join(".gearshift/skills")), Origin::Workspace),
    ];
    for (dir, origin) in dirs {
        let Some(dir) = dir else { continue };
        for path in files(&dir) {
            let loaded = std::fs::read_to_string(&path)
                .map_err(|e| error(&path, 1, format!("cannot read: {e}")))
                .and_then(|text| parse(&path, &text, origin));
            match loaded {
                Ok(s) => {
                    skills.insert(s.name.clone(), s);
                }
                Err(e) => errors.push(e),
            }
        }
    }
    (skills, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skill_with_our_fields_and_a_list_of_tools() {
        let s = parse(
            Path::new("x/SKILL.md"),
            "---\nname: design\ndescription: Architecture and risks\nallowed-tools:\n  - read_file\n  - grep\nstage: design\nartifact: docs/design.md\ngate: human\n---\n# Design\n\nWrite it.\n",
            Origin::User,
        )
        .unwrap();
        assert_eq!(s.name, "design");
        assert_eq!(s.allowed_tools, ["read_file", "grep"]);
        assert_eq!(s.artifact.as_deref(), Some("docs/design.md"));
        assert_eq!(s.body, "# Design\n\nWrite it.");
    }

    #[test]
    fn a_skill_written_for_another_tool_loads_with_its_fields_kept() {
        // As Claude Code and other Agent Skills readers write them.
        let s = parse(
            Path::new("pdf/SKILL.md"),
            "---\nname: pdf-processing\ndescription: Extract text and tables from PDF files.\nallowed-tools: Read, Grep, Bash\nlicense: Apache-2.0\nmetadata:\n  author: someone\n  version: \"1.0\"\n---\nUse pdfplumber.\n",
            Origin::Workspace,
        )
        .unwrap();
        assert_eq!(s.allowed_tools, ["Read", "Grep", "Bash"]);
        assert_eq!(s.extra["license"], "Apache-2.0");
        assert!(s.extra["metadata"].contains("author: someone"));
        assert_eq!(s.stage, None);
    }

    #[test]
    fn bad_files_name_their_path_and_line() {
        let e = parse(Path::new("a.md"), "no frontmatter", Origin::User).unwrap_err();
        assert_eq!(e.line, 1);
        let e = parse(
            Path::new("b.md"),
            "---\nname: b\ndescription: [unclosed\n---\nbody",
            Origin::User,
        )
        .unwrap_err();
        assert!(e.message.starts_with("bad YAML"), "{e}");
        assert!(e.line >= 3, "{e}");
        let e = parse(Path::new("c.md"), "---\nname: c\n---\n", Origin::User).unwrap_err();
        assert!(
            e.to_string()
                .contains("c.md:2: the frontmatter needs a `description`")
        );
        let e = parse(
            Path::new("d.md"),
            "---\nname: d\ndescription: ok\nstage: [1, 2]\n---\n",
            Origin::User,
        )
        .unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (4, "`stage` must be text"));
    }

    #[test]
    fn discovery_overrides_by_name_and_reports_bad_files() {
        let home = tempfile::tempdir().unwrap();
        let ws = tempfile::tempdir().unwrap();
        let (skills, errors) = discover(Some(home.path()), ws.path());
        assert!(errors.is_empty(), "{errors:?}");
        for name in [
            "requirements",
            "design",
            "tasks",
            "implement",
            "verify",
            "review",
            "ship",
        ] {
            assert_eq!(skills[name].origin, Origin::BuiltIn, "{name}");
        }
        std::fs::create_dir_all(home.path().join("skills/design")).unwrap();
        std::fs::write(
            home.path().join("skills/design/SKILL.md"),
            "---\nname: design\ndescription: the user's design\n---\nmine",
        )
        .unwrap();
        std::fs::create_dir_all(ws.path().join(".gearshift/skills")).unwrap();
        std::fs::write(
            ws.path().join(".gearshift/skills/design.md"),
            "---\nname: design\ndescription: the project's design\n---\nours",
        )
        .unwrap();
        std::fs::write(
            ws.path().join(".gearshift/skills/broken.md"),
            "---\nname: x\n",
        )
        .unwrap();
        std::fs::write(
            ws.path().join(".gearshift/skills/extra.md"),
            "---\nname: threat-model\ndescription: STRIDE\n---\n",
        )
        .unwrap();
        let (skills, errors) = discover(Some(home.path()), ws.path());
        assert_eq!(skills["design"].origin, Origin::Workspace);
        assert_eq!(skills["design"].body, "ours");
        assert!(skills.contains_key("threat-model"));
        assert_eq!(errors.len(), 1);
        assert!(errors[0].path.ends_with("broken.md"));
        assert_eq!(skills.len(), 8, "the others still load");
    }
}
