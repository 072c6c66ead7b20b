//! Test support: run the real `gearshift` binary in a pseudo-terminal and read its screen
//! through a vt100 parser.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

pub mod cache;
pub mod faults;
pub mod model;
pub mod otlp;
pub mod responses;
pub mod session;
pub mod wire;

/// A scripted model taking a one-line request ("add a greeting") through every stage of the
/// built-in engineering pipeline to a commit, with `[pipeline] test_command = "sh test.sh"` and
/// the project of [`greeting_project`]: the test fails first, then passes.
pub const PIPELINE_TO_COMMIT: &str = r##"
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "docs/gearshift/requirements.md", content = "# Requirements\n\nWHEN the project is tested THE SYSTEM SHALL find greeting.txt saying hello.\n" } }]

[[turns]]
text = "Requirements written."

[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "docs/gearshift/design.md", content = "# Design\n\nOne file, greeting.txt.\n" } }]

[[turns]]
text = "Design written."

[[turns]]
tool_calls = [{ name = "propose_plan", arguments = { steps = [{ title = "Write greeting.txt", files = ["greeting.txt"], acceptance = "sh test.sh passes" }] } }]

[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "greeting.txt", content = "helo\n" } }]

[[turns]]
tool_calls = [{ name = "complete_step", arguments = { summary = "greeting.txt written" } }]

[[turns]]
text = "The test says the greeting is misspelt."
tool_calls = [{ name = "edit_file", arguments = { path = "greeting.txt", old_text = "helo", new_text = "hello" } }]

[[turns]]
text = "Fixed the typo."

[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "docs/gearshift/review.md", content = "# Review\n\nNo findings.\n" } }]

[[turns]]
text = "Reviewed."

[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "docs/gearshift/ship.md", content = "# Ship\n\nAdds the greeting.\n\n## Commit message\n\nAdd the greeting\n\nThe project's test now finds greeting.txt saying hello.\n" } }]

[[turns]]
text = "Ready to ship."
"##;

/// The tiny project [`PIPELINE_TO_COMMIT`] works on: a real test, committed in a git repository.
pub fn greeting_project(ws: &Path) {
    std::fs::write(
        ws.join("test.sh"),
        "grep -qx hello greeting.txt || { echo 'FAIL: expected greeting.txt to say hello'; exit 1; }\necho ok\n",
    )
    .unwrap();
    git_repo(ws);
    git(ws, &["add", "-A"]);
    git(ws, &["commit", "-q", "-m", "initial"]);
}

pub const WAIT: Duration = Duration::from_secs(20);

/// The variable `.ci/run` sets where the kernel has every sandbox feature: a test that would
/// skip for want of one fails instead, so a green CI proves the sandbox.
pub const REQUIRE_SANDBOX: &str = "GEARSHIFT_REQUIRE_SANDBOX";

/// Skips a test that needs something this machine lacks, saying why — unless
/// [`REQUIRE_SANDBOX`] is set, where it fails.
pub fn skip(test: &str, why: &str) {
    assert!(
        std::env::var_os(REQUIRE_SANDBOX).is_none(),
        "{test}: {why}, and {REQUIRE_SANDBOX} says this machine must have it"
    );
    eprintln!("{test}: skipped, {why}");
}

/// A fresh folder the sandbox leaves in sight — not under the temporary folder nor
/// `/dev/shm`, which every command gets a private copy of — for what a sandboxed command must
/// be refused for its own reason: the build's temporary folder, or (for a checkout under
/// `/tmp`, as CI may clone to) `/var/tmp` or the home folder.
#[allow(dead_code)]
pub fn outside_tmp() -> tempfile::TempDir {
    let tmp = std::env::temp_dir();
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    [
        Some(std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))),
        Some(std::path::PathBuf::from("/var/tmp")),
        home,
    ]
    .into_iter()
    .flatten()
    .filter(|p| !p.starts_with(&tmp) && !p.starts_with("/dev/shm") && p.is_dir())
    .find_map(|p| tempfile::tempdir_in(p).ok())
    .unwrap_or_else(|| panic!("no writable folder outside {} for the test", tmp.display()))
}

