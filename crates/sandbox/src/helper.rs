//! The sandbox helper and its PID 1 (Linux). See the parent module for the order of layers.
//!
//! Both run as fresh processes of the gearshift binary, single-threaded, before anything else:
//! `unshare(CLONE_NEWUSER)` requires that, and it keeps this free of `unsafe` (no `pre_exec`
//! hooks in a multi-threaded parent). Failing to apply a layer is reported, never ignored: the
//! probe says which, and a real run refuses to start the command without Landlock (or without
//! the network filter when the network is off) — fail closed.

use std::ffi::OsString;
use std::process::ExitCode;

use nix::sys::signal::{SigSet, Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use crate::{INIT_ARG, Policy, Probe, SandboxMode, filter, mounts};

/// Exit code when the sandbox could not be set up and the command was not run.
const EXIT_SANDBOX_FAILED: u8 = 126;
/// How PID 1 is told it runs in a PID namespace of its own (`kill(-1)` then reaches only the
/// command's processes) or beside gearshift's (it must never).
const IN_NAMESPACE: &str = "ns";
const PLAIN: &str = "plain";

fn fail(message: &str) -> ExitCode {
    eprintln!("gearshift sandbox: {message}; the command was not run");
    ExitCode::from(EXIT_SANDBOX_FAILED)
}

/// `gearshift __sandbox POLICY COMMAND`.
pub fn helper_main(args: &[OsString]) -> ExitCode {
    // Die with gearshift: a killed gearshift must not leave a command running.
    let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL);
    // Orphans of the command (`setsid`, double forks) become our children, to be swept.
    let _ = nix::sys::prctl::set_child_subreaper(true);
    let (Some(policy), Some(command)) = (args.first().and_then(|a| a.to_str()), args.get(1)) else {
        return fail("usage: __sandbox POLICY COMMAND");
    };
    let policy: Policy = match serde_json::from_str(policy) {
        Ok(p) => p,
        Err(e) => return fail(&format!("bad policy: {e}")),
    };
    // Signals are waited for, not handled: block them before any child inherits a mask
    // (std resets the mask in the children it spawns).
    let waited = supervised_signals();
    let _ = waited.thread_block();

    let confine = policy.mode != SandboxMode::Off;
    let entered = if confine {
        mounts::enter(&policy)
    } else if policy.contain {
        mounts::contain()
    } else {
        Err("the sandbox is off".into())
    };
    let (namespaces, overlay) = match entered {
        Ok(e) => (Ok(()), e.overlay),
        Err(e) if policy.overlay.is_some() => (Err(e.clone()), Err(e)),
        Err(e) => (Err(e), Ok(())),
    };
    let (landlock, landlock_abi) = if confine {
        match filter::restrict_files(&policy) {
            Ok((full, abi)) => (Ok(full), abi),
            Err(e) => (Err(e), None),
        }
    } else {
        (Ok(false), None)
    };
    let network = if confine {
        filter::seccomp(&policy)
    } else {
        Ok(())
    };
    if policy.probe {
        let probe = Probe {
            namespaces,
            landlock,
            landlock_abi,
            network,
            overlay,
        };
        println!("{}", serde_json::to_string(&probe).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    if confine {
        if let Err(e) = landlock {
            return fail(&format!("Landlock could not be applied ({e})"));
        }
        if let Err(e) = network {
            return fail(&format!("the seccomp filter could not be applied ({e})"));
        }
        if policy.overlay.is_some()
            && let Err(e) = &namespaces
        {
            // The command's writes were to be held for review: never run it on the disk.
            return fail(e);
        }
    }
    // PID 1 leaves gearshift's session (no terminal to type into) and runs the command.
    // By the kernel's link: the binary's own folder may be hidden by now (a private `/tmp`).
    let me = std::path::PathBuf::from("/proc/self/exe");
    if namespaces.is_ok() {
        // The first child in the new PID namespace is its init; when it ends, the kernel
        // ends everything else in the namespace.
        let child = match std::process::Command::new(me)
            .arg(INIT_ARG)
            .arg(IN_NAMESPACE)
            .arg(command)
            .spawn()
        {
            Ok(c) => c,
            Err(e) => return fail(&format!("cannot start the sandbox's first process: {e}")),
        };
        let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
        let status = supervise(&waited, pid, |sig| {
            let _ = kill(pid, sig);
        });
        return exit_code(status);
    }
    // No namespaces (the sandbox is off, or the kernel refuses them): the command runs under
    // a first process of its own session, and what it leaves reparents to us and is swept.
    let child = match std::process::Command::new(me)
        .arg(INIT_ARG)
        .arg(PLAIN)
        .arg(command)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return fail(&format!("cannot start the command's first process: {e}")),
    };
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    let status = supervise(&waited, pid, |sig| {
        let _ = kill(pid, sig);
    });
    sweep();
    exit_code(status)
}

/// Kills every child this process has — the command's orphans, reparented to us as a
/// subreaper — and their children in turn, until none is left.
fn sweep() {
    let me = nix::unistd::getpid();
    for _ in 0..100 {
        let children = children_of(me);
        if children.is_empty() {
            return;
        }
        for child in children {
            let _ = kill(child, Signal::SIGKILL);
        }
        // Reap them; their own children reparent to us and are found next time round.
        std::thread::sleep(std::time::Duration::from_millis(5));
        while let Ok(status) = waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            if status == WaitStatus::StillAlive {
                break;
            }
        }
    }
}

