//! The command's view of the file system, built in its own user and mount namespaces before
//! anything of the command runs.
//!
//! In order: the workspace goes under an overlay (its writes land in the upper layer, for
//! gearshift to review) with the ignored build folders mounted through; the protected paths
//! are bind-mounted read-only; then folders are hidden — the temporary folders get a private
//! tmpfs, and so do the folders where daemons listen (when Unix sockets are named) and the
//! credential stores of `deny_read` (a file there is covered by `/dev/null`). Whatever must
//! stay visible inside a hidden folder (the workspace in `/tmp`, a socket named in `/run`) is
//! opened before the folder is hidden and bound back in place from that handle. Every path a
//! mount needs is opened first and named as `/proc/self/fd/N`, so no later mount (or a name
//! with a `,` or `:` in it) changes what it means.

use std::os::fd::{AsRawFd as _, OwnedFd};
use std::path::{Path, PathBuf};

use nix::fcntl::{OFlag, open};
use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, unshare};
use nix::sys::stat::Mode;
use nix::sys::statvfs::{FsFlags, statvfs};

use crate::{Overlay, Policy, SandboxMode};

/// What entering the namespaces did: whether the overlay (when one was asked for) holds.
pub(super) struct Entered {
    pub overlay: Result<(), String>,
}

/// A handle on a path, opened before anything is mounted over it.
fn handle(path: &Path) -> Result<OwnedFd, String> {
    open(path, OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty())
        .map_err(|e| format!("opening {}: {e}", path.display()))
}

fn by_fd(fd: &OwnedFd) -> String {
    format!("/proc/self/fd/{}", fd.as_raw_fd())
}

/// New user and PID namespaces only: the program sees everything as the user does, and what it
/// starts ends with it.
pub(super) fn contain() -> Result<Entered, String> {
    namespaces(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWPID)?;
    Ok(Entered { overlay: Ok(()) })
}

fn namespaces(flags: CloneFlags) -> Result<(), String> {
    let uid = nix::unistd::getuid();
    let gid = nix::unistd::getgid();
    unshare(flags).map_err(|e| format!("unshare: {e}"))?;
    // Keep our own ids inside, so files keep their owner and tools (git's ownership check)
    // see the user they expect.
    let _ = std::fs::write("/proc/self/setgroups", "deny");
    std::fs::write("/proc/self/uid_map", format!("{uid} {uid} 1\n"))
        .map_err(|e| format!("uid_map: {e}"))?;
    std::fs::write("/proc/self/gid_map", format!("{gid} {gid} 1\n"))
        .map_err(|e| format!("gid_map: {e}"))
}

/// New user, mount, PID and IPC namespaces (no System V or POSIX shared memory, semaphore or
/// message queue of the user's is reachable, and none outlives the command), and the command's
/// view of the files in them.
pub(super) fn enter(policy: &Policy) -> Result<Entered, String> {
    namespaces(
        CloneFlags::CLONE_NEWUSER
            | CloneFlags::CLONE_NEWNS
            | CloneFlags::CLONE_NEWPID
            | CloneFlags::CLONE_NEWIPC,
    )?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(|e| format!("making mounts private: {e}"))?;
    // The working folder is named again once the view is built, so it is the new one.
    let cwd = std::env::current_dir().map_err(|e| format!("the working folder: {e}"))?;
    let writes = policy.mode == SandboxMode::WorkspaceWrite;
    let overlay = match &policy.overlay {
        Some(o) if writes => mount_overlay(o),
        _ => Ok(()),
    };
    if overlay.is_err() && !policy.probe {
        // A real run never writes the workspace directly when its writes were to be held.
        return Err(overlay.err().unwrap_or_default());
    }
    if writes {
        for path in &policy.protected {
            if path.symlink_metadata().is_ok() {
                read_only(path)?;
            }
        }
    }
    private_terminals()?;
    let workspace = policy.writable.first().cloned();
    let mut keep: Vec<PathBuf> = workspace.into_iter().collect();
    for dir in &policy.private {
        hide(dir, &keep, "mode=1777")?;
    }
    if !policy.network && !policy.unix_sockets.is_empty() {
        keep.extend(policy.unix_sockets.iter().cloned());
        for dir in &policy.socket_dirs {
            hide(dir, &keep, "mode=755")?;
        }
    }
    for path in &policy.deny_read {
        // A store kept elsewhere and linked in (`~/.aws -> dotfiles/aws`) is hidden where it
        // is; one that cannot be hidden stops the command (fail closed), naming it.
        let Ok(real) = path.canonicalize() else {
            continue;
        };
        if keep.iter().any(|k| k.starts_with(&real)) {
            continue;
        }
        let hidden = match real.metadata() {
            Ok(m) if m.is_dir() => hide(&real, &keep, "mode=700"),
            Ok(_) => cover_file(&real),
            Err(_) => Ok(()),
        };
        hidden.map_err(|e| format!("{e} (from [sandbox] deny_read: {})", path.display()))?;
    }
    // A folder the view now hides (under the private `/tmp`) is not one to run in: the
    // workspace is.
    std::env::set_current_dir(&cwd)
        .or_else(|e| match keep.first() {
            Some(workspace) if !cwd.starts_with(workspace) => std::env::set_current_dir(workspace),
            _ => Err(e),
        })
        .map_err(|e| format!("entering {} again: {e}", cwd.display()))?;
    Ok(Entered { overlay })
}

