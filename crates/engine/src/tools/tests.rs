//! Tool tests on real files in a temp dir and real child processes.

use std::time::{Duration, Instant};

use super::*;
use crate::protocol::Gear;
use serde_json::json;

fn ctx(dir: &std::path::Path) -> ToolContext {
    ToolContext::plain(Workspace::new(dir).unwrap(), ToolLimits::default())
}

fn call(name: &str, args: &serde_json::Value) -> ToolCallRequest {
    ToolCallRequest {
        id: "c1".into(),
        name: name.into(),
        arguments: args.to_string(),
    }
}

async fn run(ctx: &ToolContext, name: &str, args: serde_json::Value) -> ToolOutcome {
    execute(&call(name, &args), ctx, Writes::Apply).await
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("src")).unwrap();
    std::fs::create_dir_all(p.join("target/debug")).unwrap();
    std::fs::write(p.join(".gitignore"), "target/\n*.log\n").unwrap();
    std::fs::write(
        p.join("src/main.rs"),
        "fn main() {\n    println!(\"needle\");\n}\n",
    )
    .unwrap();
    std::fs::write(p.join("src/lib.rs"), "pub fn needle() {}\n").unwrap();
    std::fs::write(p.join("target/debug/out.rs"), "needle in build output\n").unwrap();
    std::fs::write(p.join("trace.log"), "needle in a log\n").unwrap();
    dir
}

#[tokio::test]
async fn grep_and_glob_honour_gitignore() {
    let dir = project();
    let c = ctx(dir.path());
    let out = run(&c, GREP, json!({"pattern": "needle"})).await;
    assert!(out.ok, "{out:?}");
    assert!(out.content.contains("src/main.rs:2:"), "{}", out.content);
    assert!(out.content.contains("src/lib.rs:1:"), "{}", out.content);
    assert!(!out.content.contains("target/"), "{}", out.content);
    assert!(!out.content.contains("trace.log"), "{}", out.content);

    let out = run(&c, GLOB, json!({"pattern": "**/*.rs"})).await;
    assert_eq!(out.content, "src/lib.rs\nsrc/main.rs\n");
    let out = run(
        &c,
        GREP,
        json!({"pattern": "NEEDLE", "case_insensitive": true, "glob": "lib.rs"}),
    )
    .await;
    assert_eq!(out.content.lines().count(), 1, "{}", out.content);
    let out = run(&c, GREP, json!({"pattern": "("})).await;
    assert!(!out.ok && out.content.contains("bad regular expression"));
}

#[tokio::test]
async fn read_file_numbers_lines_takes_ranges_and_cuts_big_files() {
    let dir = project();
    let mut c = ctx(dir.path());
    let out = run(
        &c,
        READ_FILE,
        json!({"path": "src/main.rs", "start_line": 2, "end_line": 2}),
    )
    .await;
    assert_eq!(out.content, "     2\t    println!(\"needle\");\n");
    let big: String = (0..1000).map(|i| format!("line {i}\n")).collect();
    std::fs::write(dir.path().join("big.txt"), &big).unwrap();
    c.limits.read_max_bytes = 100;
    let out = run(&c, READ_FILE, json!({"path": "big.txt"})).await;
    assert!(
        out.content.contains("[cut: big.txt has 1000 lines"),
        "{}",
        out.content
    );
    assert!(out.content.contains("start_line="), "{}", out.content);
    std::fs::write(dir.path().join("bin.dat"), [0u8, 1, 2, 3]).unwrap();
    let out = run(&c, READ_FILE, json!({"path": "bin.dat"})).await;
    assert!(!out.ok && out.content.contains("binary"), "{}", out.content);
    let out = run(&c, READ_FILE, json!({"path": "nope.rs"})).await;
    assert!(
        !out.ok && out.content.contains("does not exist"),
        "{}",
        out.content
    );
}

