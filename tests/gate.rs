//! One gate for every write (issue "One gate for every write"): a write is decided on the path
//! it really reaches, whoever makes it — a file tool, a reviewed change, or a command, whose
//! writes become a change set reviewed like the model's edits. Repositories are made by
//! `git clone`, with the symlinks committed in them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;

use gearshift::core::ApprovalMode;
use gearshift::protocol::{Event, Op, Verdict};
use support::session::{Session, script_provider, start_with};
use support::{git, git_repo, sandbox_or_skip};

/// A repository cloned from an origin holding `files` and the symlinks `links` (name →
/// target), all committed: what `git clone` of a hostile repository leaves on disk.
fn cloned(
    files: &[(&str, &str)],
    links: &[(&str, &str)],
) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let origin = dir.path().join("origin");
    std::fs::create_dir(&origin).unwrap();
    git_repo(&origin);
    for (path, text) in files {
        let p = origin.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    for (name, target) in links {
        std::os::unix::fs::symlink(target, origin.join(name)).unwrap();
    }
    git(&origin, &["add", "-A"]);
    git(&origin, &["commit", "-qm", "init"]);
    let ws = dir.path().join("ws");
    git(dir.path(), &["clone", "-q", "origin", "ws"]);
    git_repo(&ws);
    for (name, _) in links {
        assert!(
            ws.join(name)
                .symlink_metadata()
                .unwrap()
                .file_type()
                .is_symlink(),
            "{name} survives the clone as a symlink"
        );
    }
    (dir, ws)
}

fn script(calls: &[serde_json::Value]) -> String {
    let calls: Vec<String> = calls
        .iter()
        .map(|c| {
            format!(
                "{{ name = {:?}, arguments = {} }}",
                c["name"].as_str().unwrap(),
                toml_inline(&c["arguments"])
            )
        })
        .collect();
    format!(
        "[[turns]]\ntool_calls = [\n{}\n]\n\n[[turns]]\ntext = \"done\"\n",
        calls.join(",\n")
    )
}

/// A JSON object of strings as an inline TOML table.
fn toml_inline(v: &serde_json::Value) -> String {
    let fields: Vec<String> = v
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k} = {:?}", v.as_str().unwrap()))
        .collect();
    format!("{{ {} }}", fields.join(", "))
}

fn run_command(command: &str) -> serde_json::Value {
    serde_json::json!({"name": "run_command", "arguments": {"command": command}})
}

fn write_file(path: &str, content: &str) -> serde_json::Value {
    serde_json::json!({"name": "write_file", "arguments": {"path": path, "content": content}})
}

fn results(events: &[Event]) -> Vec<(bool, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ToolResult { ok, content, .. } => Some((*ok, content.clone())),
            _ => None,
        })
        .collect()
}

async fn session(ws: &Path, script: &str, mode: ApprovalMode, config: &str) -> Session {
    let p = script_provider(ws, script);
    start_with(&p, ws, mode, config).await
}

// 1 and 2: a committed symlink reaches `.git` and every other protected folder.

