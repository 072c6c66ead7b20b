//! What a probe found in force, and the verdict the session's approvals follow.

use serde::{Deserialize, Serialize};

use crate::{Policy, SandboxMode};

/// What a probe found in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// The namespaces were entered and the protected paths mounted read-only.
    pub namespaces: Result<(), String>,
    /// Landlock restricted the file system (`Ok(true)`: fully, `Ok(false)`: partly).
    pub landlock: Result<bool, String>,
    /// The kernel's Landlock ABI as the crate names it (`V6`), when Landlock is there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landlock_abi: Option<String>,
    /// The network filter is in force (always `Ok` when the network is allowed).
    pub network: Result<(), String>,
    /// An overlay of the workspace could be mounted (`Ok` when none was asked for).
    #[serde(default = "ok")]
    pub overlay: Result<(), String>,
}

fn ok() -> Result<(), String> {
    Ok(())
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