#[tokio::test]
async fn edit_file_reports_absent_and_ambiguous_text() {
    let dir = project();
    let c = ctx(dir.path());
    std::fs::write(dir.path().join("a.txt"), "x = 1\nx = 1\ny = 2\n").unwrap();
    let out = run(
        &c,
        EDIT_FILE,
        json!({"path": "a.txt", "old_text": "z = 3", "new_text": "z"}),
    )
    .await;
    assert!(!out.ok);
    assert!(
        out.content.contains("was not found in a.txt"),
        "{}",
        out.content
    );
    let out = run(
        &c,
        EDIT_FILE,
        json!({"path": "a.txt", "old_text": "x = 1", "new_text": "x = 9"}),
    )
    .await;
    assert!(!out.ok);
    assert!(out.content.contains("matches 2 places"), "{}", out.content);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
        "x = 1\nx = 1\ny = 2\n"
    );

    let out = run(
        &c,
        EDIT_FILE,
        json!({"path": "a.txt", "old_text": "y = 2", "new_text": "y = 3"}),
    )
    .await;
    assert!(out.ok, "{out:?}");
    let change = out.change().cloned().unwrap();
    assert_eq!(change.path, "a.txt");
    assert_eq!(change.before.as_deref(), Some("x = 1\nx = 1\ny = 2\n"));
    assert_eq!(change.after.as_deref(), Some("x = 1\nx = 1\ny = 3\n"));
    let out = run(
        &c,
        EDIT_FILE,
        json!({"path": "a.txt", "old_text": "x = 1", "new_text": "x = 0", "replace_all": true}),
    )
    .await;
    assert!(out.ok);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
        "x = 0\nx = 0\ny = 3\n"
    );
}

#[tokio::test]
async fn write_file_records_creation_and_overwrite() {
    let dir = project();
    let c = ctx(dir.path());
    let out = run(
        &c,
        WRITE_FILE,
        json!({"path": "docs/new.md", "content": "# Hi\n"}),
    )
    .await;
    assert!(out.ok);
    assert_eq!(out.change().unwrap().before, None);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("docs/new.md")).unwrap(),
        "# Hi\n"
    );
    let out = run(
        &c,
        WRITE_FILE,
        json!({"path": "docs/new.md", "content": "# Bye\n"}),
    )
    .await;
    assert_eq!(
        out.change().cloned().unwrap().before.as_deref(),
        Some("# Hi\n")
    );
}