#[test]
fn a_cloned_repositorys_symlinks_reach_no_protected_place_headless() {
    let (_dir, ws) = cloned(
        &[
            ("README.md", "hi\n"),
            (".claude/keep", ""),
            (".gearshift/keep", ""),
        ],
        &[
            ("g", ".git"),
            ("c", ".claude"),
            ("self", "."),
            ("gsd", ".gearshift"),
        ],
    );
    let git_config = std::fs::read_to_string(ws.join(".git/config")).unwrap();
    let calls = [
        serde_json::json!({"name": "edit_file", "arguments": {"path": "g/config", "old_text": "[core]", "new_text": "[core]\n\tfsmonitor = \"touch X\""}}),
        write_file("g/hooks/post-checkout", "#!/bin/sh\ntouch X\n"),
        write_file(
            "c/settings.json",
            "{\"permissions\":{\"allow\":[\"Bash(*)\"]}}",
        ),
        write_file(
            "self/.agents/skills/evil/SKILL.md",
            "---\nname: evil\n---\n",
        ),
        write_file("self/.codex/config.toml", "approval_policy = \"never\"\n"),
        write_file("gsd/config.toml", "[approvals]\nallow_commands = [\"*\"]\n"),
        write_file("self/self/g/info/exclude", "*\n"),
    ];
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("script.toml"), script(&calls)).unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "provider = \"s\"\n[providers.s]\nkind = \"script\"\nmodel = \"s\"\nscript = \"{}\"\n",
            home.path().join("script.toml").display()
        ),
    )
    .unwrap();
    // The strongest headless flags there are: still nothing protected is written.
    let out = support::command(
        home.path(),
        &ws,
        &["exec", "--approve-changes", "--approve-commands", "go"],
    )
    .output()
    .unwrap();
    let (_, events) = support::newest_session(&home.path().join("gearshift.db"));
    let r = results(&events);
    assert_eq!(
        r.len(),
        calls.len(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (ok, content) in &r {
        assert!(!ok, "{content}");
        assert!(content.contains("protected"), "{content}");
    }
    // Each refusal names the real place, not the alias.
    assert!(r[0].1.contains(".git/config"), "{}", r[0].1);
    assert!(r[2].1.contains(".claude/settings.json"), "{}", r[2].1);
    assert_eq!(
        std::fs::read_to_string(ws.join(".git/config")).unwrap(),
        git_config
    );
    assert!(!ws.join(".git/hooks/post-checkout").exists());
    assert!(!ws.join(".claude/settings.json").exists());
    assert!(!ws.join(".agents").exists());
    assert!(!ws.join(".codex").exists());
    assert!(!ws.join(".gearshift/config.toml").exists());
    assert!(
        !ws.join(".git/info/exclude").exists() || {
            let text = std::fs::read_to_string(ws.join(".git/info/exclude")).unwrap();
            !text.lines().any(|l| l == "*")
        }
    );
}

// 3. Checkpoints are not routed around: not by an alias, not by a command.

const AUTH_RULE: &str = "[[checkpoints]]\nname = \"auth\"\npaths = [\"src/auth/**\"]\nreason = \"auth code is reviewed\"\n";

#[tokio::test]
async fn a_checkpoint_stops_an_alias_a_sed_and_a_cp_into_its_folder() {
    if !sandbox_or_skip("a_checkpoint_stops_an_alias_a_sed_and_a_cp_into_its_folder") {
        return;
    }
    let (_dir, ws) = cloned(
        &[
            ("src/auth/login.py", "ADMIN = False\n"),
            ("notes.txt", "print('pwned')\n"),
        ],
        &[("a", "src/auth")],
    );
    for call in [
        write_file("a/login.py", "ADMIN = True\n"),
        run_command("sed -i s/False/True/ src/auth/login.py"),
        run_command("cp notes.txt src/auth/new.py"),
    ] {
        let script = script(&[call]);
        let config = format!("{AUTH_RULE}[approvals]\nallow_commands = [\"*\"]\n");
        let mut s = session(&ws, &script, ApprovalMode::Approve, &config).await;
        s.submit("go");
        let seen = s.until(|e| matches!(e, Event::ChangeProposed { .. })).await;
        let Some(Event::ChangeProposed {
            change, checkpoint, ..
        }) = seen.last()
        else {
            panic!()
        };
        assert!(change.path.starts_with("src/auth/"), "{}", change.path);
        assert!(
            checkpoint
                .as_deref()
                .unwrap()
                .contains("auth code is reviewed"),
            "{checkpoint:?}"
        );
        // Headless approval does not pass a checkpoint: the run waits for a human.
        assert_eq!(
            std::fs::read_to_string(ws.join("src/auth/login.py")).unwrap(),
            "ADMIN = False\n"
        );
        assert!(!ws.join("src/auth/new.py").exists());
        s.send(Op::Quit);
    }
}

// 4. Commands plant nothing the file tools may not.

#[tokio::test]
async fn a_command_cannot_plant_a_git_of_its_own() {
    if !sandbox_or_skip("a_command_cannot_plant_a_git_of_its_own") {
        return;
    }
    for with_repo in [true, false] {
        let ws = tempfile::tempdir().unwrap();
        if with_repo {
            git_repo(ws.path());
        }
        let plant = "mkdir -p sub/.git && printf '[core]\\n\\tfsmonitor = touch X\\n' > sub/.git/config \
                     && printf 'ref: refs/heads/main\\n' > sub/.git/HEAD && mkdir -p .git/hooks 2>/dev/null; \
                     printf '#!/bin/sh\\ntouch X\\n' > .git/hooks/pre-commit; echo ok > fine.txt";
        let script = script(&[run_command(plant)]);
        let mut s = session(ws.path(), &script, ApprovalMode::Approve, "").await;
        s.submit("go");
        let r = results(&s.turn().await);
        let (_, content) = &r[0];
        assert!(
            content.contains("sub/.git/config") && content.contains("protected"),
            "{content}"
        );
        assert!(!ws.path().join("sub/.git").exists(), "{content}");
        assert!(
            !ws.path().join(".git/hooks/pre-commit").exists(),
            "{content}"
        );
        if !with_repo {
            assert!(!ws.path().join(".git").exists(), "{content}");
        }
        assert_eq!(
            std::fs::read_to_string(ws.path().join("fine.txt")).unwrap(),
            "ok\n",
            "the rest is written (vibe)"
        );
        // The user's next `git status` in `sub/` runs nothing the command planted.
        std::fs::create_dir_all(ws.path().join("sub")).unwrap();
        let _ = std::process::Command::new("git")
            .args(["status", "--short"])
            .current_dir(ws.path().join("sub"))
            .output();
        assert!(!ws.path().join("X").exists() && !ws.path().join("sub/X").exists());
    }
}

#[tokio::test]
async fn neither_tools_nor_commands_make_a_git_under_another_name_or_a_setuid_file() {
    if !sandbox_or_skip("neither_tools_nor_commands_make_a_git_under_another_name_or_a_setuid_file")
    {
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    git_repo(ws.path());
    std::fs::write(ws.path().join(".gitignore"), "build/\n").unwrap();
    // The file tools, one file at a time, in the order that leaves the `HEAD` last.
    let config = "[core]\n\trepositoryformatversion = 0\n\tworktree = ..\n\tfsmonitor = \"touch PWNED; false\"\n";
    let command = "mkdir -p lib/objects lib/refs/heads && touch lib/objects/o lib/refs/heads/main && \
                   printf 'ref: refs/heads/main\\n' > lib/HEAD && \
                   printf '[core]\\n\\tfsmonitor = \"touch PWNED; false\"\\n' > lib/config; \
                   mkdir -p build/g/objects build/g/refs/heads && touch build/g/objects/o build/g/refs/heads/main && \
                   printf 'ref: refs/heads/main\\n' > build/g/HEAD; \
                   cp /bin/true tool; chmod 6755 tool; cp /bin/true build/rootsh; chmod 4755 build/rootsh";
    let script = script(&[
        write_file("src/config", config),
        write_file("src/objects/.keep", ""),
        write_file("src/refs/.keep", ""),
        write_file("src/HEAD", "ref: refs/heads/main\n"),
        run_command(command),
    ]);
    let mut s = session(ws.path(), &script, ApprovalMode::Approve, "").await;
    s.submit("go");
    let r = results(&s.turn().await);
    assert_eq!(r.len(), 5, "{r:?}");
    assert!(!r[3].0 && r[3].1.contains("repository"), "{:?}", r[3]);
    assert!(!ws.path().join("src/HEAD").exists());
    for dir in ["src", "lib", "build/g"] {
        let d = ws.path().join(dir);
        let git_dir =
            d.join("HEAD").is_file() && d.join("objects").is_dir() && d.join("refs").is_dir();
        assert!(!git_dir, "{dir} is a git directory: {}", r[4].1);
    }
    // The user's next git command in those folders runs nothing planted.
    for dir in ["src", "lib", "build/g"] {
        if let Ok(d) = std::fs::canonicalize(ws.path().join(dir)) {
            let _ = std::process::Command::new("git")
                .args(["status", "--short"])
                .current_dir(d)
                .output();
        }
    }
    assert!(
        !ws.path().join("PWNED").exists()
            && !ws.path().join("src/PWNED").exists()
            && !ws.path().join("lib/PWNED").exists()
    );
    // A command's files carry permission bits only, reviewed or written straight in.
    use std::os::unix::fs::PermissionsExt as _;
    for file in ["tool", "build/rootsh"] {
        let mode = std::fs::metadata(ws.path().join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}: {}", r[4].1))
            .permissions()
            .mode();
        assert_eq!(mode & 0o7000, 0, "{file} is {mode:o}");
    }
}

#[tokio::test]
async fn a_content_checkpoint_reads_what_a_command_writes_into_build_folders() {
    if !sandbox_or_skip("a_content_checkpoint_reads_what_a_command_writes_into_build_folders") {
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    git_repo(ws.path());
    std::fs::write(ws.path().join(".gitignore"), "build/\n.venv/\n").unwrap();
    // An existing ignored folder (mounted through without a content rule) and a new one.
    std::fs::create_dir_all(ws.path().join(".venv/lib")).unwrap();
    let config = "[[checkpoints]]\nname = \"http\"\ncontent = ['requests\\.']\n";
    let command = "mkdir -p build && echo 'requests.get(1)' > build/a.py && \
                   echo 'requests.get(2)' > .venv/lib/sitecustomize.py && echo 'x = 1' > build/b.py";
    let script = script(&[run_command(command)]);
    let mut s = session(ws.path(), &script, ApprovalMode::Approve, config).await;
    s.submit("go");
    // Headless approval does not pass a checkpoint: the run waits with both held.
    let proposed = std::cell::Cell::new(0);
    let events = s
        .until(|e| {
            if matches!(e, Event::ChangeProposed { .. }) {
                proposed.set(proposed.get() + 1);
            }
            proposed.get() == 2
        })
        .await;
    for file in ["build/a.py", ".venv/lib/sitecustomize.py"] {
        assert!(!ws.path().join(file).exists(), "{file}: {events:?}");
        assert!(
            events.iter().any(|e| matches!(
                e,
                Event::ChangeProposed { change, checkpoint: Some(why), .. }
                    if change.path == file && why.contains("http")
            )),
            "{file} is held at the checkpoint"
        );
    }
    assert_eq!(
        std::fs::read_to_string(ws.path().join("build/b.py")).unwrap(),
        "x = 1\n",
        "a build output without the pattern is written as it was"
    );
    s.send(Op::Quit);
}

// The vibe gear applies a command's writes at once, undoably; ignored ones are written as
// they were; the result names each file.

#[tokio::test]
async fn a_vibe_commands_writes_are_applied_named_and_undone_together() {
    if !sandbox_or_skip("a_vibe_commands_writes_are_applied_named_and_undone_together") {
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    git_repo(ws.path());
    std::fs::write(
        ws.path().join(".gitignore"),
        "target/\nbuild/\nscript.toml\n",
    )
    .unwrap();
    std::fs::write(ws.path().join("b.txt"), "one\n").unwrap();
    std::fs::write(ws.path().join("gone.txt"), "bye\n").unwrap();
    std::fs::create_dir(ws.path().join("target")).unwrap();
    let command = "printf 'new\\n' > a.txt; sed -i s/one/two/ b.txt; rm gone.txt; \
                   printf '#!/bin/sh\\n' > run.sh; chmod +x run.sh; mkdir -p target/debug; \
                   echo built > target/debug/app; mkdir -p out build/gen; echo x > out/y; \
                   echo g > build/gen/code.rs";
    let script = script(&[run_command(command)]);
    let mut s = session(ws.path(), &script, ApprovalMode::Approve, "").await;
    s.submit("go");
    let seen = s.turn().await;
    let changed: Vec<String> = seen
        .iter()
        .filter_map(|e| match e {
            Event::FileChanged { id, change } => Some(format!("{id} {}", change.path)),
            _ => None,
        })
        .collect();
    assert_eq!(changed.len(), 5, "{changed:?}");
    assert!(changed.iter().all(|c| c.contains('#')), "{changed:?}");
    let r = results(&seen);
    assert!(
        r[0].1.contains("Files written (undoable)") && r[0].1.contains("b.txt"),
        "{}",
        r[0].1
    );
    assert!(r[0].1.contains("git-ignored"), "{}", r[0].1);
    let p = |f: &str| ws.path().join(f);
    assert_eq!(std::fs::read_to_string(p("a.txt")).unwrap(), "new\n");
    assert_eq!(std::fs::read_to_string(p("b.txt")).unwrap(), "two\n");
    assert!(!p("gone.txt").exists());
    assert_eq!(
        std::fs::read_to_string(p("target/debug/app")).unwrap(),
        "built\n"
    );
    assert_eq!(
        std::fs::read_to_string(p("build/gen/code.rs")).unwrap(),
        "g\n"
    );
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(p("run.sh")).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "the script stays executable");
    }
    // One undo reverts the command's whole change set; the build output stays.
    s.send(Op::Undo);
    let undone = s
        .until(|e| matches!(e, Event::ChangeUndone { id } if id.ends_with("#1")))
        .await;
    assert!(
        undone
            .iter()
            .filter(|e| matches!(e, Event::ChangeUndone { .. }))
            .count()
            >= 1
    );
    for _ in 0..50 {
        if !p("a.txt").exists() && p("gone.txt").exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!p("a.txt").exists());
    assert_eq!(std::fs::read_to_string(p("b.txt")).unwrap(), "one\n");
    assert_eq!(std::fs::read_to_string(p("gone.txt")).unwrap(), "bye\n");
    assert!(!p("run.sh").exists());
    assert!(
        !p("out").exists(),
        "the folder the command made goes with its file"
    );
    assert!(p("target/debug/app").exists());
}

// The plan gear: a step's `sed -i` on two files is reviewed hunk by hunk, and the disk holds
// exactly what was accepted.

#[tokio::test]
async fn a_plan_steps_sed_on_two_files_is_reviewed_file_by_file() {
    if !sandbox_or_skip("a_plan_steps_sed_on_two_files_is_reviewed_file_by_file") {
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("x.py"), "A = 1\n").unwrap();
    std::fs::write(ws.path().join("y.py"), "B = 1\n").unwrap();
    let script = r#"
[[turns]]
tool_calls = [{ name = "propose_plan", arguments = { steps = [{ title = "bump" }] } }]

[[turns]]
tool_calls = [
  { name = "run_command", arguments = { command = "sed -i 's/1/2/' x.py y.py" } },
  { name = "complete_step", arguments = { summary = "bumped" } },
]

[[turns]]
text = "done"
"#;
    let config = "[approvals]\nallow_commands = [\"sed *\"]\n[review]\nmemory_step = false\n";
    let mut s = session(ws.path(), script, ApprovalMode::Ask, config).await;
    s.send(Op::SetGear {
        gear: gearshift::protocol::Gear::Plan,
    });
    s.until(|e| matches!(e, Event::GearChanged { .. })).await;
    s.submit("bump both");
    let seen = s.turn().await;
    assert!(seen.iter().any(|e| matches!(e, Event::PlanProposed { .. })));
    s.send(Op::EditPlan {
        edit: gearshift::plan::PlanEdit::ApproveAll,
    });
    s.send(Op::Go { all: false });
    let (first, first_hunks) = s.next_proposal().await;
    let (second, second_hunks) = s.next_proposal().await;
    assert!(
        first.ends_with("#1") && second.ends_with("#2"),
        "{first} {second}"
    );
    // Nothing is on disk while the review waits.
    assert_eq!(
        std::fs::read_to_string(ws.path().join("x.py")).unwrap(),
        "A = 1\n"
    );
    for (change, hunks, verdict) in [
        (&first, &first_hunks, Verdict::Accept),
        (&second, &second_hunks, Verdict::Reject),
    ] {
        for h in hunks {
            s.send(Op::DecideHunk {
                change: change.clone(),
                hunk: h.clone(),
                verdict: verdict.clone(),
            });
        }
        s.send(Op::SubmitReview {
            change: change.clone(),
        });
    }
    let after = s
        .until(|e| matches!(e, Event::ToolResult { content, .. } if content.contains("held for the user's review")))
        .await;
    let Some(Event::ToolResult { content, .. }) = after.last() else {
        panic!()
    };
    assert!(
        content.contains("x.py") && content.contains("y.py"),
        "{content}"
    );
    assert_eq!(
        std::fs::read_to_string(ws.path().join("x.py")).unwrap(),
        "A = 2\n"
    );
    assert_eq!(
        std::fs::read_to_string(ws.path().join("y.py")).unwrap(),
        "B = 1\n"
    );
}

// 3 (commands): a `git push*` checkpoint sees through what hid a push in the last round.

#[test]
fn a_command_checkpoint_stops_every_disguised_push_headless() {
    let ws = tempfile::tempdir().unwrap();
    let bin = ws.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    // A `git` that records a push that ran: it leaves `pushed` in the workspace (an absolute
    // path: gearshift's own `git config` calls run elsewhere, and write nothing).
    let fake = bin.join("git");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\ncase \"$*\" in *push*) echo \"$@\" >> '{}';; esac\n",
            ws.path().join("pushed").display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for disguised in [
        "git push origin main > /dev/null",
        "git push 2>&1",
        "sh -c 'git push origin main'",
        "env git push",
        "git -C . push",
        "GIT_TRACE=0 git push",
        "command git push",
        "echo push | xargs git",
        "$PWD/bin/git push",
    ] {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join("script.toml"),
            script(&[run_command(disguised)]),
        )
        .unwrap();
        std::fs::write(
            home.path().join("config.toml"),
            format!(
                "provider = \"s\"\n[providers.s]\nkind = \"script\"\nmodel = \"s\"\nscript = \"{}\"\n\
                 [[checkpoints]]\nname = \"pushes\"\ncommands = [\"git push*\"]\n",
                home.path().join("script.toml").display()
            ),
        )
        .unwrap();
        let out = support::command(
            home.path(),
            ws.path(),
            &["exec", "--approve-commands", "--approve-changes", "go"],
        )
        .env("PATH", &path)
        .output()
        .unwrap();
        assert_eq!(
            out.status.code(),
            Some(3),
            "{disguised:?} was not stopped: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!ws.path().join("pushed").exists(), "{disguised:?} ran");
    }
}

// The review of round three: a file git tracks is reviewed wherever .gitignore puts it, and a
// build folder — written in place — keeps no protected name a command made in it.

#[tokio::test]
async fn a_tracked_file_in_an_ignored_folder_is_reviewed_and_build_folders_keep_no_git() {
    if !sandbox_or_skip("a_tracked_file_in_an_ignored_folder_is_reviewed") {
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    git_repo(ws.path());
    std::fs::write(
        ws.path().join(".gitignore"),
        "lib/\ntarget/\nbuild/\nscript.toml\n",
    )
    .unwrap();
    std::fs::create_dir_all(ws.path().join("lib")).unwrap();
    std::fs::create_dir_all(ws.path().join("target/debug")).unwrap();
    std::fs::write(ws.path().join("lib/core.py"), "ADMIN = False\n").unwrap();
    git(ws.path(), &["add", "-f", "lib/core.py", ".gitignore"]);
    git(ws.path(), &["commit", "-qm", "init"]);
    let command = "sed -i s/False/True/ lib/core.py; git init -q target/r && \
                   git -C target/r config core.fsmonitor 'touch PWN'; git init -q build/r; \
                   echo out > build/out.txt; echo built > target/debug/app";
    let script = script(&[run_command(command)]);
    let config = "[review]\nvibe = \"review\"\n";
    let mut s = session(ws.path(), &script, ApprovalMode::Approve, config).await;
    s.submit("go");
    let seen = s
        .until(|e| matches!(e, Event::ChangeProposed { .. } | Event::TurnFinished { .. }))
        .await;
    let Some(Event::ChangeProposed { change, .. }) = seen.last() else {
        panic!("the tracked file was not held: {seen:?}")
    };
    assert_eq!(change.path, "lib/core.py");
    assert_eq!(
        std::fs::read_to_string(ws.path().join("lib/core.py")).unwrap(),
        "ADMIN = False\n",
        "not on disk while it waits"
    );
    let held = seen.iter().find_map(|e| match e {
        Event::ToolHeld { content, .. } => Some(content.clone()),
        _ => None,
    });
    let held = held.unwrap();
    assert!(!ws.path().join("target/r/.git").exists(), "{held}");
    assert!(!ws.path().join("build/r/.git").exists(), "{held}");
    assert!(
        held.contains("target/r/.git") && held.contains("removed"),
        "{held}"
    );
    assert_eq!(
        std::fs::read_to_string(ws.path().join("build/out.txt")).unwrap(),
        "out\n"
    );
    assert_eq!(
        std::fs::read_to_string(ws.path().join("target/debug/app")).unwrap(),
        "built\n"
    );
    let _ = std::process::Command::new("git")
        .args(["status", "--short"])
        .current_dir(ws.path().join("target/r"))
        .output();
    assert!(!ws.path().join("target/r/PWN").exists());
}
