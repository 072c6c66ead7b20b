//! Skills in the Agent Skills format: Markdown with a YAML frontmatter naming the skill.
//!
//! ```text
//! ---
//! name: requirements
//! description: Turn a request into user stories with EARS acceptance criteria
//! allowed-tools: Read, Bash(git diff:*)  # optional: runs without asking (see `tools::grants`)
//! stage: requirements                   # ours, optional
//! artifact: docs/requirements.md        # ours, optional
//! gate: human                           # ours, optional
//! ---
//! The instructions…
//! ```
//!
//! A SKILL.md written for another tool loads unchanged: fields this program does not know are
//! kept (as text) in [`Skill::extra`], not rejected, and what breaks the Agent Skills rules but
//! can be understood (no `name`, an over-long description, a name the spec would refuse) is a
//! warning on the skill, never a refusal. Skills are found where people keep them (see
//! [`places`]), later places replacing earlier ones of the same name (said once, as a note);
//! a file that cannot be read as a skill is reported with its path and line while the others
//! still load.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use yaml_rust2::Yaml;

use crate::frontmatter::{self, text};
pub use crate::provided::{Origin, Roots};

/// The Agent Skills specification's limits.
const MAX_NAME: usize = 64;
const MAX_DESCRIPTION: usize = 1024;

/// Every place skills are read from, lowest precedence first: the user's (Claude Code's,
/// Codex's, the cross-agent `.agents`, then gearshift's own), then the workspace's in the same
/// order. A
/// skill in a later place replaces one of the same name from an earlier place.
#[must_use]
pub fn places(roots: Roots<'_>) -> Vec<(PathBuf, Origin)> {
    let mut out = Vec::new();
    if let Some(home) = roots.home {
        out.push((home.join(".claude/skills"), Origin::User));
        out.push((home.join(".codex/skills"), Origin::User));
        out.push((home.join(".agents/skills"), Origin::User));
    }
    if let Some(dir) = roots.config_dir {
        out.push((dir.join("skills"), Origin::User));
    }
    for dir in [
        ".claude/skills",
        ".codex/skills",
        ".agents/skills",
        ".gearshift/skills",
    ] {
        out.push((roots.workspace.join(dir), Origin::Workspace));
    }
    out
}

/// What discovery found.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    pub skills: BTreeMap<String, Skill>,
    /// Files that could not be read as a skill.
    pub errors: Vec<SkillError>,
    /// Skills replaced by one of the same name from a later place.
    pub shadowed: Vec<String>,
}

impl Discovery {
    /// Every problem worth telling the user once: broken files, warnings, shadowed skills.
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .errors
            .iter()
            .map(|e| format!("skill not loaded: {e}"))
            .collect();
        for s in self.skills.values() {
            for w in &s.warnings {
                out.push(format!("skill `{}` ({}): {w}", s.name, s.path.display()));
            }
        }
        out.extend(self.shadowed.iter().cloned());
        out
    }
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
    /// What breaks the spec but was understood anyway.
    pub warnings: Vec<String>,
    /// The folder of a `NAME/SKILL.md` skill found on disk, where its bundled files are:
    /// canonical, resolved once when it is found.
    pub folder: Option<PathBuf>,
}

impl Skill {
    /// `disable-model-invocation: true` (Claude Code's field): only the user invokes it, as
    /// `/name`; it is left out of the model's catalog and the `skill` tool refuses it.
    #[must_use]
    pub fn user_only(&self) -> bool {
        self.extra
            .get("disable-model-invocation")
            .is_some_and(|v| v.trim() == "true")
    }
}

/// What the Agent Skills spec says a name is: 1–64 lowercase letters, digits and hyphens, not
/// starting or ending with a hyphen, no two in a row.
fn name_problem(name: &str) -> Option<String> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if name.len() > MAX_NAME {
        Some(format!("the name is over {MAX_NAME} characters"))
    } else if !ok_chars || name.starts_with('-') || name.ends_with('-') || name.contains("--") {
        Some("the name should be lowercase letters, digits and single hyphens".into())
    } else {
        None
    }
}

