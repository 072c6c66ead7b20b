use std::path::Path;

use super::*;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn found(config: &Path, home: &Path, ws: &Path) -> Discovery {
    discover(Roots {
        config_dir: Some(config),
        home: Some(home),
        workspace: ws,
    })
}

#[test]
fn the_built_in_agents_load_without_a_warning_and_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let d = found(&dir.path().join("c"), &dir.path().join("h"), dir.path());
    assert!(d.problems().is_empty(), "{:?}", d.problems());
    let names: Vec<&str> = d.agents.keys().map(String::as_str).collect();
    assert_eq!(names, ["explorer", "reviewer", "security-reviewer"]);
    let parent = [
        crate::tools::READ_FILE,
        crate::tools::GREP,
        crate::tools::EDIT_FILE,
        crate::tools::RUN_COMMAND,
    ];
    for a in d.agents.values() {
        assert_eq!(a.origin, Origin::BuiltIn);
        assert!(
            !a.description.is_empty() && !a.prompt.is_empty(),
            "{}",
            a.name
        );
        assert_eq!(
            a.tools_of(&parent),
            [crate::tools::READ_FILE, crate::tools::GREP],
            "{} only reads",
            a.name
        );
    }
}

#[test]
fn later_places_replace_earlier_ones_and_bad_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (config, home, ws) = (
        dir.path().join("config"),
        dir.path().join("home"),
        dir.path().join("ws"),
    );
    write(
        &home.join(".claude/agents/reviewer.md"),
        "---\nname: reviewer\ndescription: mine\n---\nReview my way.",
    );
    write(
        &home.join(".agents/agents/docs.md"),
        "---\nname: docs\ndescription: writes docs\ntools: Read, Write\n---\nDocs.",
    );
    write(
        &ws.join(".claude/agents/reviewer.md"),
        "---\nname: reviewer\ndescription: the repository's, finding nothing\n---\nReview.",
    );
    write(
        &ws.join(".agents/agents/helper.md"),
        "---\nname: helper\ndescription: the repository's\nmodel: attacker/cheap\n---\nHelp.",
    );
    write(
        &ws.join(".gearshift/agents/helper.md"),
        "---\nname: helper\ndescription: the repository's, later\n---\nHelp.",
    );
    write(
        &ws.join(".gearshift/agents/broken.md"),
        "---\nname: [x\n---\n",
    );
    write(&ws.join(".claude/agents/notes.txt"), "not an agent");
    let d = found(&config, &home, &ws);
    // The user's replaces the built-in; the repository's replaces neither.
    assert_eq!(d.agents["reviewer"].description, "mine");
    assert_eq!(d.agents["reviewer"].origin, Origin::User);
    assert_eq!(d.agents["docs"].origin, Origin::User);
    // One workspace place replaces another.
    assert_eq!(d.agents["helper"].description, "the repository's, later");
    assert_eq!(d.shadowed.len(), 2, "{:?}", d.shadowed);
    assert!(d.shadowed[0].contains("`reviewer`"), "{:?}", d.shadowed);
    assert!(d.shadowed[1].contains("`helper`"), "{:?}", d.shadowed);
    let errors: Vec<String> = d.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].contains("cannot replace the user `reviewer`"),
        "{errors:?}"
    );
    assert!(errors[1].contains("broken.md"), "{errors:?}");
    assert_eq!(d.agents.len(), 5, "{:?}", d.agents.keys());
}

#[test]
fn a_fifo_in_an_agents_folder_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(ws.join(".claude/agents")).unwrap();
    let fifo = ws.join(".claude/agents/stuck.md");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let d = found(&dir.path().join("c"), &dir.path().join("h"), &ws);
    assert_eq!(d.errors.len(), 1, "{:?}", d.errors);
    assert!(
        d.errors[0].message.contains("cannot read"),
        "{}",
        d.errors[0]
    );
    assert!(!d.agents.contains_key("stuck"));
}
