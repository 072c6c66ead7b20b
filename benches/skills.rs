//! Skill discovery at start and the size of the catalog: 200 published-shaped skill folders
//! spread over the places gearshift reads, discovered as the session starts (off the UI
//! thread, in the session's actor); and the catalog of 50 skills in tokens.
//! Run: `cargo bench --bench skills`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::Path;
use std::time::Instant;

use gearshift::pipeline::skill::{Roots, discover};

fn skill(dir: &Path, name: &str) {
    let folder = dir.join(name);
    std::fs::create_dir_all(folder.join("references")).unwrap();
    std::fs::write(
        folder.join("SKILL.md"),
        format!(
            "---\nname: {name}\ndescription: {}\nallowed-tools: Read, Grep, Bash(git status:*)\nlicense: MIT\n---\n{}",
            "When to use this skill and what it does, in a sentence or two. ".repeat(4),
            "Step by step instructions.\n".repeat(80)
        ),
    )
    .unwrap();
    std::fs::write(folder.join("references/notes.md"), "notes\n").unwrap();
}

fn main() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let places = [
        home.path().join(".claude/skills"),
        home.path().join(".agents/skills"),
        ws.path().join(".claude/skills"),
        ws.path().join(".agents/skills"),
    ];
    for i in 0..200 {
        skill(&places[i % places.len()], &format!("skill-{i:03}"));
    }
    let roots = Roots {
        config_dir: None,
        home: Some(home.path()),
        workspace: ws.path(),
    };
    let mut times = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let found = discover(roots);
        times.push(t.elapsed());
        assert_eq!(found.skills.len(), 209, "200 and the 9 built-in");
    }
    times.sort();
    println!(
        "discovering 200 skills (+9 built-in) in 4 places: median {:?}, max {:?}",
        times[times.len() / 2],
        times[times.len() - 1]
    );
    let found = discover(roots);
    let fifty: gearshift::tools::Skills = found.skills.into_iter().take(50).collect();
    let catalog = gearshift::core::prompts::skill_catalog(&fifty);
    let tokens = gearshift::context::estimate_tokens(&catalog);
    println!(
        "catalog of 50 skills: {} characters, about {tokens} tokens",
        catalog.len()
    );
}
