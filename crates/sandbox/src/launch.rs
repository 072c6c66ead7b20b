//! The sandbox of one session: the policy a workspace gets, and the program and arguments that
//! start a command (or a probe) inside it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::{HELPER_ARG, Overlay, Policy, Probe, SandboxMode, Status, judge, scratch};

/// The sandbox of one session: its policy and how to start a command in it.
#[derive(Debug, Clone)]
pub struct Sandbox {
    pub policy: Policy,
    /// The gearshift binary that acts as the helper; `None` runs commands unconfined (the
    /// status then says so and every command asks).
    pub helper: Option<PathBuf>,
    /// Whether a command's writes can be held in an overlay here, once the probe has said:
    /// `Err` says why not (the writes are then found by a snapshot instead).
    overlay: Arc<OnceLock<Result<(), String>>>,
    /// Where overlays' upper layers go: beside the workspace on its file system when
    /// gearshift has a folder there, so what a build writes is moved in, not copied.
    scratch: Option<PathBuf>,
}

/// The folders a command gets a private, empty copy of: the temporary folders and `/dev/shm`.
fn private_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let tmp = std::env::temp_dir();
    for d in [
        tmp.canonicalize().unwrap_or(tmp),
        PathBuf::from("/tmp"),
        PathBuf::from("/dev/shm"),
    ] {
        let d = d.canonicalize().unwrap_or(d);
        if d.is_dir() && d != Path::new("/") && !dirs.contains(&d) {
            dirs.push(d);
        }
    }
    dirs
}

