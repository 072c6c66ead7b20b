//! Reading an overlay's upper layer: what a command wrote, deleted or replaced in the
//! workspace, without following anything it made (the layer is the command's own work, so a
//! link there is only ever read as a link).
//!
//! overlayfs records a deletion as a *whiteout* (a character device 0:0) and a folder deleted
//! and made again as an *opaque* folder (`user.overlay.opaque` = `y` with `userxattr`): the
//! lower folder's entries are then gone but for what the upper one holds.

use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// One thing the command did to a path (relative to the workspace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wrote {
    /// A regular file: its place in the upper layer and its mode.
    File {
        path: PathBuf,
        from: PathBuf,
        mode: u32,
    },
    Link {
        path: PathBuf,
        target: String,
    },
    /// Removed: a file, a link or a whole folder.
    Gone {
        path: PathBuf,
    },
    /// A folder; `opaque` when it replaced a folder of the same name (whose entries are gone
    /// but for those written).
    Dir {
        path: PathBuf,
        opaque: bool,
    },
    /// A named pipe, socket or device: never carried over.
    Special {
        path: PathBuf,
    },
}

impl Wrote {
    #[must_use]
    pub fn path(&self) -> &Path {
        match self {
            Wrote::File { path, .. }
            | Wrote::Link { path, .. }
            | Wrote::Gone { path }
            | Wrote::Dir { path, .. }
            | Wrote::Special { path } => path,
        }
    }
}

/// Everything in the upper layer at `upper`, parents before their children.
pub fn read(upper: &Path) -> std::io::Result<Vec<Wrote>> {
    let mut out = Vec::new();
    walk(upper, Path::new(""), &mut out)?;
    Ok(out)
}

fn walk(upper: &Path, rel: &Path, out: &mut Vec<Wrote>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(upper.join(rel))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = rel.join(entry.file_name());
        let full = entry.path();
        let meta = std::fs::symlink_metadata(&full)?;
        let ft = meta.file_type();
        if ft.is_char_device() && meta.rdev() == 0 {
            out.push(Wrote::Gone { path });
        } else if ft.is_dir() {
            let opaque = xattr::get(&full, "user.overlay.opaque")
                .ok()
                .flatten()
                .is_some_and(|v| v.as_slice() == b"y");
            out.push(Wrote::Dir {
                path: path.clone(),
                opaque,
            });
            walk(upper, &path, out)?;
        } else if ft.is_symlink() {
            let target = std::fs::read_link(&full)?;
            out.push(Wrote::Link {
                path,
                target: target.to_string_lossy().into_owned(),
            });
        } else if ft.is_file() {
            out.push(Wrote::File {
                path,
                from: full,
                mode: meta.permissions().mode() & 0o777,
            });
        } else {
            out.push(Wrote::Special { path });
        }
    }
    Ok(())
}