/// Whether the command sandbox is in force here, overlay included; says why not, for a
/// skipped test (or fails, see [`skip`]).
pub fn sandbox_or_skip(test: &str) -> bool {
    use gearshift_sandbox::{Sandbox, Status};
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::for_workspace(
        gearshift::config::SandboxMode::WorkspaceWrite,
        false,
        dir.path(),
        &[],
        Some(env!("CARGO_BIN_EXE_gearshift").into()),
    );
    match (sb.probe(), sb.overlay()) {
        (Status::Enforced, Ok(())) => true,
        (Status::Enforced, Err(why)) => {
            skip(
                test,
                &format!("commands' writes cannot be held in an overlay here: {why}"),
            );
            false
        }
        (other, _) => {
            skip(
                test,
                &format!("the kernel's sandbox is missing here: {other:?}"),
            );
            false
        }
    }
}

/// Runs git in `dir` and returns its output; a failing git fails the test with its stderr.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A git repository in `dir` with a committer set (no commit yet).
pub fn git_repo(dir: &Path) {
    git(dir, &["init", "-q"]);
    git(dir, &["config", "user.email", "dev@example.com"]);
    git(dir, &["config", "user.name", "Dev"]);
}

/// Environment variables that would change which provider gearshift uses.
pub const PROVIDER_VARS: [&str; 5] = [
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "OPENAI_BASE_URL",
    "GEARSHIFT_PROVIDER",
    "GEARSHIFT_HOME",
];

/// The newest session in `db` and its events, in order.
pub fn newest_session(
    db: &Path,
) -> (
    gearshift::store::SessionSummary,
    Vec<gearshift::protocol::Event>,
) {
    let reader = gearshift::store::Reader::open(db).unwrap();
    let session = reader.list_sessions(None, 1).unwrap().remove(0);
    let events = reader
        .events(&session.id)
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    (session, events)
}

/// A home whose config uses the scripted provider playing `script`, plus `extra_config`; and
/// an empty workspace.
pub fn scripted_home(script: &str, extra_config: &str) -> (tempfile::TempDir, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let script_path = home.path().join("script.toml");
    std::fs::write(&script_path, script).unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "provider = \"scripted\"\n[providers.scripted]\nkind = \"script\"\nmodel = \"s\"\nscript = \"{}\"\n{extra_config}",
            script_path.display()
        ),
    )
    .unwrap();
    (home, ws)
}

/// [`scripted_home`] with a two-stage pipeline `mini` (tasks, then implement, each behind a
/// human gate) in force, and no memory step.
pub fn mini_pipeline_home(script: &str) -> (tempfile::TempDir, tempfile::TempDir) {
    let (home, ws) = scripted_home(
        script,
        "[pipeline]\nname = \"mini\"\n[review]\nmemory_step = false\n",
    );
    std::fs::create_dir_all(home.path().join("pipelines")).unwrap();
    std::fs::write(
        home.path().join("pipelines/mini.toml"),
        "name = \"mini\"\n[[stages]]\nname = \"tasks\"\nskill = \"tasks\"\n\
         tools = [\"read_file\", \"propose_plan\"]\nkind = \"plan\"\ngate = \"human\"\n\
         [[stages]]\nname = \"implement\"\nskill = \"implement\"\nkind = \"run_plan\"\ngate = \"human\"\n",
    )
    .unwrap();
    (home, ws)
}

