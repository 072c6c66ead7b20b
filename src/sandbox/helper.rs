//! The sandbox helper and its PID 1 (Linux). See the parent module for the order of layers.
//!
//! Both run as fresh processes of the gearshift binary, single-threaded, before anything else:
//! `unshare(CLONE_NEWUSER)` requires that, and it keeps this free of `unsafe` (no `pre_exec`
//! hooks in a multi-threaded parent). Failing to apply a layer is reported, never ignored: the
//! probe says which, and a real run refuses to start the command without Landlock (or without
//! the network filter when the network is off) — fail closed.

use std::ffi::OsString;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::ExitCode;

use landlock::{
    ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, Ruleset, RulesetAttr,
    RulesetCreatedAttr, RulesetStatus, Scope, path_beneath_rules,
};
use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, unshare};
use nix::sys::signal::{SigSet, Signal, kill};
use nix::sys::statvfs::{FsFlags, statvfs};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use super::{INIT_ARG, Policy, Probe};
use crate::config::SandboxMode;

/// Exit code when the sandbox could not be set up and the command was not run.
const EXIT_SANDBOX_FAILED: u8 = 126;
/// The Landlock ABI whose rights we ask for (best effort below it; the status says what held).
const LANDLOCK_ABI: ABI = ABI::V6;

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
    let namespaces = if confine {
        enter_namespaces(&policy)
    } else {
        Err("the sandbox is off".into())
    };
    let landlock = if confine {
        restrict_files(&policy)
    } else {
        Ok(false)
    };
    let network = if !confine || policy.network {
        Ok(())
    } else {
        block_network()
    };
    if policy.probe {
        let probe = Probe {
            namespaces,
            landlock,
            network,
        };
        println!("{}", serde_json::to_string(&probe).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    if confine {
        if let Err(e) = landlock {
            return fail(&format!("Landlock could not be applied ({e})"));
        }
        if let Err(e) = network {
            return fail(&format!("the network could not be blocked ({e})"));
        }
    }
    if namespaces.is_ok() {
        // The first child in the new PID namespace is its init, which runs the command; when
        // it ends, the kernel ends everything else in the namespace.
        let Ok(me) = std::env::current_exe() else {
            return fail("cannot find the gearshift binary for the sandbox's first process");
        };
        let child = match std::process::Command::new(me)
            .arg(INIT_ARG)
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
    // No namespaces (the sandbox is off, or the kernel refuses them): run the command as our
    // child, in a process group of its own, and sweep what it leaves, which reparents to us.
    let child = match std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .process_group(0)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return fail(&format!("cannot run sh: {e}")),
    };
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    let status = supervise(&waited, pid, |sig| {
        let _ = nix::sys::signal::killpg(pid, sig);
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

/// `gearshift __sandbox-init COMMAND`: PID 1 of the command's namespace.
pub fn init_main(args: &[OsString]) -> ExitCode {
    let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL);
    let Some(command) = args.first() else {
        return ExitCode::from(EXIT_SANDBOX_FAILED);
    };
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

/// New user, mount and PID namespaces; the protected paths bind-mounted read-only.
fn enter_namespaces(policy: &Policy) -> Result<(), String> {
    let uid = nix::unistd::getuid();
    let gid = nix::unistd::getgid();
    unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWPID)
        .map_err(|e| format!("unshare: {e}"))?;
    // Keep our own ids inside, so files keep their owner and tools (git's ownership check)
    // see the user they expect.
    let _ = std::fs::write("/proc/self/setgroups", "deny");
    std::fs::write("/proc/self/uid_map", format!("{uid} {uid} 1\n"))
        .map_err(|e| format!("uid_map: {e}"))?;
    std::fs::write("/proc/self/gid_map", format!("{gid} {gid} 1\n"))
        .map_err(|e| format!("gid_map: {e}"))?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(|e| format!("making mounts private: {e}"))?;
    if policy.mode == SandboxMode::WorkspaceWrite {
        for path in &policy.protected {
            if path.symlink_metadata().is_ok() {
                read_only(path)?;
            }
        }
    }
    Ok(())
}

fn read_only(path: &Path) -> Result<(), String> {
    let what = |e: nix::Error| format!("keeping {} read-only: {e}", path.display());
    mount(
        Some(path),
        path,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(what)?;
    // A remount inside a user namespace must keep the flags the mount was locked with.
    let mut flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
    if let Ok(st) = statvfs(path) {
        let f = st.flags();
        for (fs, ms) in [
            (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
            (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
            (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
            (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
            (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
            (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
        ] {
            if f.contains(fs) {
                flags |= ms;
            }
        }
    }
    mount(None::<&str>, path, None::<&str>, flags, None::<&str>).map_err(what)
}

/// Landlock: read everywhere; write where the mode allows; no TCP and no reach outside
/// (abstract sockets, signals) unless the network is on. `Ok(true)` when fully enforced.
fn restrict_files(policy: &Policy) -> Result<bool, String> {
    let abi = LANDLOCK_ABI;
    let err = |e: landlock::RulesetError| e.to_string();
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(abi))
        .map_err(err)?;
    if !policy.network {
        ruleset = ruleset
            .handle_access(AccessNet::from_all(abi))
            .map_err(err)?
            .scope(Scope::from_all(abi))
            .map_err(err)?;
    } else {
        ruleset = ruleset.scope(Scope::Signal).map_err(err)?;
    }
    let mut created = ruleset
        .create()
        .map_err(err)?
        .add_rules(path_beneath_rules(["/"], AccessFs::from_read(abi)))
        .map_err(err)?
        .add_rules(path_beneath_rules(
            ["/dev"],
            AccessFs::from_read(abi) | AccessFs::IoctlDev,
        ))
        .map_err(err)?
        .add_rules(path_beneath_rules(
            ["/dev/null", "/dev/zero", "/dev/full", "/dev/tty"],
            AccessFs::from_file(abi),
        ))
        .map_err(err)?;
    if policy.mode == SandboxMode::WorkspaceWrite {
        created = created
            .add_rules(path_beneath_rules(
                &policy.writable,
                AccessFs::from_all(abi),
            ))
            .map_err(err)?;
    }
    let status = created.restrict_self().map_err(err)?;
    match status.ruleset {
        RulesetStatus::FullyEnforced => Ok(true),
        RulesetStatus::PartiallyEnforced => Ok(false),
        RulesetStatus::NotEnforced => Err("the kernel does not enforce it".into()),
    }
}

/// A seccomp filter: `socket()` for anything but Unix sockets fails with EPERM, and io_uring
/// (which can open sockets without `socket()`) is refused.
fn block_network() -> Result<(), String> {
    use seccompiler::{
        BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
        SeccompRule, TargetArch,
    };
    let arch = if cfg!(target_arch = "x86_64") {
        TargetArch::x86_64
    } else if cfg!(target_arch = "aarch64") {
        TargetArch::aarch64
    } else {
        return Err("no seccomp support for this architecture".into());
    };
    let err = |e: seccompiler::BackendError| e.to_string();
    let not_unix = SeccompRule::new(vec![
        SeccompCondition::new(
            0,
            SeccompCmpArgLen::Dword,
            SeccompCmpOp::Ne,
            libc::AF_UNIX as u64,
        )
        .map_err(err)?,
    ])
    .map_err(err)?;
    let rules = [
        (libc::SYS_socket, vec![not_unix]),
        (libc::SYS_io_uring_setup, vec![]),
    ]
    .into_iter()
    .collect();
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        arch,
    )
    .map_err(err)?;
    let program: BpfProgram = filter.try_into().map_err(err)?;
    seccompiler::apply_filter(&program).map_err(|e| e.to_string())
}
