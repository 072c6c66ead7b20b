//! The layers a configuration is built from, as `gearshift config` lists them, and the top
//! one: the command line's flags.

use std::path::PathBuf;

use crate::protocol::Gear;

/// Settings given on the command line, the top layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    pub provider: Option<String>,
    pub model: Option<String>,
    pub base_url: Option<String>,
    pub gear: Option<Gear>,
    pub theme: Option<String>,
    /// `--trust-workspace`: apply the workspace's config in full for this run.
    pub trust_workspace: bool,
}

/// One layer that contributed to the configuration, for `gearshift config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layer {
    Defaults,
    /// A config file; `found` is false when it does not exist (which is fine).
    File {
        path: PathBuf,
        found: bool,
    },
    /// The workspace's config; untrusted, its privileged settings were withheld.
    Workspace {
        path: PathBuf,
        trusted: bool,
        withheld: usize,
    },
    /// Environment variables that were applied, by name.
    Env(Vec<String>),
    /// Flags that were applied, by name.
    Flags(Vec<String>),
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Layer::Defaults => f.write_str("built-in defaults"),
            Layer::File { path, found: true } => write!(f, "{}", path.display()),
            Layer::File { path, found: false } => write!(f, "{} (not present)", path.display()),
            Layer::Workspace {
                path,
                trusted: true,
                ..
            } => write!(f, "{} (trusted)", path.display()),
            Layer::Workspace {
                path, withheld: 0, ..
            } => write!(f, "{} (untrusted; nothing withheld)", path.display()),
            Layer::Workspace { path, withheld, .. } => write!(
                f,
                "{} (untrusted: {withheld} privileged settings withheld; see `gearshift trust`)",
                path.display()
            ),
            Layer::Env(names) => write!(f, "environment: {}", names.join(", ")),
            Layer::Flags(names) => write!(f, "flags: {}", names.join(", ")),
        }
    }
}
