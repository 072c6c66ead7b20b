//! The command sandbox, round three (issue "Sandbox, round three"): what a sandboxed command
//! tried beside writing files — typing into gearshift's terminal, reaching daemons over Unix
//! sockets, reading the user's credential stores, leaving files in the shared temporary folders
//! — each refused through the real helper. `.ci/run` makes these fail rather than skip.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use gearshift::config::SandboxMode;
use gearshift_sandbox::Sandbox;
use support::sandbox_or_skip;

fn helper() -> PathBuf {
    env!("CARGO_BIN_EXE_gearshift").into()
}

use support::outside_tmp;

/// Runs `command` through the helper with `sandbox`'s policy, in `cwd`; its output.
fn run(sandbox: &Sandbox, cwd: &Path, command: &str) -> (Option<i32>, String) {
    let (program, args) = sandbox.argv(command);
    let out = std::process::Command::new(program)
        .args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

fn sandbox(ws: &Path) -> Sandbox {
    Sandbox::for_workspace(SandboxMode::WorkspaceWrite, false, ws, &[], Some(helper()))
}

// 1. Keystrokes into gearshift's terminal: the command has no controlling terminal, and
//    TIOCSTI / TIOCLINUX are refused whatever the kernel's setting.

const INJECT: &str = r#"python3 -c '
import fcntl, os, termios
done = []
try:
    fd = os.open("/dev/tty", os.O_RDWR)
    fcntl.ioctl(fd, termios.TIOCSTI, b"y")
    done.append("tty")
except OSError as e:
    print("tty:", e.strerror)
for fd in (0, 1, 2):
    try:
        fcntl.ioctl(fd, termios.TIOCSTI, b"y")
        done.append(str(fd))
    except OSError as e:
        print(fd, e.strerror)
print("INJECTED" if done else "refused", *done)
'"#;

/// Runs `argv` as the session leader of a new pseudo-terminal (its controlling terminal, its
/// stdin and stdout), as gearshift runs in the user's terminal; returns what it printed.
fn in_a_terminal(argv: &[String]) -> String {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(&argv[0]);
    cmd.args(&argv[1..]);
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
            let _ = tx.send(String::from_utf8_lossy(&all).into_owned());
        }
    });
    let _ = child.wait();
    let mut last = String::new();
    while let Ok(s) = rx.recv_timeout(Duration::from_millis(500)) {
        last = s;
        if last.contains("INJECTED") || last.contains("refused") {
            break;
        }
    }
    last
}