#[tokio::test]
async fn proposing_computes_the_change_and_leaves_the_disk_alone() {
    let dir = project();
    let c = ctx(dir.path());
    std::fs::write(dir.path().join("notes.txt"), "one\ntwo\n").unwrap();
    let edit = call(
        EDIT_FILE,
        &json!({"path": "notes.txt", "old_text": "two", "new_text": "2"}),
    );
    let out = execute(&edit, &c, Writes::Propose).await;
    assert!(out.ok, "{}", out.content);
    assert!(out.content.starts_with("proposed"), "{}", out.content);
    let change = out.change().cloned().unwrap();
    assert_eq!(change.after.as_deref(), Some("one\n2\n"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "one\ntwo\n"
    );
    let create = call(WRITE_FILE, &json!({"path": "new.txt", "content": "x"}));
    let out = execute(&create, &c, Writes::Propose).await;
    assert!(out.ok && out.change().cloned().unwrap().before.is_none());
    assert!(!dir.path().join("new.txt").exists());
}

#[tokio::test]
async fn an_edit_that_changes_nothing_proposes_nothing() {
    let dir = project();
    let c = ctx(dir.path());
    std::fs::write(dir.path().join("same.txt"), "same\n").unwrap();
    for (name, args) in [
        (WRITE_FILE, json!({"path": "same.txt", "content": "same\n"})),
        (
            EDIT_FILE,
            json!({"path": "same.txt", "old_text": "same", "new_text": "same"}),
        ),
    ] {
        let out = execute(&call(name, &args), &c, Writes::Propose).await;
        assert!(out.ok && out.change().is_none(), "{name}: {out:?}");
        assert!(
            out.content.starts_with("unchanged: same.txt"),
            "{}",
            out.content
        );
    }
}

#[tokio::test]
async fn delete_and_move_record_their_change_and_refuse_overwrites() {
    let dir = project();
    let c = ctx(dir.path());
    std::fs::write(dir.path().join("a.txt"), "one\n").unwrap();
    std::fs::write(dir.path().join("b.txt"), "two\n").unwrap();
    let out = run(&c, MOVE_FILE, json!({"from": "a.txt", "to": "b.txt"})).await;
    assert!(
        !out.ok && out.content.contains("already exists"),
        "{}",
        out.content
    );
    let out = run(&c, MOVE_FILE, json!({"from": "a.txt", "to": "docs/a.txt"})).await;
    assert!(out.ok, "{}", out.content);
    let change = out.change().cloned().unwrap();
    assert_eq!(change.renamed_from.as_deref(), Some("a.txt"));
    assert_eq!(change.path, "docs/a.txt");
    assert!(dir.path().join("docs/a.txt").exists() && !dir.path().join("a.txt").exists());
    let out = run(&c, DELETE_FILE, json!({"path": "b.txt"})).await;
    assert!(out.ok);
    let change = out.change().cloned().unwrap();
    assert_eq!(
        (change.before.as_deref(), change.after),
        (Some("two\n"), None)
    );
    assert!(!dir.path().join("b.txt").exists());
    let out = run(&c, DELETE_FILE, json!({"path": "../outside.txt"})).await;
    assert!(
        !out.ok && out.content.starts_with("refused"),
        "{}",
        out.content
    );
}

#[tokio::test]
async fn escapes_are_refused_as_tool_results() {
    let dir = project();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
    let c = ctx(dir.path());
    for (tool, args) in [
        (READ_FILE, json!({"path": "../../etc/passwd"})),
        (READ_FILE, json!({"path": "/etc/passwd"})),
        (READ_FILE, json!({"path": "/proc/self/environ"})),
        (WRITE_FILE, json!({"path": "out/evil.sh", "content": "x"})),
        (WRITE_FILE, json!({"path": "/tmp/evil.sh", "content": "x"})),
        (
            EDIT_FILE,
            json!({"path": "../x", "old_text": "a", "new_text": "b"}),
        ),
        (LIST_DIR, json!({"path": ".."})),
        (GLOB, json!({"pattern": "*", "path": "/"})),
        (GREP, json!({"pattern": "root", "path": "/etc"})),
        (GREP, json!({"pattern": "x", "path": "out"})),
    ] {
        let out = run(&c, tool, args.clone()).await;
        assert!(!out.ok, "{tool} {args}: {out:?}");
        assert!(
            out.content.starts_with("refused:"),
            "{tool} {args}: {}",
            out.content
        );
    }
    assert!(!outside.path().join("evil.sh").exists());
}

#[tokio::test]
async fn bad_arguments_and_unknown_tools_are_results_not_failures() {
    let dir = project();
    let c = ctx(dir.path());
    let out = execute(
        &ToolCallRequest {
            id: "x".into(),
            name: READ_FILE.into(),
            arguments: "{\"path\": 3".into(),
        },
        &c,
        Writes::Apply,
    )
    .await;
    assert!(!out.ok && out.content.contains("invalid arguments for read_file"));
    let out = run(&c, "format_disk", json!({})).await;
    assert!(!out.ok && out.content.contains("no tool named `format_disk`"));
}

#[tokio::test]
async fn run_command_reports_exit_code_and_output() {
    let dir = project();
    let c = ctx(dir.path());
    let out = run(
        &c,
        RUN_COMMAND,
        json!({"command": "echo out; echo err >&2; ls src; exit 3"}),
    )
    .await;
    assert!(!out.ok);
    assert!(out.content.contains("out\nerr\n"), "{}", out.content);
    assert!(
        out.content.contains("main.rs"),
        "runs in the workspace: {}",
        out.content
    );
    assert!(out.content.ends_with("[exit code 3]"), "{}", out.content);
    let out = run(&c, RUN_COMMAND, json!({"command": "true"})).await;
    assert!(out.ok);
}

#[tokio::test]
async fn timeout_kills_a_group_that_ignores_sigterm() {
    let dir = project();
    let started = Instant::now();
    // The shell and its child both ignore SIGTERM; only the SIGKILL after the grace stops them.
    let out = run_command(
        "trap '' TERM; sh -c \"trap '' TERM; sleep 30\" & echo started; wait",
        dir.path(),
        Duration::from_millis(300),
        1024,
    )
    .await
    .unwrap();
    let elapsed = started.elapsed();
    assert!(out.timed_out);
    assert!(out.output.contains("started"), "{}", out.output);
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert!(elapsed >= Duration::from_millis(300));
}

#[tokio::test]
async fn background_children_do_not_outlive_the_command() {
    let dir = project();
    let marker = dir.path().join("still-alive");
    let cmd = format!("(sleep 1; touch {}) & echo done", marker.display());
    let out = run_command(&cmd, dir.path(), Duration::from_secs(10), 1024)
        .await
        .unwrap();
    assert_eq!(out.exit_code, Some(0));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !marker.exists(),
        "the background child was killed with the group"
    );
}