/// A terminal of its own: a new `devpts` instance over `/dev/pts` (and its `ptmx`), so no
/// terminal of the user's — gearshift's among them — can be opened by path, read or set, while
/// a command that needs a pseudo-terminal still gets one.
fn private_terminals() -> Result<(), String> {
    if !Path::new("/dev/pts").is_dir() {
        return Ok(());
    }
    mount(
        Some("devpts"),
        "/dev/pts",
        Some("devpts"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620"),
    )
    .map_err(|e| format!("a private /dev/pts: {e}"))?;
    if Path::new("/dev/ptmx").exists() {
        bind("/dev/pts/ptmx", Path::new("/dev/ptmx"))?;
    }
    Ok(())
}

/// The workspace under an overlay, its build folders mounted through.
fn mount_overlay(o: &Overlay) -> Result<(), String> {
    let lower = handle(&o.workspace)?;
    let upper = handle(&o.upper)?;
    let work = handle(&o.work)?;
    let through: Vec<(OwnedFd, &PathBuf)> = o
        .through
        .iter()
        .filter_map(|p| handle(p).ok().map(|fd| (fd, p)))
        .collect();
    let options = format!(
        "lowerdir={},upperdir={},workdir={},userxattr",
        by_fd(&lower),
        by_fd(&upper),
        by_fd(&work)
    );
    mount(
        Some("overlay"),
        &o.workspace,
        Some("overlay"),
        MsFlags::empty(),
        Some(options.as_str()),
    )
    .map_err(|e| {
        format!(
            "the overlay of {} could not be mounted: {e}",
            o.workspace.display()
        )
    })?;
    for (fd, path) in &through {
        bind(&by_fd(fd), path)?;
    }
    Ok(())
}

fn bind(from: &str, to: &Path) -> Result<(), String> {
    mount(
        Some(from),
        to,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| format!("binding {}: {e}", to.display()))
}

/// An empty tmpfs over `dir`; what of `keep` lies inside it is bound back in place.
fn hide(dir: &Path, keep: &[PathBuf], mode: &str) -> Result<(), String> {
    if !dir.is_dir() {
        return Ok(());
    }
    let inside: Vec<(OwnedFd, &PathBuf, bool)> = keep
        .iter()
        .filter(|k| k.starts_with(dir) && k.as_path() != dir)
        .filter_map(|k| {
            let is_dir = k.symlink_metadata().ok()?.is_dir();
            handle(k).ok().map(|fd| (fd, k, is_dir))
        })
        .collect();
    mount(
        Some("tmpfs"),
        dir,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some(mode),
    )
    .map_err(|e| format!("a private {}: {e}", dir.display()))?;
    for (fd, path, is_dir) in inside {
        if is_dir {
            std::fs::create_dir_all(path)
        } else {
            path.parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(path, b""))
        }
        .map_err(|e| format!("keeping {} visible: {e}", path.display()))?;
        bind(&by_fd(&fd), path)?;
    }
    Ok(())
}

/// `/dev/null` over a file: it reads as empty.
fn cover_file(path: &Path) -> Result<(), String> {
    mount(
        Some("/dev/null"),
        path,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(|e| format!("hiding {}: {e}", path.display()))
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
