//! What an `explorer` subagent saves its parent: the same question answered by reading 30
//! files in the parent's own context, then by handing the reading to the explorer, with the
//! scripted model and the release binary (`gearshift exec`). The figure is the parent's
//! context at its last request — the prompt it sent, as gearshift accounts it — in each run.
//! Run: `cargo bench --bench agents`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use std::path::Path;

use gearshift::protocol::Event;
use gearshift::store::Reader;

const FILES: usize = 30;

/// The scripted turns' tool calls: a `read_file` of each module.
fn reads() -> String {
    (0..FILES)
        .map(|i| {
            format!("[[turns.tool_calls]]\nname = \"read_file\"\narguments = {{ path = \"src/m{i}.rs\" }}\n")
        })
        .collect()
}

const ANSWER: &str = "The error type is `ParseError` (src/m0.rs:12), returned by every parser \
                      (src/m1.rs … src/m29.rs), each at its `parse` function.";

/// The parent reads the 30 files itself, then answers.
fn direct() -> String {
    format!(
        "[[turns]]\ntext = \"Reading the modules.\"\n{}\n[[turns]]\ntext = \"{ANSWER}\"\n",
        reads()
    )
}

/// The parent asks the explorer, which reads the 30 files and answers; then the parent
/// answers. (The scripted model answers the explorer's prompt with a scene of its own.)
fn delegated() -> String {
    let reading = reads().replace("[[turns.tool_calls]]", "[[scenes.turns.tool_calls]]");
    format!(
        "[[turns]]\ntext = \"\"\n[[turns.tool_calls]]\nname = \"task\"\n\
         arguments = {{ agent = \"explorer\", prompt = \"Survey the parsers: which error type do they return?\" }}\n\
         [[turns]]\ntext = \"{ANSWER}\"\n\
         [[scenes]]\nwhen = \"Survey the parsers\"\n\
         [[scenes.turns]]\ntext = \"Reading the modules.\"\n{reading}\n\
         [[scenes.turns]]\ntext = \"{ANSWER}\"\n"
    )
}

/// The parent's context at its last request, in tokens, after asking with `script`.
fn parent_context(script: &str) -> u64 {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let code = include_str!("../tests/corpus/rust.rs.txt");
    std::fs::create_dir_all(ws.path().join("src")).unwrap();
    for i in 0..FILES {
        let body = &code[..code.len().min(4_000)];
        std::fs::write(ws.path().join(format!("src/m{i}.rs")), body).unwrap();
    }
    let script_path = home.path().join("script.toml");
    std::fs::write(&script_path, script).unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "provider = \"scripted\"\n[providers.scripted]\nkind = \"script\"\nmodel = \"s\"\n\
             script = \"{}\"\ncontext_window = 200000\n",
            script_path.display()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(common::binary())
        .arg("--home")
        .arg(home.path())
        .arg("--workspace")
        .arg(ws.path())
        .env("HOME", home.path())
        .args(["exec", "Which error type do the parsers return, and where?"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    last_prompt(&home.path().join("gearshift.db"))
}

/// The input of the top-level session's last request; the files were read, by it or by its
/// subagent.
fn last_prompt(db: &Path) -> u64 {
    let reader = Reader::open(db).unwrap();
    let parent = reader.list_sessions(None, 1).unwrap().remove(0);
    let mut sessions = vec![parent.id.clone()];
    sessions.extend(
        reader
            .children(&parent.id)
            .unwrap()
            .into_iter()
            .map(|c| c.id),
    );
    let read = sessions
        .iter()
        .flat_map(|id| reader.events(id).unwrap())
        .filter(|e| matches!(&e.event, Event::ToolResult { ok: true, summary, .. } if summary.starts_with("src/m")))
        .count();
    assert_eq!(read, FILES, "every file read once");
    reader
        .events(&parent.id)
        .unwrap()
        .into_iter()
        .rev()
        .find_map(|e| match e.event {
            Event::Usage { input, .. } => Some(input),
            _ => None,
        })
        .unwrap()
}

fn main() {
    let alone = parent_context(&direct());
    let helped = parent_context(&delegated());
    #[allow(clippy::cast_precision_loss)] // display only
    let smaller = 100.0 * (1.0 - helped as f64 / alone as f64);
    println!("parent's context at its last request, {FILES} files of 4 KB read:");
    println!("  reading them itself:        {alone:>7} tokens");
    println!("  through an explorer:        {helped:>7} tokens");
    println!("  smaller by:                 {smaller:>6.1} %  (target: at least 80 %)");
}
