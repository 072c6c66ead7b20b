//! The sandbox the model's commands run in (Linux).
//!
//! gearshift never restricts itself; each command is started through a helper — the gearshift
//! binary again, as `gearshift __sandbox POLICY COMMAND` — that confines itself and then runs
//! `sh -c COMMAND`. Codex's Linux sandbox is the model. In order, the helper:
//!
//! 1. enters new user, mount and PID namespaces, and bind-mounts the protected paths (`.git`,
//!    `.gearshift`, gearshift's own files) read-only, so no command can plant a hook or rewrite
//!    the config, whatever the Landlock rules below allow;
//! 2. applies Landlock: read and execute everywhere, write only in the workspace and the
//!    temporary directory (`workspace-write`) or nowhere (`read-only`); with the network off,
//!    no TCP bind or connect, no abstract-socket or signal reach outside the sandbox;
//! 3. with the network off, installs a seccomp filter refusing every socket but Unix ones;
//! 4. starts `gearshift __sandbox-init`, which is PID 1 of the new namespace and runs the
//!    command. When the command ends (or the helper is killed) PID 1 ends, and the kernel kills
//!    everything left in the namespace — `setsid`, double forks and daemons included — so
//!    nothing a command starts outlives its call or keeps its output pipe open.
//!
//! The first command of a session is preceded by a probe (the same helper, running nothing)
//! whose verdict decides the approval policy: only with every layer in force may an allowlisted
//! command run without asking; otherwise gearshift says why and asks for every command.

#[cfg(target_os = "linux")]
pub mod helper;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::SandboxMode;

/// The first argument that turns the gearshift binary into the sandbox helper.
pub const HELPER_ARG: &str = "__sandbox";
/// The first argument of the helper's PID 1.
pub const INIT_ARG: &str = "__sandbox-init";

/// What the helper enforces, passed to it as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub mode: SandboxMode,
    pub network: bool,
    /// Directories writable in `workspace-write` mode (the workspace, the temp dir).
    pub writable: Vec<PathBuf>,
    /// Paths kept read-only even inside a writable directory.
    pub protected: Vec<PathBuf>,
    /// Apply everything, run nothing, report what held (`Probe` as JSON on stdout).
    #[serde(default)]
    pub probe: bool,
}

/// What a probe found in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// The namespaces were entered and the protected paths mounted read-only.
    pub namespaces: Result<(), String>,
    /// Landlock restricted the file system (`Ok(true)`: fully, `Ok(false)`: partly).
    pub landlock: Result<bool, String>,
    /// The network filter is in force (always `Ok` when the network is allowed).
    pub network: Result<(), String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            mode: SandboxMode::WorkspaceWrite,
            network: false,
            writable: Vec::new(),
            protected: Vec::new(),
            probe: false,
        }
    }
}

/// Whether commands are confined, as the session shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Every layer is in force: an allowlisted command may run without asking.
    Enforced,
    /// `[sandbox] mode = "off"`.
    Off,
    /// Something is missing; the sentence says what. Every command asks.
    Unavailable(String),
}

impl Status {
    /// A short label for the status bar.
    #[must_use]
    pub fn label(&self, mode: SandboxMode) -> String {
        match self {
            Status::Enforced => format!("sandbox: {}", mode.as_str()),
            Status::Off => "sandbox: off".into(),
            Status::Unavailable(_) => "sandbox: unavailable".into(),
        }
    }

    #[must_use]
    pub fn enforced(&self) -> bool {
        *self == Status::Enforced
    }
}

/// The verdict on a probe's findings.
#[must_use]
pub fn judge(probe: &Probe, policy: &Policy) -> Status {
    let mut missing = Vec::new();
    if let Err(e) = &probe.landlock {
        missing.push(format!("Landlock is not available ({e})"));
    }
    if let Err(e) = &probe.namespaces {
        missing.push(format!(
            "user namespaces are not available ({e}), so .git and gearshift's config cannot be \
             kept read-only and background processes cannot be contained"
        ));
    }
    if !policy.network
        && let Err(e) = &probe.network
    {
        missing.push(format!("the network cannot be blocked ({e})"));
    }
    if missing.is_empty() {
        Status::Enforced
    } else {
        Status::Unavailable(format!(
            "the command sandbox is not in force: {}; every command will ask",
            missing.join("; ")
        ))
    }
}

/// The sandbox of one session: its policy and how to start a command in it.
#[derive(Debug, Clone)]
pub struct Sandbox {
    pub policy: Policy,
    /// The gearshift binary that acts as the helper; `None` runs commands unconfined (the
    /// status then says so and every command asks).
    pub helper: Option<PathBuf>,
}

impl Sandbox {
    /// The policy for a workspace: writable are the workspace and the temp dir; protected are
    /// `.git` and `.gearshift` of the workspace and `extra_protected` (gearshift's own files
    /// and directories) where they lie inside something writable — a `--home` under the temp
    /// dir or inside the workspace.
    #[must_use]
    pub fn for_workspace(
        mode: SandboxMode,
        network: bool,
        workspace: &Path,
        extra_protected: &[PathBuf],
        helper: Option<PathBuf>,
    ) -> Sandbox {
        let tmp = std::env::temp_dir();
        let mut writable = vec![workspace.to_path_buf(), tmp.canonicalize().unwrap_or(tmp)];
        if Path::new("/dev/shm").is_dir() {
            writable.push(PathBuf::from("/dev/shm"));
        }
        let mut protected: Vec<PathBuf> = [".git", ".gearshift"]
            .iter()
            .map(|p| workspace.join(p))
            .collect();
        protected.extend(
            extra_protected
                .iter()
                // A directory holding the workspace would make it read-only: its files are
                // listed on their own.
                .filter(|p| !workspace.starts_with(p))
                .filter(|p| writable.iter().any(|w| p.starts_with(w)))
                .cloned(),
        );
        Sandbox {
            policy: Policy {
                mode,
                network,
                writable,
                protected,
                probe: false,
            },
            helper,
        }
    }

