//! `gearshift demo`: the guided tour. A scratch project and a home of its own in a new temp
//! dir, a scripted model (`assets/demo/tour.toml`) that answers the tour's prompts, and the
//! workbench on top — so a newcomer without a key sees a tool call, a hunk review, a plan run
//! step by step and a pipeline stage at its gate, none of it touching their files or sessions.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

use super::{GlobalArgs, SessionArgs};
use crate::config::TOUR_MODEL;

/// The scripted model of the tour.
const TOUR: &str = include_str!("../../assets/demo/tour.toml");
/// The scratch project it works on.
const PROJECT: [(&str, &str); 3] = [
    (
        "greet.py",
        include_str!("../../assets/demo/project/greet.py"),
    ),
    (
        "test_greet.py",
        include_str!("../../assets/demo/project/test_greet.py"),
    ),
    (
        "README.md",
        include_str!("../../assets/demo/project/README.md"),
    ),
];

/// Creates the tour's directory under `parent`: `project/` (the workspace) and `home/` (its
/// config, sessions and logs). Returns the directory.
pub fn prepare(parent: &Path) -> anyhow::Result<PathBuf> {
    let id = crate::store::new_session_id();
    let dir = parent.join(format!("gearshift-demo-{}", &id[..8]));
    crate::fsutil::private_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let project = dir.join("project");
    let home = dir.join("home");
    std::fs::create_dir_all(&project)?;
    crate::fsutil::private_dir(&home)?;
    for (name, text) in PROJECT {
        std::fs::write(project.join(name), text).with_context(|| format!("cannot write {name}"))?;
    }
    let script = home.join("tour.toml");
    std::fs::write(&script, TOUR)?;
    // Every edit is a proposal (the hunk review is part of the tour); the tests are real; the
    // tour's plan is the one it scripts, without the memory upkeep step.
    let config = format!(
        "provider = \"demo\"\n\n[providers.demo]\nkind = \"script\"\nmodel = \"{TOUR_MODEL}\"\n\
         script = {script:?}\n\n[review]\nvibe = \"review\"\nmemory_step = false\n\n[pipeline]\n\
         test_command = \"python3 -m unittest -q\"\n",
        script = script.to_string_lossy()
    );
    std::fs::write(home.join("config.toml"), config)?;
    Ok(dir)
}

pub fn run(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let dir = prepare(&std::env::temp_dir())?;
    let global = GlobalArgs {
        workspace: Some(dir.join("project")),
        home: Some(dir.join("home")),
        provider: None,
        model: None,
        base_url: None,
        trust_workspace: false,
        ..global.clone()
    };
    let ctx = super::context(&global)?;
    let code = crate::tui::run(&ctx, SessionArgs::default().request())?;
    errln!(
        "gearshift: the demo's project and sessions are in {} (delete it when you are done; \
         `gearshift --home {}/home --workspace {}/project --continue` reopens the tour)",
        dir.display(),
        dir.display(),
        dir.display()
    );
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tour_is_a_valid_script_and_a_project_with_a_config() {
        crate::provider::script::Script::parse(TOUR).unwrap();
        let parent = tempfile::tempdir().unwrap();
        let dir = prepare(parent.path()).unwrap();
        assert!(dir.join("project/greet.py").is_file());
        let config = std::fs::read_to_string(dir.join("home/config.toml")).unwrap();
        let parsed: crate::config::Config = toml::from_str(&config).unwrap();
        assert_eq!(parsed.provider.as_deref(), Some("demo"));
        assert_eq!(parsed.review.vibe, crate::config::VibeEdits::Review);
    }
}
