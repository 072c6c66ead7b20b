//! What a fresh install is checked with, through the real binary: `--version` names the
//! commit and the build day, `completions` and `man` come from the CLI definition, and
//! `gearshift doctor` names each problem of a broken home — a config that does not parse, an
//! unset key, a dead MCP server, a corrupt database — with its fix, exit code 1, and exit code
//! 0 where only warnings remain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;

use serde_json::Value;

fn gearshift(home: &std::path::Path, ws: &std::path::Path, args: &[&str]) -> std::process::Output {
    support::command(home, ws, args)
        .env("HOME", home)
        .env_remove("OPENAI_API_KEY")
        .output()
        .unwrap()
}

#[test]
fn version_completions_and_man_page_come_from_the_binary() {
    let out = Command::new(env!("CARGO_BIN_EXE_gearshift"))
        .arg("--version")
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&out.stdout);
    let re = regex::Regex::new(
        r"^gearshift \d+\.\d+\.\d+ \(([0-9a-f]{12}|unknown), built \d{4}-\d{2}-\d{2}\)\n$",
    )
    .unwrap();
    assert!(re.is_match(&version), "{version:?}");

    for (shell, marker) in [
        ("bash", "_gearshift()"),
        ("zsh", "#compdef gearshift"),
        ("fish", "complete -c gearshift"),
        ("elvish", "edit:completion:arg-completer[gearshift]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_gearshift"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(marker), "{shell}: {script:.200}");
        assert!(script.contains("doctor"), "{shell} completes the commands");
    }
    // Bash reads the script without an error.
    let bash = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source <({} completions bash) && complete -p gearshift",
            env!("CARGO_BIN_EXE_gearshift")
        ))
        .output()
        .unwrap();
    assert!(
        bash.status.success(),
        "{}",
        String::from_utf8_lossy(&bash.stderr)
    );

    let out = Command::new(env!("CARGO_BIN_EXE_gearshift"))
        .arg("man")
        .output()
        .unwrap();
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains(".TH gearshift 1"), "{page:.300}");
    assert!(page.contains("doctor"));
}