#[test]
fn a_sandboxed_command_cannot_type_into_gearshifts_terminal() {
    if !sandbox_or_skip("a_sandboxed_command_cannot_type_into_gearshifts_terminal") {
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let sb = sandbox(ws.path());
    let (program, args) = sb.argv(INJECT);
    let mut argv = vec![program.display().to_string()];
    argv.extend(args);
    let inside = in_a_terminal(&argv);
    assert!(inside.contains("refused"), "{inside}");
    assert!(!inside.contains("INJECTED"), "{inside}");
    assert!(
        inside.contains("tty: No such device or address"),
        "{inside}"
    );
    // Where the kernel still allows TIOCSTI, the same script types into its terminal unconfined:
    // what the sandbox refuses is real here.
    let legacy =
        std::fs::read_to_string("/proc/sys/dev/tty/legacy_tiocsti").is_ok_and(|v| v.trim() == "1");
    if legacy {
        let outside = in_a_terminal(&["sh".to_string(), "-c".to_string(), INJECT.to_string()]);
        assert!(outside.contains("INJECTED"), "{outside}");
    }
}

// 2. Local sockets: with the network off no Unix socket reaches a daemon outside; a socket the
//    user names is reachable, and the folders daemons listen in stay hidden but for it.

fn connect(path: &Path) -> String {
    format!(
        "python3 -c 'import socket; s = socket.socket(socket.AF_UNIX); s.connect(\"{}\"); s.sendall(b\"hello\"); print(\"connected\")'",
        path.display()
    )
}

#[test]
fn unix_sockets_reach_only_what_the_user_names() {
    if !sandbox_or_skip("unix_sockets_reach_only_what_the_user_names") {
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let run_dir = outside_tmp();
    let docker = run_dir.path().join("docker.sock");
    let bus = run_dir.path().join("bus");
    let listeners: Vec<_> = [&docker, &bus]
        .into_iter()
        .map(|p| std::os::unix::net::UnixListener::bind(p).unwrap())
        .collect();
    for l in &listeners {
        l.set_nonblocking(true).unwrap();
    }
    // Unconfined, both answer: what the sandbox refuses is real.
    let (_, text) = run(&Sandbox::off(), ws.path(), &connect(&bus));
    assert!(text.contains("connected"), "{text}");
    let _ = listeners[1].accept().unwrap();

    let (code, text) = run(&sandbox(ws.path()), ws.path(), &connect(&docker));
    assert_ne!(code, Some(0), "{text}");
    assert!(text.contains("Operation not permitted"), "{text}");
    assert!(listeners[0].accept().is_err(), "the daemon heard nothing");

    let named = sandbox(ws.path())
        .with_unix_sockets(vec![docker.clone()], vec![run_dir.path().to_path_buf()]);
    let (code, text) = run(&named, ws.path(), &connect(&docker));
    assert_eq!(code, Some(0), "{text}");
    let (mut conn, _) = listeners[0].accept().unwrap();
    conn.set_nonblocking(false).unwrap();
    let mut got = String::new();
    conn.read_to_string(&mut got).unwrap();
    assert_eq!(got, "hello");
    let (code, text) = run(&named, ws.path(), &connect(&bus));
    assert_ne!(code, Some(0), "{text}");
    assert!(text.contains("No such file"), "the bus is hidden: {text}");
    // socketpair stays: it reaches nothing outside.
    let (code, text) = run(
        &sandbox(ws.path()),
        ws.path(),
        "python3 -c 'import socket; a, b = socket.socketpair(); a.sendall(b\"x\"); print(b.recv(1))'",
    );
    assert_eq!(code, Some(0), "{text}");
    // But not a datagram pair, whose `sendto` reaches any datagram socket by its path.
    let log = run_dir.path().join("log");
    let listener = std::os::unix::net::UnixDatagram::bind(&log).unwrap();
    listener.set_nonblocking(true).unwrap();
    let send = format!(
        "python3 -c 'import socket; a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM); a.sendto(b\"forged\", \"{}\"); print(\"sent\")'",
        log.display()
    );
    let (_, text) = run(&Sandbox::off(), ws.path(), &send);
    assert!(
        text.contains("sent"),
        "unconfined it reaches the socket: {text}"
    );
    let mut buf = [0u8; 16];
    assert!(listener.recv(&mut buf).is_ok());
    let (code, text) = run(&sandbox(ws.path()), ws.path(), &send);
    assert_ne!(code, Some(0), "{text}");
    assert!(listener.recv(&mut buf).is_err(), "nothing arrived: {text}");
}

// 3. Secrets at rest: the usual credential stores read as nothing, through the real binary.

#[test]
fn a_command_reads_none_of_the_users_credential_stores() {
    if !sandbox_or_skip("a_command_reads_none_of_the_users_credential_stores") {
        return;
    }
    let home = outside_tmp();
    let files = [
        ".ssh/id_rsa",
        ".aws/credentials",
        ".netrc",
        ".config/gh/hosts.yml",
        ".docker/config.json",
        ".kube/config",
        ".npmrc",
        ".git-credentials",
    ];
    for (i, f) in files.iter().enumerate() {
        let p = home.path().join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, format!("SECRET-{i}-material\n")).unwrap();
    }
    std::fs::write(home.path().join("notes.txt"), "not a secret\n").unwrap();
    let cat: Vec<String> = files.iter().map(|f| format!("cat ~/{f};")).collect();
    let command = format!("{} cat ~/notes.txt; ls -a ~/.ssh", cat.join(" "));
    let script = format!(
        "[[turns]]\ntool_calls = [{{ name = \"run_command\", arguments = {{ command = {command:?} }} }}]\n\n[[turns]]\ntext = \"ok\"\n"
    );
    let (gs_home, ws) = support::scripted_home(&script, "");
    let out = support::command(
        gs_home.path(),
        ws.path(),
        &["exec", "--approve-commands", "go"],
    )
    .env("HOME", home.path())
    .output()
    .unwrap();
    let (_, events) = support::newest_session(&gs_home.path().join("gearshift.db"));
    let result = support::session::first_result(&events)
        .unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert!(!result.contains("SECRET"), "{result}");
    assert!(
        result.contains("not a secret"),
        "the rest of home stays readable: {result}"
    );
}

// 7. `/tmp` and `/dev/shm` are the command's own: nothing it leaves there survives it, and it
//    sees nothing of others'.

#[test]
fn the_temporary_folders_are_private_to_each_command() {
    if !sandbox_or_skip("the_temporary_folders_are_private_to_each_command") {
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let mark = format!("gearshift-test-{}", std::process::id());
    let theirs = std::env::temp_dir().join(format!("{mark}-theirs"));
    std::fs::write(&theirs, "someone else's\n").unwrap();
    let (code, text) = run(
        &sandbox(ws.path()),
        ws.path(),
        &format!(
            "echo x > /tmp/{mark}; echo y > /dev/shm/{mark}; cat /tmp/{mark} /dev/shm/{mark}; \
             cat {} || echo hidden; echo ok > result.txt",
            theirs.display()
        ),
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("x\ny\n") && text.contains("hidden"), "{text}");
    assert!(!Path::new("/tmp").join(&mark).exists());
    assert!(!Path::new("/dev/shm").join(&mark).exists());
    std::fs::remove_file(theirs).unwrap();
}

/// gearshift started from a folder the sandbox hides (under the private `/tmp`: a project
/// cloned there, as CI does) still probes and runs its commands in force.
#[test]
fn the_sandbox_holds_when_gearshift_runs_from_a_hidden_folder() {
    if !sandbox_or_skip("the_sandbox_holds_when_gearshift_runs_from_a_hidden_folder") {
        return;
    }
    let started_in = tempfile::tempdir().unwrap();
    assert!(started_in.path().starts_with(std::env::temp_dir()));
    let (home, ws) = support::scripted_home(
        "[[turns]]\ntool_calls = [{ name = \"run_command\", arguments = { command = \"echo in-force\" } }]\n\n[[turns]]\ntext = \"done\"\n",
        "",
    );
    let out = support::command(
        home.path(),
        ws.path(),
        &["exec", "--json", "--approve-commands", "go"],
    )
    .current_dir(started_in.path())
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            r#""type":"sandbox_status","mode":"workspace-write","network":false,"enforced":true"#
        ),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("in-force"), "{stdout}");
}