#[tokio::test]
async fn long_output_keeps_head_and_tail_and_states_the_cut() {
    let dir = project();
    let out = run_command("seq 1 100000", dir.path(), Duration::from_secs(10), 1000)
        .await
        .unwrap();
    assert!(out.cut_bytes > 0);
    assert!(out.output.starts_with("1\n2\n3\n"), "{}", &out.output[..20]);
    assert!(
        out.output.trim_end().ends_with("99999\n100000"),
        "tail kept"
    );
    assert!(
        out.output
            .contains(&format!("[… {} bytes of output cut here", out.cut_bytes))
    );
    assert!(out.output.len() < 2200);
}

#[test]
fn plan_and_pipeline_gears_offer_only_read_only_tools() {
    let registry = Registry::builtin();
    let names = |g, p| {
        registry
            .specs(g, p)
            .into_iter()
            .map(|s| s.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(names(Gear::Vibe, Phase::Planning).len(), 10);
    assert_eq!(names(Gear::Vibe, Phase::Executing).len(), 10);
    assert_eq!(
        names(Gear::Plan, Phase::Planning),
        [SKILL, READ_FILE, LIST_DIR, GLOB, GREP, PROPOSE_PLAN]
    );
    assert_eq!(
        names(Gear::Pipeline, Phase::Planning),
        [SKILL, READ_FILE, LIST_DIR, GLOB, GREP]
    );
    let running = names(Gear::Plan, Phase::Executing);
    for t in [EDIT_FILE, WRITE_FILE, RUN_COMMAND, COMPLETE_STEP, FAIL_STEP] {
        assert!(running.contains(&t.to_string()), "{t} while running a step");
    }
    assert!(!running.contains(&PROPOSE_PLAN.to_string()));
    let cmd = call(RUN_COMMAND, &json!({"command": "cargo test"}));
    assert_eq!(command_of(&cmd).as_deref(), Some("cargo test"));
}

#[test]
fn the_lists_of_built_in_tools_are_the_registrys() {
    let registry = Registry::builtin();
    let mut names: Vec<&str> = registry.names().collect();
    let mut listed = BUILT_IN_NAMES.to_vec();
    names.sort_unstable();
    listed.sort_unstable();
    assert_eq!(names, listed);
    let mut writers: Vec<&str> = BUILT_IN_NAMES
        .into_iter()
        .filter(|n| registry.kind_of(n) == Some(ToolKind::Write))
        .collect();
    let mut listed = FILE_WRITERS.to_vec();
    writers.sort_unstable();
    listed.sort_unstable();
    assert_eq!(writers, listed);
}
