//! The README is a front page and `docs/` the manual: every page is linked from the front page,
//! every link between them lands on a file and a heading that exist, and the command line's
//! page names every command the binary has.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn pages() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    pages.sort();
    pages
}

/// The link targets of a Markdown text.
fn links(text: &str) -> Vec<String> {
    Parser::new(text)
        .filter_map(|event| match event {
            Event::Start(Tag::Link { dest_url, .. }) => Some(dest_url.to_string()),
            _ => None,
        })
        .collect()
}

/// The anchors GitHub gives a text's headings. Its rule, written out because no crate states
/// it: the heading's text in lower case, every character but letters, digits, `-`, `_` and
/// spaces dropped, spaces made `-`.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut anchors = BTreeSet::new();
    let mut heading: Option<String> = None;
    for event in Parser::new(text) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                let h = heading.take().unwrap_or_default().to_lowercase();
                anchors.insert(
                    h.chars()
                        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
                        .map(|c| if c == ' ' { '-' } else { c })
                        .collect(),
                );
            }
            _ => {}
        }
    }
    anchors
}

#[test]
fn every_page_of_the_manual_is_linked_from_the_front_page() {
    let readme = read(&root().join("README.md"));
    let linked: BTreeSet<String> = links(&readme).into_iter().collect();
    let pages = pages();
    assert!(pages.len() >= 13, "the manual has its pages: {pages:?}");
    for page in pages {
        let name = format!("docs/{}", page.file_name().unwrap().to_string_lossy());
        assert!(linked.contains(&name), "README.md does not link {name}");
    }
}

#[test]
fn every_link_in_the_readme_and_the_manual_lands_on_a_file_and_a_heading() {
    let mut files = pages();
    files.push(root().join("README.md"));
    files.push(root().join("ARCHITECTURE.md"));
    for file in files {
        let text = read(&file);
        for link in links(&text) {
            if link.starts_with("http://") || link.starts_with("https://") {
                continue;
            }
            let (path, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path)
            };
            assert!(
                target.exists(),
                "{}: the link {link} names a file that does not exist",
                file.display()
            );
            if !anchor.is_empty() {
                let headings = anchors(&read(&target));
                assert!(
                    headings.contains(anchor),
                    "{}: the link {link} names no heading of {}: {headings:?}",
                    file.display(),
                    target.display()
                );
            }
        }
    }
}

#[test]
fn the_front_page_is_short_and_starts_with_the_two_commands_ci_runs() {
    let readme = read(&root().join("README.md"));
    let lines = readme.lines().count();
    assert!(
        lines <= 200,
        "README.md has {lines} lines, the front page at most 200"
    );
    let first_block: String = readme
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap()
        .to_string();
    assert!(
        first_block.starts_with("cargo run --release "),
        "{first_block}"
    );
    let test_command = first_block.lines().nth(1).unwrap();
    let test_command = test_command.split('#').next().unwrap().trim();
    let ci = read(&root().join(".ci/run"));
    assert_eq!(
        ci.lines().last(),
        Some(test_command),
        ".ci/run ends in the README's test command"
    );
    // The install section is the two commands plus `cargo install` and the completions.
    let install = readme.split("## Install").nth(1).unwrap();
    let install = install.split("\n## ").next().unwrap();
    assert!(
        install.contains("cargo install --locked --path ."),
        "{install}"
    );
    assert!(install.contains("gearshift completions"), "{install}");
    assert!(install.contains("cargo run --release"), "{install}");
    assert!(install.contains(test_command), "{install}");
    // Every page has exactly one title.
    for page in pages() {
        let titles = Parser::new(&read(&page))
            .filter(|e| {
                matches!(
                    e,
                    Event::Start(Tag::Heading {
                        level: HeadingLevel::H1,
                        ..
                    })
                )
            })
            .count();
        assert_eq!(titles, 1, "{} has {titles} titles", page.display());
    }
}

#[test]
fn the_command_line_page_names_every_command_of_the_binary() {
    let out = Command::new(env!("CARGO_BIN_EXE_gearshift"))
        .arg("--help")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let commands: Vec<&str> = help
        .split("Commands:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|line| line.starts_with("  "))
        // A command's line starts with two spaces; its description's next lines with more.
        .filter(|line| !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .collect();
    assert!(commands.len() >= 10, "{help}");
    let page = read(&root().join("docs/command-line.md"));
    for name in commands {
        assert!(
            // The name as a whole word: `gearshift mcp` is not `gearshift mcpx`.
            regex::Regex::new(&format!(r"gearshift {name}\b"))
                .unwrap()
                .is_match(&page),
            "docs/command-line.md does not document `gearshift {name}`"
        );
    }
}