/// The processes whose parent is `parent`, from `/proc/PID/stat`.
fn children_of(parent: Pid) -> Vec<Pid> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| {
            // `pid (comm) state ppid …`; comm may hold spaces and parentheses, so read after
            // the last `)`.
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let rest = &stat[stat.rfind(')')? + 1..];
                    rest.split_whitespace().nth(1)?.parse::<i32>().ok()
                })
                == Some(parent.as_raw())
        })
        .map(Pid::from_raw)
        .collect()
}

/// `gearshift __sandbox-init ns|plain COMMAND`: the command's first process. It starts a
/// session of its own — so the command has no controlling terminal to read, type into or
/// signal — and runs `sh -c COMMAND`. As PID 1 of the command's namespace (`ns`) it also
/// passes signals to, and at the end kills, everything in that namespace.
pub fn init_main(args: &[OsString]) -> ExitCode {
    let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL);
    let (Some(mode), Some(command)) = (args.first().and_then(|a| a.to_str()), args.get(1)) else {
        return ExitCode::from(EXIT_SANDBOX_FAILED);
    };
    let in_namespace = mode == IN_NAMESPACE;
    if let Err(e) = nix::unistd::setsid() {
        eprintln!(
            "gearshift sandbox: cannot leave the terminal's session ({e}); the command was not run"
        );
        return ExitCode::from(EXIT_SANDBOX_FAILED);
    }
    let waited = supervised_signals();
    let _ = waited.thread_block();
    let child = match std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gearshift sandbox: cannot run sh: {e}");
            return ExitCode::from(EXIT_SANDBOX_FAILED);
        }
    };
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    if !in_namespace {
        // Beside gearshift's processes: the signal goes to the shell; what it leaves is swept
        // by the helper.
        let status = supervise(&waited, pid, |sig| {
            let _ = kill(pid, sig);
        });
        return exit_code(status);
    }
    // A signal for the command goes to everything in the namespace: `kill(-1)` from PID 1.
    let status = supervise(&waited, pid, |sig| {
        let _ = kill(Pid::from_raw(-1), sig);
    });
    // The command is over: whatever it left behind (setsid, double forks) ends with it.
    let _ = kill(Pid::from_raw(-1), Signal::SIGKILL);
    while waitpid(Pid::from_raw(-1), None).is_ok() {}
    exit_code(status)
}

fn supervised_signals() -> SigSet {
    let mut set = SigSet::empty();
    for s in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGALRM,
        Signal::SIGCHLD,
    ] {
        set.add(s);
    }
    set
}

/// Waits for `child`, reaping every other child on the way (PID 1's duty) and passing the
/// termination signals on through `forward`; a second signal, or one second after the first,
/// becomes SIGKILL. Returns how `child` ended.
fn supervise(waited: &SigSet, child: Pid, forward: impl Fn(Signal)) -> WaitStatus {
    let mut asked = false;
    loop {
        // Reap first: the child may have ended before the signals were blocked.
        loop {
            match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(_) => break,
                Ok(status) if status.pid() == Some(child) => {
                    if matches!(status, WaitStatus::Exited(..) | WaitStatus::Signaled(..)) {
                        return status;
                    }
                }
                Ok(_) => {}
            }
        }
        match waited.wait() {
            Ok(Signal::SIGCHLD) | Err(_) => {}
            Ok(sig) if !asked => {
                asked = true;
                forward(sig);
                // The grace period: a command that ignores the signal is killed. The timer is
                // a thread (this process is single-threaded up to here).
                std::thread::spawn(move || {
                    std::thread::sleep(std::time::Duration::from_secs(1));
                    let _ = kill(nix::unistd::getpid(), Signal::SIGALRM);
                });
            }
            Ok(_) => forward(Signal::SIGKILL),
        }
    }
}

fn exit_code(status: WaitStatus) -> ExitCode {
    match status {
        WaitStatus::Exited(_, code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        WaitStatus::Signaled(_, sig, _) => {
            ExitCode::from(128u8.saturating_add(u8::try_from(sig as i32).unwrap_or(0)))
        }
        _ => ExitCode::FAILURE,
    }
}