/// [`command`] with `HOME` at `home` too (so no file of this machine's `~/.claude` is read),
/// run to its end: stdout and stderr.
pub fn run_at_home(home: &Path, workspace: &Path, args: &[&str]) -> (String, String) {
    let out = command(home, workspace, args)
        .env("HOME", home)
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `gearshift --home HOME --workspace WORKSPACE ARGS`, with no provider settings inherited.
pub fn command(home: &Path, workspace: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gearshift"));
    cmd.arg("--home")
        .arg(home)
        .arg("--workspace")
        .arg(workspace)
        .args(args);
    for var in PROVIDER_VARS {
        cmd.env_remove(var);
    }
    cmd
}

pub struct PtyApp {
    pub parser: vt100::Parser,
    /// Every byte the program wrote, for checking escape sequences.
    pub raw: Vec<u8>,
    rx: Receiver<Vec<u8>>,
    writer: Box<dyn Write + Send>,
    pub child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
}

impl PtyApp {
    /// Starts `gearshift ARGS` with `--home home` in a `cols`×`rows` terminal.
    pub fn spawn(home: &Path, workspace: &Path, args: &[&str], cols: u16, rows: u16) -> PtyApp {
        PtyApp::spawn_env(home, workspace, args, cols, rows, &[])
    }

    /// Like [`PtyApp::spawn`], with extra environment variables.
    pub fn spawn_env(
        home: &Path,
        workspace: &Path,
        args: &[&str],
        cols: u16,
        rows: u16,
        env: &[(&str, &str)],
    ) -> PtyApp {
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_gearshift"));
        cmd.arg("--home");
        cmd.arg(home);
        cmd.arg("--workspace");
        cmd.arg(workspace);
        for a in args {
            cmd.arg(a);
        }
        cmd.cwd(workspace);
        cmd.env("TERM", "xterm-256color");
        for var in [
            "OPENAI_API_KEY",
            "ANTHROPIC_API_KEY",
            "GEARSHIFT_PROVIDER",
            "GEARSHIFT_HOME",
        ] {
            cmd.env_remove(var);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        PtyApp::start(cmd, cols, rows)
    }

    /// Starts any command in a `cols`×`rows` terminal (a shell around gearshift, say).
    pub fn start(cmd: CommandBuilder, cols: u16, rows: u16) -> PtyApp {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        PtyApp {
            parser: vt100::Parser::new(rows, cols, 0),
            raw: Vec::new(),
            rx,
            writer,
            child,
            master: pair.master,
        }
    }

    fn pump(&mut self, timeout: Duration) -> bool {
        match self.rx.recv_timeout(timeout) {
            Ok(bytes) => {
                self.parser.process(&bytes);
                self.raw.extend_from_slice(&bytes);
                true
            }
            Err(RecvTimeoutError::Timeout) => true,
            Err(RecvTimeoutError::Disconnected) => false,
        }
    }

    /// Resizes the terminal, as a window manager would (the program gets SIGWINCH).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        self.parser.screen_mut().set_size(rows, cols);
    }

    /// Sends bytes without pausing after them (a key storm, a paste).
    pub fn send_now(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
    }

    /// Reads what the program wrote, without waiting (keeps its output pipe from filling).
    pub fn drain(&mut self) {
        while let Ok(bytes) = self.rx.try_recv() {
            self.parser.process(&bytes);
            self.raw.extend_from_slice(&bytes);
        }
    }

    pub fn screen(&self) -> String {
        self.parser.screen().contents()
    }

    /// Waits until the screen satisfies `pred`, or panics showing the screen.
    pub fn wait_for(&mut self, what: &str, pred: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if pred(&self.screen()) {
                return;
            }
            if !self.pump(Duration::from_millis(50)) {
                break;
            }
        }
        assert!(
            pred(&self.screen()),
            "timed out waiting for {what}; screen:\n{}",
            self.screen()
        );
    }

    pub fn wait_text(&mut self, text: &str) {
        self.wait_for(text, |s| s.contains(text));
    }

    /// Sends raw bytes (keys as the terminal would encode them), then lets the program read
    /// them on their own so that, say, a lone Esc is not merged with what follows.
    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Waits for the process to exit, draining its output; returns whether it succeeded.
    pub fn wait_exit(&mut self) -> bool {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Take what the process wrote before it exited, until the pty goes quiet.
                while let Ok(bytes) = self.rx.recv_timeout(Duration::from_millis(200)) {
                    self.parser.process(&bytes);
                    self.raw.extend_from_slice(&bytes);
                }
                return status.success();
            }
            assert!(
                Instant::now() < deadline,
                "gearshift did not exit:\n{}",
                self.screen()
            );
            self.pump(Duration::from_millis(50));
        }
    }
}

