//! The `skill` tool: loads a discovered skill's instructions on demand (progressive
//! disclosure, as the Agent Skills specification describes it), with the absolute path of its
//! folder and the files bundled there, so its relative references resolve; and the one
//! exception to the workspace's confinement, reading a file inside a skill's folder.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{Skills, ToolOutcome};

/// Bundled files listed with a loaded skill; the rest are counted.
const MAX_LISTED: usize = 50;

#[derive(serde::Deserialize)]
struct Args {
    name: String,
}

/// The result of the `skill` tool called with `arguments`.
#[must_use]
pub fn load(skills: &Skills, arguments: &str) -> ToolOutcome {
    match serde_json::from_str::<Args>(arguments) {
        Ok(a)
            if skills
                .get(a.name.trim())
                .is_some_and(super::super::pipeline::skill::Skill::user_only) =>
        {
            ToolOutcome::error(format!(
                "the skill `{}` is invoked by the user only (as /{}); tell them it may help",
                a.name.trim(),
                a.name.trim()
            ))
        }
        Ok(a) => load_named(skills, &a.name),
        Err(e) => ToolOutcome::error(format!("bad arguments for skill: {e}")),
    }
}

/// The skill a `skill` call's arguments name.
#[must_use]
pub fn named(arguments: &str) -> Option<String> {
    let a = serde_json::from_str::<Args>(arguments).ok()?;
    Some(a.name.trim().trim_start_matches('/').to_string())
}

/// A skill's instructions, its folder and its files, by its name.
#[must_use]
pub fn load_named(skills: &Skills, name: &str) -> ToolOutcome {
    let Some(skill) = skills.get(name.trim().trim_start_matches('/')) else {
        let known: Vec<&str> = skills.keys().map(String::as_str).collect();
        return ToolOutcome::error(format!(
            "no skill named `{name}`; skills: {}",
            known.join(", ")
        ));
    };
    let mut content = format!("Skill `{}`: {}\n", skill.name, skill.description);
    if let Some(folder) = &skill.folder {
        let _ = writeln!(
            content,
            "Its folder is {}: paths in it are relative to that folder; read its files with \
             read_file and their absolute paths (read-only).",
            folder.display()
        );
        let files = bundled(folder);
        if !files.is_empty() {
            content.push_str("Files:\n");
            for f in files.iter().take(MAX_LISTED) {
                let _ = writeln!(content, "- {}", f.display());
            }
            if files.len() > MAX_LISTED {
                let _ = writeln!(content, "- … and {} more", files.len() - MAX_LISTED);
            }
        }
    }
    let grants = super::grants::of(skill);
    if !grants.patterns.is_empty() {
        let _ = writeln!(
            content,
            "Commands it runs without asking, for the rest of this turn: {}.",
            grants.patterns.join(", ")
        );
    }
    let _ = write!(content, "\n{}", skill.body);
    ToolOutcome {
        ok: true,
        summary: format!("loaded skill {}", skill.name),
        content,
        writes: Vec::new(),
    }
}

/// The files under a skill's folder other than SKILL.md, sorted, walking at most a few levels.
fn bundled(folder: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![(folder.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            let path = e.path();
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_dir() && depth < 4 {
                stack.push((path, depth + 1));
            } else if kind.is_file() && path.file_name().is_some_and(|n| n != "SKILL.md") {
                out.push(path);
            }
            if out.len() > MAX_LISTED * 4 {
                break;
            }
        }
    }
    out.sort();
    out
}

/// `path` when it is a file inside one of the skill `folders` (canonical), resolved through
/// any symlink: the only reads allowed outside the workspace.
#[must_use]
pub fn inside_a_folder(path: &str, folders: &[PathBuf]) -> Option<PathBuf> {
    let p = Path::new(path);
    if !p.is_absolute() {
        return None;
    }
    let real = std::fs::canonicalize(p).ok()?;
    folders
        .iter()
        .any(|f| real.starts_with(f) && real != *f)
        .then_some(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_inside_a_skill_folder_are_readable_and_a_symlink_out_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let folder = dir.path().join("pdf");
        std::fs::create_dir_all(folder.join("scripts")).unwrap();
        std::fs::write(folder.join("scripts/fill.py"), "x").unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), folder.join("leak")).unwrap();
        let folders = [std::fs::canonicalize(&folder).unwrap()];
        let inside = folder.join("scripts/fill.py");
        assert!(inside_a_folder(inside.to_str().unwrap(), &folders).is_some());
        let leak = folder.join("leak");
        assert_eq!(inside_a_folder(leak.to_str().unwrap(), &folders), None);
        let up = folder.join("../pdf/../../");
        assert_eq!(inside_a_folder(up.to_str().unwrap(), &folders), None);
        assert_eq!(
            inside_a_folder("scripts/fill.py", &folders),
            None,
            "relative: the workspace's"
        );
    }

    #[test]
    fn the_catalog_of_fifty_skills_stays_near_2500_tokens() {
        let mut skills = Skills::new();
        for i in 0..50 {
            let text = format!(
                "---\nname: skill-{i}\ndescription: {}\n---\nbody\n",
                "A long description of when to use this skill and what it does. ".repeat(10)
            );
            let s = crate::pipeline::skill::parse(
                Path::new("x.md"),
                &text,
                crate::pipeline::skill::Origin::User,
            )
            .unwrap();
            skills.insert(s.name.clone(), s);
        }
        let catalog = crate::core::prompts::skill_catalog(&skills);
        assert_eq!(
            catalog
                .lines()
                .filter(|l| l.starts_with("- skill-"))
                .count(),
            50
        );
        // About four characters a token.
        assert!(catalog.len() / 4 <= 2_500, "{} chars", catalog.len());
    }
}