impl Sandbox {
    /// The policy for a workspace: writable are the workspace and the private temporary
    /// folders; protected are `.git` and `.gearshift` of the workspace and `extra_protected`
    /// (gearshift's own files and directories) where they lie inside the workspace — and
    /// gearshift's own files are unreadable wherever they are.
    #[must_use]
    pub fn for_workspace(
        mode: SandboxMode,
        network: bool,
        workspace: &Path,
        extra_protected: &[PathBuf],
        helper: Option<PathBuf>,
    ) -> Sandbox {
        // A temporary folder inside the workspace (or the workspace itself) is the workspace's;
        // one holding it is hidden around it.
        let private: Vec<PathBuf> = private_dirs()
            .into_iter()
            .filter(|d| !d.starts_with(workspace))
            .collect();
        let mut writable = vec![workspace.to_path_buf()];
        writable.extend(private.iter().cloned());
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
                .filter(|p| p.starts_with(workspace))
                .cloned(),
        );
        Sandbox {
            policy: Policy {
                mode,
                network,
                writable,
                protected,
                private,
                ..Policy::default()
            },
            helper,
            overlay: Arc::default(),
            scratch: None,
        }
        .denying(extra_protected)
    }

    /// The same sandbox for a copy of the workspace at `to` (a git worktree): `to` is
    /// writable in its place, and what was protected inside the workspace is protected at the
    /// same place inside `to` — the copy's `.git` (a file naming the repository's) included.
    #[must_use]
    pub fn rerooted(&self, to: &Path) -> Sandbox {
        let mut policy = self.policy.clone();
        let from = policy.writable.first().cloned().unwrap_or_default();
        if let Some(first) = policy.writable.first_mut() {
            *first = to.to_path_buf();
        }
        // What was kept from commands inside the workspace is kept at the same place in `to`.
        let moved = |paths: &[PathBuf]| -> Vec<PathBuf> {
            paths
                .iter()
                .map(|p| match p.strip_prefix(&from) {
                    Ok(rel) => to.join(rel),
                    Err(_) => p.clone(),
                })
                .collect()
        };
        policy.protected = moved(&policy.protected);
        // Denied where it is and where its copy is.
        let copies = moved(&policy.deny_read);
        for p in copies {
            if !policy.deny_read.contains(&p) {
                policy.deny_read.push(p);
            }
        }
        policy.overlay = None;
        Sandbox {
            policy,
            helper: self.helper.clone(),
            overlay: Arc::default(),
            scratch: None,
        }
    }

    /// Adds paths the command cannot read (a folder holding the workspace is left out: the
    /// command works there).
    #[must_use]
    pub fn denying(mut self, paths: &[PathBuf]) -> Sandbox {
        let workspace = self.policy.writable.first().cloned().unwrap_or_default();
        for p in paths {
            if !workspace.starts_with(p) && !self.policy.deny_read.contains(p) {
                self.policy.deny_read.push(p.clone());
            }
        }
        self
    }

    /// Names the Unix sockets a command may reach with the network off, and where the
    /// daemons of this machine keep theirs (hidden but for those named).
    #[must_use]
    pub fn with_unix_sockets(
        mut self,
        sockets: Vec<PathBuf>,
        socket_dirs: Vec<PathBuf>,
    ) -> Sandbox {
        self.policy.unix_sockets = sockets;
        self.policy.socket_dirs = socket_dirs;
        self
    }

    /// Runs a command as the user — every file and the network theirs — but contained under
    /// `helper`: in PID namespaces of its own (nothing it starts outlives it) and a session of
    /// its own (no terminal to type into). Hooks run so; without a helper, it is [`Sandbox::off`].
    #[must_use]
    pub fn as_user(helper: Option<PathBuf>) -> Sandbox {
        Sandbox {
            policy: Policy {
                mode: SandboxMode::Off,
                network: true,
                contain: true,
                ..Policy::default()
            },
            helper,
            overlay: Arc::default(),
            scratch: None,
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
            overlay: Arc::default(),
            scratch: None,
        }
    }

    /// Puts overlays' upper layers in `dir` (gearshift's own data folder) when it is on the
    /// workspace's file system and outside it; the temporary folder otherwise.
    #[must_use]
    pub fn with_scratch(mut self, dir: &Path) -> Sandbox {
        let same_device = |a: &Path, b: &Path| {
            use std::os::unix::fs::MetadataExt as _;
            std::fs::metadata(a)
                .ok()
                .zip(std::fs::metadata(b).ok())
                .is_some_and(|(x, y)| x.dev() == y.dev())
        };
        if let Some(ws) = self.workspace()
            && !dir.starts_with(ws)
            && !ws.starts_with(dir)
            && same_device(dir, ws)
        {
            self.scratch = Some(dir.to_path_buf());
        }
        self
    }

    /// Where a command's overlay scratch folder goes (`None`: the temporary folder).
    #[must_use]
    pub fn scratch_base(&self) -> Option<&Path> {
        self.scratch.as_deref()
    }

    /// The workspace this sandbox writes.
    #[must_use]
    pub fn workspace(&self) -> Option<&Path> {
        self.policy.writable.first().map(PathBuf::as_path)
    }

    /// The program and arguments that run `command` in this sandbox. Whenever the helper is
    /// known it runs the command — with the sandbox off too, so that everything the command
    /// starts still ends with it.
    #[must_use]
    pub fn argv(&self, command: &str) -> (PathBuf, Vec<String>) {
        self.argv_with(&self.policy, command)
    }

    /// [`Sandbox::argv`] with the workspace under `overlay`.
    #[must_use]
    pub fn argv_overlay(&self, command: &str, overlay: Overlay) -> (PathBuf, Vec<String>) {
        let policy = Policy {
            overlay: Some(overlay),
            ..self.policy.clone()
        };
        self.argv_with(&policy, command)
    }

    fn argv_with(&self, policy: &Policy, command: &str) -> (PathBuf, Vec<String>) {
        match &self.helper {
            Some(helper) => {
                let policy = serde_json::to_string(policy).unwrap_or_default();
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

    /// Whether a command's writes are held in an overlay (`Ok`), or why not. Known once the
    /// probe ran; probes (blocking, a few milliseconds) when it has not yet.
    pub fn overlay(&self) -> Result<(), String> {
        if let Some(known) = self.overlay.get() {
            return known.clone();
        }
        let _ = self.probe();
        self.overlay
            .get()
            .cloned()
            .unwrap_or_else(|| Err("the sandbox was not probed".into()))
    }

    /// Probes the sandbox once: runs the helper with nothing to do and judges what it reports.
    /// Blocking (a process start, a few milliseconds): call it off the async threads.
    #[must_use]
    pub fn probe(&self) -> Status {
        let (status, overlay, _) = self.probe_layers();
        let _ = self.overlay.set(overlay);
        status
    }

    /// [`Sandbox::probe`], with what each layer said (`None` when no helper ran) and whether
    /// commands' writes can be held in an overlay: for `gearshift doctor`.
    pub fn probe_report(&self) -> (Status, Option<Probe>, Result<(), String>) {
        let (status, overlay, probe) = self.probe_layers();
        let _ = self.overlay.set(overlay.clone());
        (status, probe, overlay)
    }

    fn probe_layers(&self) -> (Status, Result<(), String>, Option<Probe>) {
        let no_overlay = |why: &str| Err(why.to_string());
        if self.policy.mode == SandboxMode::Off {
            return (Status::Off, no_overlay("the sandbox is off"), None);
        }
        if self.policy.mode == SandboxMode::ReadOnly {
            // Nothing is written: there is nothing to hold.
            let (status, probe) = self.probe_helper(None);
            return (status, Ok(()), probe);
        }
        let Some(workspace) = self.workspace().map(Path::to_path_buf) else {
            let (status, probe) = self.probe_helper(None);
            return (status, no_overlay("no workspace"), probe);
        };
        let scratch = match scratch::Scratch::new(self.scratch_base()) {
            Ok(s) => s,
            Err(e) => {
                let why = format!("no scratch folder for it ({e})");
                let (status, probe) = self.probe_helper(None);
                return (status, Err(why), probe);
            }
        };
        let overlay = scratch.overlay(workspace, Vec::new());
        let (status, probe) = self.probe_helper(Some(overlay));
        let overlay = match (&status, &probe) {
            (Status::Enforced, Some(p)) => p.overlay.clone(),
            (Status::Enforced, None) => no_overlay("the probe said nothing of it"),
            (Status::Off, _) => no_overlay("the sandbox is off"),
            (Status::Unavailable(_), _) => no_overlay("the sandbox is not in force"),
        };
        (status, overlay, probe)
    }

    fn probe_helper(&self, overlay: Option<Overlay>) -> (Status, Option<Probe>) {
        let Some(helper) = &self.helper else {
            return (
                Status::Unavailable(
                    "the command sandbox is not in force: the sandbox helper is unknown; every \
                     command will ask"
                        .into(),
                ),
                None,
            );
        };
        if !cfg!(target_os = "linux") {
            return (
                Status::Unavailable(
                    "the command sandbox needs Linux (Landlock); every command will ask".into(),
                ),
                None,
            );
        }
        let policy = Policy {
            probe: true,
            overlay,
            ..self.policy.clone()
        };
        let mut probe = std::process::Command::new(helper);
        probe
            .arg(HELPER_ARG)
            .arg(serde_json::to_string(&policy).unwrap_or_default())
            .arg("")
            .env_clear()
            .stdin(std::process::Stdio::null());
        // Where a command runs: gearshift's own folder may be one the sandbox hides (under a
        // private `/tmp`), the workspace never is.
        if let Some(workspace) = policy.writable.first() {
            probe.current_dir(workspace);
        }
        let out = probe.output();
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
            Ok(p) => (judge(&p, &self.policy), Some(p)),
            Err(e) => (
                Status::Unavailable(format!(
                    "the command sandbox is not in force: {e}; every command will ask"
                )),
                None,
            ),
        }
    }
}

/// The program and arguments that run `program args…` unconfined (as the user) but contained:
/// in PID namespaces of its own under `helper`, so nothing it starts outlives it — not a child
/// that left its process group, not a daemon.
#[must_use]
pub fn contained(helper: &Path, program: &str, args: &[String]) -> (PathBuf, Vec<String>) {
    let policy = Policy {
        mode: SandboxMode::Off,
        network: true,
        contain: true,
        ..Policy::default()
    };
    let line = std::iter::once(program)
        .chain(args.iter().map(String::as_str))
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ");
    (
        helper.to_path_buf(),
        vec![
            HELPER_ARG.into(),
            serde_json::to_string(&policy).unwrap_or_default(),
            format!("exec {line}"),
        ],
    )
}

/// `word` as one word of `sh`: single-quoted, its own quotes spelled `'\''`. (Quoting a word
/// for the POSIX shell is this one rule; no parser is involved.)
pub fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// Where this machine's daemons keep their sockets: `/run` (and `/var/run` when it is not the
/// same) and the user's runtime folder.
#[must_use]
pub fn socket_dirs(runtime: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let candidates = [Path::new("/run"), Path::new("/var/run")]
        .into_iter()
        .chain(runtime);
    for d in candidates {
        if let Ok(real) = d.canonicalize()
            && real.is_dir()
            && !dirs.iter().any(|k| real.starts_with(k))
        {
            dirs.push(real);
        }
    }
    dirs
}