impl Drop for PtyApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

pub mod keys {
    pub const SHIFT_TAB: &[u8] = b"\x1b[Z";
    pub const F1: &[u8] = b"\x1bOP";
    pub const ESC: &[u8] = b"\x1b";
    pub const ENTER: &[u8] = b"\r";
    pub const ALT_ENTER: &[u8] = b"\x1b\r";
    pub const CTRL_Q: &[u8] = b"\x11";
    pub const CTRL_C: &[u8] = b"\x03";
    pub const TAB: &[u8] = b"\t";
    pub const ALT_2: &[u8] = b"\x1b2";
    pub const ALT_3: &[u8] = b"\x1b3";
    pub const CTRL_P: &[u8] = b"\x10";
    pub const CTRL_U: &[u8] = b"\x15";
    pub const DOWN: &[u8] = b"\x1b[B";
}

/// A model server that streams scripted SSE chunks with pauses, then holds the connection open
/// — for what wiremock cannot do (stall mid-stream). Listens on 127.0.0.1 on a port the OS
/// picks; each connection's handler ends when the client hangs up or after `hold`.
pub mod stall_server {
    use std::time::{Duration, Instant};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio::sync::mpsc;

    pub struct StallServer {
        pub url: String,
        /// When each connection was closed by the client.
        pub closed: mpsc::UnboundedReceiver<Instant>,
        /// Request bodies as received.
        pub requests: mpsc::UnboundedReceiver<String>,
    }

    /// Serves `chunks` (each an SSE `data:` payload) with `gap` between them, then holds the
    /// connection for up to `hold` without sending anything.
    pub async fn start(chunks: Vec<String>, gap: Duration, hold: Duration) -> StallServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (closed_tx, closed) = mpsc::unbounded_channel();
        let (req_tx, requests) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let chunks = chunks.clone();
                let closed_tx = closed_tx.clone();
                let req_tx = req_tx.clone();
                tokio::spawn(async move {
                    let body = read_request(&mut sock).await;
                    let _ = req_tx.send(body);
                    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                                transfer-encoding: chunked\r\n\r\n";
                    if sock.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    for data in &chunks {
                        let event = format!("data: {data}\n\n");
                        let frame = format!("{:x}\r\n{event}\r\n", event.len());
                        if sock.write_all(frame.as_bytes()).await.is_err() {
                            let _ = closed_tx.send(Instant::now());
                            return;
                        }
                        sock.flush().await.ok();
                        tokio::time::sleep(gap).await;
                    }
                    // Stall: wait for the client to hang up, or give up after `hold`.
                    let mut buf = [0u8; 1024];
                    if let Ok(Ok(0)) = tokio::time::timeout(hold, sock.read(&mut buf)).await {
                        let _ = closed_tx.send(Instant::now());
                    }
                });
            }
        });
        StallServer {
            url,
            closed,
            requests,
        }
    }

    /// Reads one HTTP request (head and `content-length` body) and returns its body; empty if
    /// the connection ends first.
    pub async fn read_request(sock: &mut tokio::net::TcpStream) -> String {
        let mut data = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            let Ok(n) = sock.read(&mut buf).await else {
                return String::new();
            };
            if n == 0 {
                return String::new();
            }
            data.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&data).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text[..end]
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                if data.len() >= end + 4 + length {
                    return String::from_utf8_lossy(&data[end + 4..end + 4 + length]).to_string();
                }
            }
        }
    }
}
