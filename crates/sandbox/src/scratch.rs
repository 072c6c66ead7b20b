//! The scratch folder of one overlay: its upper layer (what the command wrote) and
//! overlayfs's work folder, private to the user, removed when dropped.

use std::path::{Path, PathBuf};

use crate::Overlay;

/// A private folder in the temporary directory holding `upper/` and `work/`.
#[derive(Debug)]
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// Creates a fresh one (0700) in `base`, or in the temporary folder.
    pub fn new(base: Option<&Path>) -> std::io::Result<Scratch> {
        let tmp = std::env::temp_dir();
        let base = base.map_or_else(|| tmp.canonicalize().unwrap_or(tmp), Path::to_path_buf);
        let dir = base.join(format!(
            "gearshift-overlay-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let mut private = std::fs::DirBuilder::new();
        std::os::unix::fs::DirBuilderExt::mode(&mut private, 0o700);
        for inner in ["upper", "work"] {
            private.recursive(true).create(dir.join(inner))?;
        }
        // 0700 whatever the umask says (as gearshift's other private folders).
        for made in [dir.clone(), dir.join("upper"), dir.join("work")] {
            std::fs::set_permissions(&made, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
        }
        Ok(Scratch { dir })
    }

    /// The upper layer: what the command wrote, deleted (whiteouts) or made opaque.
    #[must_use]
    pub fn upper(&self) -> PathBuf {
        self.dir.join("upper")
    }

    /// The overlay of `workspace` held here, with `through` mounted through.
    #[must_use]
    pub fn overlay(&self, workspace: PathBuf, through: Vec<PathBuf>) -> Overlay {
        Overlay {
            workspace,
            upper: self.upper(),
            work: self.dir.join("work"),
            through,
        }
    }

    #[must_use]
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // overlayfs leaves `work/work` without permissions: give them back to remove it.
        let inner = self.dir.join("work/work");
        if inner.exists() {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o700));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