#[test]
fn doctor_names_each_problem_of_a_broken_home_with_its_fix() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "provider = \"openai\"\n[review]\nreviewer = \"code-reviewr\"\n\
         [mcp_servers.dead]\ncommand = \"/nonexistent/mcp-server\"\n",
    )
    .unwrap();
    std::fs::write(
        home.path().join("gearshift.db"),
        "not a database ".repeat(300),
    )
    .unwrap();
    // A skill as obra/superpowers writes them, its front matter broken.
    let skill = home.path().join("skills/brainstorming");
    std::fs::create_dir_all(&skill).unwrap();
    std::fs::write(
        skill.join("SKILL.md"),
        "---\nname: brainstorming\ndescription: [unclosed\n---\nAsk one question at a time.\n",
    )
    .unwrap();
    // An agent written for Claude Code that asks to skip every permission.
    let agents = home.path().join("agents");
    std::fs::create_dir_all(&agents).unwrap();
    std::fs::write(
        agents.join("yolo.md"),
        "---\nname: yolo\ndescription: Ships\npermissionMode: bypassPermissions\n---\nShip.\n",
    )
    .unwrap();
    let out = gearshift(home.path(), ws.path(), &["doctor"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for (mark, problem, fix) in [
        ('✗', "OPENAI_API_KEY is not set", "export OPENAI_API_KEY="),
        ('✗', "dead:", "enabled = false"),
        ('✗', "not a readable database", "mv "),
        ('!', "not loaded:", "correct the file"),
        ('!', "yolo: `permissionMode` is not honoured", "edit "),
        (
            '!',
            "[review] reviewer names `code-reviewr`, which is not an agent",
            "`gearshift agents` lists",
        ),
    ] {
        let at = text
            .lines()
            .position(|l| l.starts_with(mark) && l.contains(problem))
            .unwrap_or_else(|| panic!("{problem} not named: {text}"));
        let next = text.lines().nth(at + 1).unwrap_or_default();
        assert!(
            next.contains('→') && next.contains(fix),
            "{problem}: {next}"
        );
    }

    // A config that does not parse is named at its line; the rest is still looked at.
    std::fs::write(home.path().join("config.toml"), "provider = \"openai\n").unwrap();
    let out = gearshift(home.path(), ws.path(), &["doctor", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    let checks = report["checks"].as_array().unwrap();
    let config = checks.iter().find(|c| c["area"] == "config").unwrap();
    assert_eq!(config["level"], "broken");
    assert!(
        config["what"].as_str().unwrap().contains("config.toml:1:"),
        "{config}"
    );
    assert!(
        config["fix"]
            .as_str()
            .unwrap()
            .contains("move the file aside")
    );
    assert!(checks.iter().any(|c| c["area"] == "database"));
    assert!(checks.iter().any(|c| c["area"] == "disk"));
}

#[test]
fn doctor_passes_a_working_home_with_warnings_at_most() {
    let (home, ws) =
        support::scripted_home("[[turns]]\ntext = \"hi\"\n", "[sandbox]\nmode = \"off\"\n");
    // A session first, so the database exists and is checked.
    support::run_at_home(home.path(), ws.path(), &["exec", "hello"]);
    let out = gearshift(home.path(), ws.path(), &["doctor", "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(report["ok"], true);
    let checks = report["checks"].as_array().unwrap();
    let db = checks.iter().find(|c| c["area"] == "database").unwrap();
    assert_eq!(db["level"], "ok");
    assert!(db["what"].as_str().unwrap().contains("intact"), "{db}");
    // The sandbox being off is a warning with its fix, not a failure.
    let sandbox = checks.iter().find(|c| c["area"] == "sandbox").unwrap();
    assert_eq!(sandbox["level"], "warning");
    assert!(sandbox["fix"].is_string());
}

/// Runs `gearshift doctor`, then `stty -a`, in a pseudo-terminal that answers the doctor's
/// queries with `replies` (nothing when `None`), as an emulator would; returns everything
/// printed, the terminal's settings after the doctor last.
fn doctor_in_a_terminal_that_answers(replies: Option<&[u8]>) -> String {
    use std::time::{Duration, Instant};

    let home = tempfile::tempdir().unwrap();
    let mut cmd = portable_pty::CommandBuilder::new("sh");
    cmd.args([
        "-c",
        "\"$0\" --home \"$1\" --workspace \"$1\" doctor; echo; stty -a; echo END",
        env!("CARGO_BIN_EXE_gearshift"),
    ]);
    cmd.arg(home.path());
    cmd.env("TERM", "xterm-256color");
    let mut app = support::PtyApp::start(cmd, 120, 40);
    let said = |app: &support::PtyApp| String::from_utf8_lossy(&app.raw).into_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    let wait_for = |app: &mut support::PtyApp, what: &str| {
        while !said(app).contains(what) {
            assert!(Instant::now() < deadline, "no {what:?} in: {}", said(app));
            std::thread::sleep(Duration::from_millis(20));
            app.drain();
        }
    };
    // The doctor's queries, then what the shell prints after it.
    wait_for(&mut app, "\x1b[?2026$p\x1b[?u\x1b[c");
    if let Some(replies) = replies {
        app.send_now(replies);
    }
    wait_for(&mut app, "END");
    app.wait_exit();
    said(&app)
}

/// The terminal is back in its ordinary (cooked, echoing) mode.
fn assert_restored(said: &str) {
    // `stty -a` starts "speed 38400 baud; …" and lists each flag, `-` before one that is off.
    let settings = said.rsplit("speed ").next().unwrap_or(said);
    let flags: Vec<&str> = settings.split_whitespace().collect();
    for flag in ["icanon", "echo", "isig"] {
        assert!(flags.contains(&flag), "{flag} not restored: {settings}");
    }
}

#[test]
fn doctor_asks_the_terminal_what_it_supports_rather_than_guessing_from_its_name() {
    // kitty's answers: mode 2026 known (reset), keyboard flags, device attributes.
    let said = doctor_in_a_terminal_that_answers(Some(b"\x1b[?2026;2$y\x1b[?1u\x1b[?62;22c"));
    assert!(
        said.contains("synchronized output: frames are drawn whole"),
        "{said}"
    );
    assert!(
        said.contains("keyboard protocol: the terminal has it"),
        "{said}"
    );
    assert_restored(&said);
    // An older terminal (TERM says xterm-256color either way): only the attributes.
    let said = doctor_in_a_terminal_that_answers(Some(b"\x1b[?1;2c"));
    assert!(said.contains("has no synchronized output"), "{said}");
    assert!(said.contains("mode 2026 draws whole frames"), "{said}");
    assert!(
        said.contains("no keyboard protocol (gearshift does not need it)"),
        "{said}"
    );
    assert_restored(&said);
    // A terminal that says nothing: the doctor waits a second, says so, and goes on.
    let said = doctor_in_a_terminal_that_answers(None);
    assert!(
        said.contains("did not answer a device-attributes request"),
        "{said}"
    );
    assert!(
        said.contains("database"),
        "the other checks still ran: {said}"
    );
    assert_restored(&said);
}