// Round three's review: no System V IPC of the user's, no terminal of theirs by path, and a
// credential store linked in from elsewhere is hidden where it really is.

#[test]
fn a_command_sees_no_ipc_object_and_no_terminal_of_the_users() {
    if !sandbox_or_skip("a_command_sees_no_ipc_object_and_no_terminal_of_the_users") {
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let made = std::process::Command::new("ipcmk")
        .args(["-M", "4096"])
        .output();
    let Some(made) = made.ok().filter(|o| o.status.success()) else {
        support::skip(
            "a_command_sees_no_ipc_object",
            "ipcmk (util-linux) is missing",
        );
        return;
    };
    let id: String = String::from_utf8_lossy(&made.stdout)
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let outside = std::process::Command::new("ipcs")
        .arg("-m")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&outside.stdout).contains(&id));
    let (code, text) = run(
        &sandbox(ws.path()),
        ws.path(),
        "ipcs -m; ls /dev/pts; ipcmk -M 4096 >/dev/null && echo made",
    );
    let _ = std::process::Command::new("ipcrm")
        .args(["-m", &id])
        .status();
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains(&id), "the user's segment is visible: {text}");
    assert!(
        text.contains("made"),
        "the command still has IPC of its own: {text}"
    );
    let terminals: Vec<&str> = text
        .lines()
        .filter(|l| l.chars().all(|c| c.is_ascii_digit()) && !l.is_empty())
        .collect();
    assert!(
        terminals.is_empty(),
        "terminals of the user's are listed: {text}"
    );
    assert!(text.contains("ptmx"), "{text}");
    // Nothing it made outlives it.
    let after = std::process::Command::new("ipcs")
        .arg("-m")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&after.stdout)
            .matches("4096")
            .count(),
        String::from_utf8_lossy(&outside.stdout)
            .matches("4096")
            .count()
            - 1,
    );
}

#[test]
fn a_credential_store_linked_in_from_elsewhere_is_hidden_too() {
    if !sandbox_or_skip("a_credential_store_linked_in_from_elsewhere_is_hidden_too") {
        return;
    }
    let home = outside_tmp();
    std::fs::create_dir_all(home.path().join("dotfiles/aws")).unwrap();
    std::fs::write(home.path().join("dotfiles/aws/credentials"), "SECRET-aws\n").unwrap();
    std::os::unix::fs::symlink("dotfiles/aws", home.path().join(".aws")).unwrap();
    std::fs::write(home.path().join(".netrc"), "SECRET-netrc\n").unwrap();
    let ws = tempfile::tempdir().unwrap();
    let denied = gearshift::config::SandboxConfig::default().denied(Some(home.path()));
    let sb = sandbox(ws.path()).denying(&denied);
    let h = home.path().display();
    let (code, text) = run(
        &sb,
        ws.path(),
        &format!("cat {h}/.aws/credentials {h}/dotfiles/aws/credentials {h}/.netrc; echo end"),
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("SECRET"), "{text}");
    assert!(text.contains("end"));
}
