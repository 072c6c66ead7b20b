//! The cost of the command sandbox and of holding a command's writes for the gate, through the
//! real helper (the release binary): a sandboxed `true` with the old layers and with every
//! layer of round three; one command in a 10,000-file repository with its writes held in an
//! overlay, and without; gathering a change set of 1,000 files one command wrote; a
//! `cargo build` of a small crate directly and through the sandbox; and the redaction of
//! 100 KB of output. Run: `cargo bench --bench sandbox`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gearshift::config::SandboxMode;
use gearshift::tools::writes::{Hold, gather};
use gearshift::tools::{CommandRunner, Io, Secrets, Workspace, Writes};
use gearshift_sandbox::{Policy, Sandbox};

const RUNS: usize = 30;

fn helper() -> PathBuf {
    env!("CARGO_BIN_EXE_gearshift").into()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Milliseconds to run `true` through the helper with `policy`, median of [`RUNS`].
fn sandboxed_true(policy: &Policy, cwd: &Path) -> f64 {
    let json = serde_json::to_string(policy).unwrap();
    let times = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            let status = std::process::Command::new(helper())
                .args(["__sandbox", &json, "true"])
                .current_dir(cwd)
                .stdin(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(status.success());
            ms(t.elapsed())
        })
        .collect();
    median(times)
}

fn repo(files: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    for i in 0..files {
        let p = dir.path().join(format!("src/m{}/f{i}.rs", i % 100));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, format!("pub fn f{i}() -> u32 {{ {i} }}\n")).unwrap();
    }
    std::fs::write(dir.path().join(".gitignore"), "target/\n").unwrap();
    std::fs::create_dir_all(dir.path().join("target/debug")).unwrap();
    dir
}

fn runner(ws: &Path) -> CommandRunner {
    CommandRunner {
        sandbox: Sandbox::for_workspace(
            SandboxMode::WorkspaceWrite,
            false,
            ws,
            &[],
            Some(helper()),
        ),
        secrets: Secrets::passthrough(std::env::vars().collect()),
    }
}

