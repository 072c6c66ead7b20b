//! What the helper enforces: the mode, the policy passed to it as JSON, and the overlay a
//! command's writes land in.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How much the model's commands may write (`[sandbox] mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    /// Commands read anything and write nothing but `/dev/null`.
    ReadOnly,
    /// Commands write only the workspace and the temporary directory, never `.git` or
    /// gearshift's config.
    #[default]
    WorkspaceWrite,
    /// No sandbox: every command asks, allowlist or not.
    Off,
}

impl SandboxMode {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxMode::ReadOnly => "read-only",
            SandboxMode::WorkspaceWrite => "workspace-write",
            SandboxMode::Off => "off",
        }
    }
}

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
    /// Folders that get a private, empty tmpfs (the temporary folders, `/dev/shm`).
    #[serde(default)]
    pub private: Vec<PathBuf>,
    /// What the command cannot read: folders are mounted empty, files as `/dev/null`.
    #[serde(default)]
    pub deny_read: Vec<PathBuf>,
    /// Unix sockets a command may connect to with the network off (`allow_unix_sockets`).
    #[serde(default)]
    pub unix_sockets: Vec<PathBuf>,
    /// Where daemons keep their sockets (`/run`, `$XDG_RUNTIME_DIR`): hidden, but for the
    /// sockets named, whenever Unix sockets are allowed with the network off.
    #[serde(default)]
    pub socket_dirs: Vec<PathBuf>,
    /// The workspace under an overlay: the command's writes land in `upper`.
    #[serde(default)]
    pub overlay: Option<Overlay>,
    /// Confine nothing, but run in user and PID namespaces of its own, so that everything the
    /// program starts ends with it (MCP servers, which run as the user).
    #[serde(default)]
    pub contain: bool,
}

/// An overlay of the workspace for one command. Writes land in `upper`; the workspace itself
/// is untouched but for the folders in `through` (existing, git-ignored build folders such as
/// `target/`), which are the real ones, so a build writes them in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overlay {
    pub workspace: PathBuf,
    pub upper: PathBuf,
    /// overlayfs's work folder, on the same file system as `upper`.
    pub work: PathBuf,
    pub through: Vec<PathBuf>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            mode: SandboxMode::WorkspaceWrite,
            network: false,
            writable: Vec::new(),
            protected: Vec::new(),
            probe: false,
            private: Vec::new(),
            deny_read: Vec::new(),
            unix_sockets: Vec::new(),
            socket_dirs: Vec::new(),
            overlay: None,
            contain: false,
        }
    }
}
