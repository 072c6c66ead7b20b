//! The sandbox the model's commands run in (Linux).
//!
//! gearshift never restricts itself; each command is started through a helper — the gearshift
//! binary again, as `gearshift __sandbox POLICY COMMAND` — that confines itself and then runs
//! `sh -c COMMAND`. Codex's Linux sandbox is the model. In order, the helper:
//!
//! 1. enters new user, mount and PID namespaces and builds the command's view of the files
//!    (`mounts`): the workspace under an overlay whose upper layer gearshift reads afterwards
//!    (the command's writes become a change set, see `tools::writes`), ignored build folders
//!    mounted through, `.git`, `.gearshift` and gearshift's own files read-only, a private
//!    `/tmp` and `/dev/shm`, the user's credential stores hidden, and — when Unix sockets are
//!    named — the folders daemons listen in hidden but for the sockets named;
//! 2. applies Landlock (`filter`): read and execute everywhere, write only in the workspace
//!    and the private temporary folders (`workspace-write`) or nowhere (`read-only`); with the
//!    network off, no TCP bind or connect, no abstract-socket or signal reach outside;
//! 3. installs a seccomp filter: no `TIOCSTI`/`TIOCLINUX` (typing into a terminal) ever; with
//!    the network off no socket at all (`socketpair` stays), Unix ones only when named;
//! 4. starts `gearshift __sandbox-init`, which leaves gearshift's terminal session (`setsid`:
//!    no controlling terminal) and, as PID 1 of the new namespace, runs the command. When the
//!    command ends (or the helper is killed) PID 1 ends, and the kernel kills everything left
//!    in the namespace — `setsid`, double forks and daemons included — so nothing a command
//!    starts outlives its call or keeps its output pipe open.
//!
//! The first command of a session is preceded by a probe (the same helper, running nothing)
//! whose verdict decides the approval policy: only with every layer in force may an allowlisted
//! command run without asking; otherwise gearshift says why and asks for every command.

#[cfg(target_os = "linux")]
mod filter;
#[cfg(target_os = "linux")]
pub mod helper;
mod launch;
#[cfg(target_os = "linux")]
mod mounts;
mod policy;
mod probe;
pub mod scratch;

use std::path::PathBuf;

pub use launch::{Sandbox, contained, quote, socket_dirs};
pub use policy::{Overlay, Policy, SandboxMode};
pub use probe::{Probe, Status, judge};

/// The first argument that turns the gearshift binary into the sandbox helper.
pub const HELPER_ARG: &str = "__sandbox";
/// The first argument of the helper's PID 1.
pub const INIT_ARG: &str = "__sandbox-init";

/// This process's binary when it is gearshift (not a test harness or another program that
/// embeds the library): the sandbox helper.
#[must_use]
pub fn this_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let name = exe.file_name()?.to_str()?;
    (name == "gearshift").then_some(exe)
}

/// Runs the helper or its PID 1 when the binary was started as one; returns `None` for a
/// normal start. Called first thing in `main`, before anything else runs.
#[must_use]
pub fn dispatch(args: &[std::ffi::OsString]) -> Option<std::process::ExitCode> {
    let first = args.get(1)?.to_str()?;
    #[cfg(target_os = "linux")]
    {
        match first {
            HELPER_ARG => Some(helper::helper_main(&args[2..])),
            INIT_ARG => Some(helper::init_main(&args[2..])),
            _ => None,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = first;
        None
    }
}

#[cfg(test)]
mod tests;