/// One command run as `run_command` runs it: writes held (or not), then gathered.
async fn command(ws: &Workspace, runner: &CommandRunner, line: &str, held: bool) -> Duration {
    let t = Instant::now();
    let hold = if held {
        Some(Hold::prepare(ws, &runner.sandbox).unwrap())
    } else {
        None
    };
    let io = Io {
        overlay: hold.as_ref().and_then(|h| h.overlay(ws)),
        ..Io::default()
    };
    let out = runner
        .run_io(line, ws.root(), Duration::from_secs(120), 16 * 1024, io)
        .await
        .unwrap();
    assert_eq!(out.exit_code, Some(0), "{}", out.output);
    if let Some(hold) = hold {
        let got = gather(ws, hold, Writes::Propose, &Secrets::default());
        assert!(got.refused.is_empty(), "{:?}", got.refused);
    }
    t.elapsed()
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let sb = Sandbox::for_workspace(
        SandboxMode::WorkspaceWrite,
        false,
        ws.path(),
        &[],
        Some(helper()),
    );
    assert!(sb.probe().enforced(), "the sandbox is not in force here");
    let full = sb
        .denying(
            &gearshift::config::SandboxConfig::default()
                .denied(std::env::var_os("HOME").map(PathBuf::from).as_deref()),
        )
        .policy;
    // Round two's layers: namespaces, read-only .git, Landlock, the network filter.
    let old = Policy {
        private: Vec::new(),
        deny_read: Vec::new(),
        ..full.clone()
    };
    println!(
        "sandboxed `true`, median of {RUNS}: round two's layers {:.1} ms; every layer of round \
         three (private /tmp and /dev/shm, {} paths unreadable, no terminal, no sockets) {:.1} ms",
        sandboxed_true(&old, ws.path()),
        full.deny_read.len(),
        sandboxed_true(&full, ws.path()),
    );

    // One command in a 10,000-file repository, its writes held in an overlay or not.
    let big = repo(10_000);
    let bws = Workspace::new(big.path()).unwrap();
    let r = runner(big.path());
    let (mut plain, mut held) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        plain.push(ms(rt.block_on(command(&bws, &r, "true", false))));
        held.push(ms(rt.block_on(command(&bws, &r, "true", true))));
    }
    let (plain, held) = (median(plain), median(held));
    println!(
        "a command in a 10,000-file repository, median of {RUNS}: {plain:.1} ms; with its writes \
         held in an overlay and gathered {held:.1} ms (+{:.1} ms)",
        held - plain
    );

    // A change set of 1,000 files written by one command: the gathering alone.
    let mut gathering = Vec::new();
    for _ in 0..5 {
        let hold = Hold::prepare(&bws, &r.sandbox).unwrap();
        let io = Io {
            overlay: hold.overlay(&bws),
            ..Io::default()
        };
        let out = rt
            .block_on(r.run_io(
                "for i in $(seq 1000); do echo $i > src/m1/new$i.rs; done",
                big.path(),
                Duration::from_secs(120),
                1024,
                io,
            ))
            .unwrap();
        assert_eq!(out.exit_code, Some(0));
        let t = Instant::now();
        let got = gather(&bws, hold, Writes::Propose, &Secrets::default());
        gathering.push(ms(t.elapsed()));
        assert_eq!(got.writes.len(), 1000);
    }
    println!(
        "gathering the change set of 1,000 files one command wrote (read, gated, diffed), median \
         of 5: {:.1} ms",
        median(gathering)
    );

    // `cargo build` of a small crate: directly, and through the sandbox with its writes held
    // (target/ exists after the first build, so it is mounted through).
    let krate = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    std::fs::write(
        krate.path().join("Cargo.toml"),
        "[package]\nname = \"bench-crate\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::create_dir(krate.path().join("src")).unwrap();
    let body: String = (0..400)
        .map(|i| format!("pub fn f{i}(x: u64) -> u64 {{ x.wrapping_mul({i}) ^ (x >> 3) }}\n"))
        .collect();
    std::fs::write(krate.path().join("src/lib.rs"), &body).unwrap();
    std::fs::write(krate.path().join(".gitignore"), "target/\n").unwrap();
    let kws = Workspace::new(krate.path()).unwrap();
    let kr = runner(krate.path());
    let build = format!(
        "CARGO_HOME={}/.cargo-home CARGO_TARGET_DIR=target cargo build --offline -q",
        krate.path().display()
    );
    std::fs::write(krate.path().join(".gitignore"), "target/\n.cargo-home/\n").unwrap();
    let rebuild = |held: bool| {
        let _ = std::fs::remove_dir_all(krate.path().join("target/debug/.fingerprint"));
        std::fs::write(
            krate.path().join("src/lib.rs"),
            format!("{body}// {held}\n"),
        )
        .unwrap();
        ms(rt.block_on(command(&kws, &kr, &build, held)))
    };
    rebuild(false);
    let direct: Vec<f64> = (0..5).map(|_| rebuild(false)).collect();
    let through: Vec<f64> = (0..5).map(|_| rebuild(true)).collect();
    println!(
        "cargo build of a 400-function crate, median of 5: in the sandbox without an overlay \
         {:.0} ms; with its writes held (target/ mounted through) {:.0} ms",
        median(direct),
        median(through)
    );

    // Redaction of 100 KB of command output, five keys, with and without a key in it.
    let env: std::collections::BTreeMap<String, String> = (0..5)
        .map(|i| {
            (
                format!("KEY{i}_API_KEY"),
                format!("sk-live-{i}Zq3Xk9Lm2Pw7Rt5Vb8Nc1Hd4Jf6Gs0Ay"),
            )
        })
        .collect();
    let secrets = gearshift::config::from_layers(&[])
        .unwrap()
        .command_secrets(&env);
    let clean: String = (0..2000)
        .map(|i| format!("line {i}: compiling module_{i} ... ok\n"))
        .collect::<String>()
        .chars()
        .take(100 * 1024)
        .collect();
    let dirty = format!(
        "{}sk-live-3Zq3Xk9Lm2Pw7Rt5Vb8Nc1Hd4Jf6Gs0Ay",
        &clean[..clean.len() - 50]
    );
    for (what, text) in [("no key", &clean), ("a key", &dirty)] {
        let times: Vec<f64> = (0..200)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(secrets.redact(text));
                ms(t.elapsed())
            })
            .collect();
        println!(
            "redacting 100 KB of output ({what}; 5 keys in every encoding), median of 200: {:.3} ms",
            median(times)
        );
    }
}