/// `Read, Grep Bash(git add:*)`: tools separated by commas or spaces, a space inside a
/// tool's parentheses kept (Claude Code's command patterns). Hand-written: the grammar is
/// this one rule, and no crate parses it.
fn split_tools(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for c in list.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' | ' ' | '\t' if depth == 0 => {
                if !current.trim().is_empty() {
                    out.push(current.trim().to_string());
                }
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
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

/// Parses one skill file.
pub fn parse(path: &Path, source: &str, origin: Origin) -> Result<Skill, SkillError> {
    let fm = frontmatter::read(source)
        .ok_or_else(|| error(path, 1, "no frontmatter: a skill starts with a `---` line"))?
        .map_err(|(line, message)| error(path, line, message))?;
    let line_of = |key: &str| fm.line_of(key);
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
        body: fm.body.clone(),
        path: path.to_path_buf(),
        origin,
        warnings: Vec::new(),
        folder: None,
    };
    for (k, v) in &fm.map {
        let key = text(k);
        let string = || match v {
            Yaml::String(s) => Ok(s.trim().to_string()),
            _ => Err(error(path, line_of(&key), format!("`{key}` must be text"))),
        };
        match key.as_str() {
            // Read as text whatever YAML made of them (a number, a folded list).
            "name" => name = Some(text(v).trim().to_string()),
            "description" => description = Some(text(v).trim().to_string()),
            "allowed-tools" | "allowed_tools" => {
                skill.allowed_tools = match v {
                    Yaml::String(s) => split_tools(s),
                    Yaml::Array(a) => a.iter().map(text).collect(),
                    _ => {
                        skill.warnings.push(format!(
                            "line {}: `allowed-tools` is neither a list nor text; ignored",
                            line_of(&key)
                        ));
                        Vec::new()
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
    // Named after its folder (or file) when the frontmatter does not say, as other readers do.
    let folder_name = if path.file_name().is_some_and(|f| f == "SKILL.md") {
        path.parent().and_then(Path::file_name)
    } else {
        path.file_stem()
    }
    .map(|n| n.to_string_lossy().into_owned())
    .unwrap_or_default();
    skill.name = match name.filter(|n| !n.is_empty()) {
        Some(n) => n,
        None if !folder_name.is_empty() => {
            skill
                .warnings
                .push(format!("no `name`: named `{folder_name}` after its folder"));
            folder_name.clone()
        }
        None => return Err(error(path, 2, "the frontmatter needs a `name`")),
    };
    if let Some(problem) = name_problem(&skill.name) {
        skill.warnings.push(problem);
    }
    if path.file_name().is_some_and(|f| f == "SKILL.md") && skill.name != folder_name {
        skill.warnings.push(format!(
            "the name differs from its folder's (`{folder_name}`)"
        ));
    }
    skill.description = description.unwrap_or_default();
    if skill.description.is_empty() {
        skill
            .warnings
            .push("no `description`: the model cannot tell when to use it".into());
    } else if skill.description.chars().count() > MAX_DESCRIPTION {
        skill.warnings.push(format!(
            "the description is over {MAX_DESCRIPTION} characters (the catalog shows its start)"
        ));
    }
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

/// A skill file larger than this is not read.
const MAX_SKILL_BYTES: u64 = 1024 * 1024;

/// The built-in skills (`assets/skills/NAME/SKILL.md`).
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "requirements",
        include_str!("../../../../assets/skills/requirements/SKILL.md"),
    ),
    (
        "design",
        include_str!("../../../../assets/skills/design/SKILL.md"),
    ),
    (
        "tasks",
        include_str!("../../../../assets/skills/tasks/SKILL.md"),
    ),
    (
        "implement",
        include_str!("../../../../assets/skills/implement/SKILL.md"),
    ),
    (
        "verify",
        include_str!("../../../../assets/skills/verify/SKILL.md"),
    ),
    (
        "review",
        include_str!("../../../../assets/skills/review/SKILL.md"),
    ),
    (
        "ship",
        include_str!("../../../../assets/skills/ship/SKILL.md"),
    ),
    (
        "init",
        include_str!("../../../../assets/skills/init/SKILL.md"),
    ),
    (
        "memory",
        include_str!("../../../../assets/skills/memory/SKILL.md"),
    ),
];

/// Every skill by name (the built-in ones, then each of [`places`], a later one replacing an
/// earlier one of the same name), the files that failed, and what was shadowed.
#[must_use]
pub fn discover(roots: Roots<'_>) -> Discovery {
    let mut found = Discovery::default();
    let add = |found: &mut Discovery, s: Skill| {
        if let Some(old) = found.skills.get(&s.name) {
            found.shadowed.push(format!(
                "skill `{}` in {} replaces the one in {}",
                s.name,
                s.path.display(),
                old.path.display()
            ));
        }
        found.skills.insert(s.name.clone(), s);
    };
    for (name, text) in BUILT_IN {
        let path = PathBuf::from(format!("assets/skills/{name}/SKILL.md"));
        match parse(&path, text, Origin::BuiltIn) {
            Ok(s) => add(&mut found, s),
            Err(e) => found.errors.push(e),
        }
    }
    // A repository's skill is read only where it really lies inside the repository, and so
    // is its folder (which the read tools may read): a committed link out is refused.
    let found_files =
        crate::provided::read_places(places(roots), roots.workspace, MAX_SKILL_BYTES, files);
    for file in found_files {
        let path = &file.path;
        let loaded = file
            .text
            .map_err(|e| error(path, 1, format!("cannot read: {e}")))
            .and_then(|text| parse(path, &text, file.origin));
        match loaded {
            Ok(mut s) => {
                if path.file_name().is_some_and(|f| f == "SKILL.md") {
                    s.folder = path
                        .parent()
                        .and_then(|d| crate::provided::locate(d, file.party).ok());
                }
                add(&mut found, s);
            }
            Err(e) => found.errors.push(e),
        }
    }
    found
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
        // A repository's skill cannot make the loader copy an anchor billions of times.
        let e = parse(
            Path::new("bomb/SKILL.md"),
            "---\nname: bomb\na: &a [x, x]\nb: [*a, *a]\n---\nbody",
            Origin::Workspace,
        )
        .unwrap_err();
        assert!(e.message.contains("aliases"), "{e}");
        assert_eq!(e.line, 4, "{e}");
        let e = parse(
            Path::new("b.md"),
            "---\nname: b\ndescription: [unclosed\n---\nbody",
            Origin::User,
        )
        .unwrap_err();
        assert!(e.message.starts_with("bad YAML"), "{e}");
        assert!(e.line >= 3, "{e}");
        let e = parse(
            Path::new("d.md"),
            "---\nname: d\ndescription: ok\nstage: [1, 2]\n---\n",
            Origin::User,
        )
        .unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (4, "`stage` must be text"));
    }

    /// Discovery with the user's config in `config`, a home and a workspace.
    fn found(config: &Path, home: &Path, ws: &Path) -> Discovery {
        discover(Roots {
            config_dir: Some(config),
            home: Some(home),
            workspace: ws,
        })
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn discovery_overrides_by_name_and_reports_bad_files() {
        let config = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let ws = tempfile::tempdir().unwrap();
        let f = found(config.path(), home.path(), ws.path());
        assert!(f.errors.is_empty() && f.shadowed.is_empty(), "{f:?}");
        let builtin: crate::protocol::Pipeline =
            toml::from_str(crate::pipeline::ENGINEERING).unwrap();
        for stage in &builtin.stages {
            assert_eq!(
                f.skills[&stage.skill].origin,
                Origin::BuiltIn,
                "{}",
                stage.skill
            );
        }
        write(
            &config.path().join("skills/design/SKILL.md"),
            "---\nname: design\ndescription: the user's design\n---\nmine",
        );
        write(
            &ws.path().join(".gearshift/skills/design.md"),
            "---\nname: design\ndescription: the project's design\n---\nours",
        );
        write(
            &ws.path().join(".gearshift/skills/broken.md"),
            "---\nname: x\n",
        );
        write(
            &ws.path().join(".gearshift/skills/extra.md"),
            "---\nname: threat-model\ndescription: STRIDE\n---\n",
        );
        let f = found(config.path(), home.path(), ws.path());
        assert_eq!(f.skills["design"].origin, Origin::Workspace);
        assert_eq!(f.skills["design"].body, "ours");
        assert!(f.skills.contains_key("threat-model"));
        assert_eq!(f.errors.len(), 1);
        assert!(f.errors[0].path.ends_with("broken.md"));
        assert_eq!(f.skills.len(), 10, "the others still load");
        // Each replacement is said once, naming both files.
        assert_eq!(f.shadowed.len(), 2, "{:?}", f.shadowed);
        assert!(f.shadowed[1].contains(".gearshift/skills/design.md"));
    }

    #[test]
    fn published_skill_folders_load_from_every_place_leniently() {
        let config = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let ws = tempfile::tempdir().unwrap();
        // Shaped like anthropics/skills: bundled references and scripts beside SKILL.md.
        let pdf = home.path().join(".claude/skills/pdf");
        write(
            &pdf.join("SKILL.md"),
            "---\nname: pdf\ndescription: Read and fill PDF forms. Use when the user mentions PDFs.\nallowed-tools: Read, Grep, Bash(python3 scripts/fill.py:*)\nlicense: Proprietary\n---\n# PDF\n\nSee [the reference](references/forms.md) and run `scripts/fill.py`.\n",
        );
        write(&pdf.join("references/forms.md"), "# Forms\n");
        write(&pdf.join("scripts/fill.py"), "print('fill')\n");
        // Shaped like obra/superpowers: no name, folder-named.
        write(
            &home.path().join(".agents/skills/brainstorming/SKILL.md"),
            "---\ndescription: Refine an idea into a design through questions\n---\nAsk one question at a time.\n",
        );
        // A long description and a name the spec would refuse, in the workspace.
        write(
            &ws.path().join(".agents/skills/Big_Skill/SKILL.md"),
            &format!(
                "---\nname: Big_Skill\ndescription: {}\n---\nbody\n",
                "word ".repeat(300)
            ),
        );
        // Claude Code's project folder, and the same skill again through a symlinked folder.
        write(
            &ws.path().join(".claude/skills/release/SKILL.md"),
            "---\nname: release\ndescription: Cut a release\n---\nTag it.\n",
        );
        std::os::unix::fs::symlink(
            ws.path().join(".claude/skills"),
            ws.path().join(".gearshift/skills"),
        )
        .or_else(|_| {
            std::fs::create_dir_all(ws.path().join(".gearshift")).unwrap();
            std::os::unix::fs::symlink(
                ws.path().join(".claude/skills"),
                ws.path().join(".gearshift/skills"),
            )
        })
        .unwrap();
        let f = found(config.path(), home.path(), ws.path());
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        let pdf = &f.skills["pdf"];
        assert_eq!(pdf.origin, Origin::User);
        assert_eq!(
            pdf.folder,
            std::fs::canonicalize(home.path().join(".claude/skills/pdf")).ok()
        );
        assert_eq!(
            pdf.allowed_tools,
            ["Read", "Grep", "Bash(python3 scripts/fill.py:*)"]
        );
        assert!(pdf.warnings.is_empty(), "{:?}", pdf.warnings);
        let b = &f.skills["brainstorming"];
        assert!(b.warnings[0].contains("named `brainstorming` after its folder"));
        let big = &f.skills["Big_Skill"];
        assert_eq!(big.origin, Origin::Workspace);
        assert!(
            big.warnings.iter().any(|w| w.contains("lowercase")),
            "{:?}",
            big.warnings
        );
        assert!(
            big.warnings.iter().any(|w| w.contains("over 1024")),
            "{:?}",
            big.warnings
        );
        assert_eq!(f.skills["release"].origin, Origin::Workspace);
        assert!(
            f.shadowed.is_empty(),
            "a folder reached twice is read once: {:?}",
            f.shadowed
        );
        let problems = f.problems();
        assert_eq!(problems.len(), 3, "{problems:?}");
    }
}