    /// A sandbox that confines nothing (`[sandbox] mode = "off"`, and tests of other things).
    #[must_use]
    pub fn off() -> Sandbox {
        Sandbox {
            policy: Policy {
                mode: SandboxMode::Off,
                ..Policy::default()
            },
            helper: None,
        }
    }

    /// The program and arguments that run `command` in this sandbox. Whenever the helper is
    /// known it runs the command — with the sandbox off too, so that everything the command
    /// starts still ends with it.
    #[must_use]
    pub fn argv(&self, command: &str) -> (PathBuf, Vec<String>) {
        match &self.helper {
            Some(helper) => {
                let policy = serde_json::to_string(&self.policy).unwrap_or_default();
                (
                    helper.clone(),
                    vec![HELPER_ARG.into(), policy, command.to_string()],
                )
            }
            None => (
                PathBuf::from("sh"),
                vec!["-c".to_string(), command.to_string()],
            ),
        }
    }

    /// Probes the sandbox once: runs the helper with nothing to do and judges what it reports.
    /// Blocking (a process start, a few milliseconds): call it off the async threads.
    #[must_use]
    pub fn probe(&self) -> Status {
        if self.policy.mode == SandboxMode::Off {
            return Status::Off;
        }
        let Some(helper) = &self.helper else {
            return Status::Unavailable(
                "the command sandbox is not in force: the sandbox helper is unknown; every \
                 command will ask"
                    .into(),
            );
        };
        if !cfg!(target_os = "linux") {
            return Status::Unavailable(
                "the command sandbox needs Linux (Landlock); every command will ask".into(),
            );
        }
        let policy = Policy {
            probe: true,
            ..self.policy.clone()
        };
        let out = std::process::Command::new(helper)
            .arg(HELPER_ARG)
            .arg(serde_json::to_string(&policy).unwrap_or_default())
            .arg("")
            .env_clear()
            .stdin(std::process::Stdio::null())
            .output();
        let probe: Result<Probe, String> = match out {
            Ok(o) => serde_json::from_slice(&o.stdout).map_err(|_| {
                format!(
                    "the sandbox helper failed: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                )
            }),
            Err(e) => Err(format!("cannot start the sandbox helper: {e}")),
        };
        match probe {
            Ok(p) => judge(&p, &self.policy),
            Err(e) => Status::Unavailable(format!(
                "the command sandbox is not in force: {e}; every command will ask"
            )),
        }
    }
}

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
mod tests {
    use super::*;

    #[test]
    fn the_workspace_policy_protects_git_and_gearshift_and_the_users_files_inside() {
        let ws = Path::new("/w");
        let sb = Sandbox::for_workspace(
            SandboxMode::WorkspaceWrite,
            false,
            ws,
            &[
                PathBuf::from("/w/.home/config.toml"),
                PathBuf::from("/elsewhere/db"),
            ],
            Some(PathBuf::from("/bin/gearshift")),
        );
        assert_eq!(sb.policy.writable[0], ws);
        assert!(sb.policy.protected.contains(&PathBuf::from("/w/.git")));
        assert!(
            sb.policy
                .protected
                .contains(&PathBuf::from("/w/.gearshift"))
        );
        assert!(
            sb.policy
                .protected
                .contains(&PathBuf::from("/w/.home/config.toml"))
        );
        assert!(
            !sb.policy
                .protected
                .contains(&PathBuf::from("/elsewhere/db"))
        );
        let (program, args) = sb.argv("ls");
        assert_eq!(program, PathBuf::from("/bin/gearshift"));
        assert_eq!(args[0], HELPER_ARG);
        assert_eq!(args[2], "ls");
        let (program, args) = Sandbox::off().argv("ls");
        assert_eq!(program, PathBuf::from("sh"));
        assert_eq!(args, vec!["-c", "ls"]);
    }

    #[test]
    fn any_missing_layer_makes_every_command_ask() {
        let policy = Policy::default();
        let full = Probe {
            namespaces: Ok(()),
            landlock: Ok(true),
            network: Ok(()),
        };
        assert_eq!(judge(&full, &policy), Status::Enforced);
        let no_ns = Probe {
            namespaces: Err("EPERM".into()),
            ..full.clone()
        };
        let Status::Unavailable(why) = judge(&no_ns, &policy) else {
            panic!()
        };
        assert!(why.contains("user namespaces") && why.contains("every command will ask"));
        let no_net = Probe {
            network: Err("no seccomp".into()),
            ..full
        };
        assert!(!judge(&no_net, &policy).enforced());
        let open = Policy {
            network: true,
            ..Policy::default()
        };
        assert!(judge(&no_net, &open).enforced());
    }
}
