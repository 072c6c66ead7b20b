//! A place a write was cleared for: the open folder the gate judged, and the name in it.
//! Every write goes through this handle, so what lands is where the gate decided.

use std::io::Write as _;
use std::os::fd::AsRawFd as _;
use std::path::{Path, PathBuf};

use cap_std::fs::{Dir, OpenOptions, PermissionsExt as _};

use super::errors::{FileError, kind_name};

/// The folder handle a write goes through and the name it writes, as cleared by the gate.
pub(super) struct Site {
    dir: Dir,
    name: String,
    /// The path as messages show it.
    shown: String,
}

/// A folder handle as a path the kernel resolves to that very folder (`/proc/self/fd/N`):
/// whatever is renamed there lands in the folder the gate judged.
fn fd_path(dir: &Dir) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd()))
}

/// Copies `from` (a file, link or folder tree, never followed) to `name` in `dir`, then
/// removes `from`: a move across file systems.
fn copy_into(from: &Path, dir: &Dir, name: &str) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(from)?;
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(from)?;
        dir.symlink_contents(&target, name)?;
    } else if meta.is_dir() {
        dir.create_dir(name)?;
        let sub = dir.open_dir(name)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            copy_into(&entry.path(), &sub, &entry.file_name().to_string_lossy())?;
        }
    } else if meta.is_file() {
        let mut source = std::fs::File::open(from)?;
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        let mut target = dir.open_with(name, &options)?;
        std::io::copy(&mut source, &mut target)?;
        target.set_permissions(cap_std::fs::Permissions::from_mode(
            std::os::unix::fs::PermissionsExt::mode(&meta.permissions()),
        ))?;
    }
    if meta.is_dir() {
        std::fs::remove_dir_all(from)
    } else {
        std::fs::remove_file(from)
    }
}

/// Takes the setuid, setgid and sticky bits off `name` in `dir` and everything below it
/// (never following a link): what a command leaves in the workspace carries permission bits
/// only, as git keeps them — a planted setuid binary is not one.
fn plain_modes(dir: &Dir, name: &str) -> std::io::Result<()> {
    let meta = dir.symlink_metadata(name)?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let mode = meta.permissions().mode();
    if mode & 0o7000 != 0 {
        dir.set_permissions(name, cap_std::fs::Permissions::from_mode(mode & 0o777))?;
    }
    if meta.is_dir() {
        let sub = dir.open_dir(name)?;
        for entry in sub.entries()? {
            plain_modes(&sub, &entry?.file_name().to_string_lossy())?;
        }
    }
    Ok(())
}

impl Site {
    pub(super) fn new(dir: Dir, name: String, shown: String) -> Site {
        Site { dir, name, shown }
    }

    fn io(&self, e: &std::io::Error) -> FileError {
        FileError::of_io(self.shown.clone(), e)
    }

    fn temporary(&self) -> String {
        format!(".{}.gearshift-{:08x}.tmp", self.name, fastrand::u32(..))
    }

    /// Writes `bytes` atomically (a temporary file beside it, then a rename), keeping an
    /// existing file's permissions or setting `mode`; never through a symlink.
    pub(super) fn write(&self, bytes: &[u8], mode: Option<u32>) -> Result<(), FileError> {
        let (dir, name) = (&self.dir, &self.name);
        let kept = match dir.symlink_metadata(name) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(FileError::Symlink(self.shown.clone()));
            }
            Ok(m) if !m.is_file() => {
                return Err(FileError::NotRegular(
                    self.shown.clone(),
                    kind_name(m.file_type()),
                ));
            }
            Ok(m) => Some(m.permissions().mode()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(self.io(&e)),
        };
        // Only permission bits: never setuid, setgid or sticky (as git keeps them).
        let mode = mode.or(kept).map(|m| m & 0o777);
        let tmp = self.temporary();
        let result = (|| {
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            let mut f = dir.open_with(&tmp, &options)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            if let Some(mode) = mode {
                f.set_permissions(cap_std::fs::Permissions::from_mode(mode))?;
            }
            dir.rename(&tmp, dir, name)
        })();
        if let Err(e) = result {
            let _ = dir.remove_file(&tmp);
            return Err(self.io(&e));
        }
        Ok(())
    }

    /// Makes the name a symbolic link to `target`, replacing a file or link there.
    pub(super) fn symlink(&self, target: &str) -> Result<(), FileError> {
        let tmp = self.temporary();
        self.dir
            .symlink_contents(target, &tmp)
            .and_then(|()| self.dir.rename(&tmp, &self.dir, &self.name))
            .map_err(|e| {
                let _ = self.dir.remove_file(&tmp);
                self.io(&e)
            })
    }

    /// Moves `from` (outside the workspace) here; copied where a rename cannot cross file
    /// systems. A folder already here is not replaced.
    pub(super) fn adopt(&self, from: &Path) -> Result<(), FileError> {
        if let Ok(m) = self.dir.symlink_metadata(&self.name)
            && m.is_dir()
        {
            return Err(FileError::NotRegular(self.shown.clone(), "a directory"));
        }
        match std::fs::rename(from, fd_path(&self.dir).join(&self.name)) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
                copy_into(from, &self.dir, &self.name).map_err(|e| self.io(&e))?;
            }
            Err(e) => return Err(self.io(&e)),
        }
        plain_modes(&self.dir, &self.name).map_err(|e| self.io(&e))
    }

    /// Makes the name a folder (a folder already there is fine).
    pub(super) fn create_dir(&self) -> Result<(), FileError> {
        match self.dir.create_dir(&self.name) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(self.io(&e)),
        }
    }

    /// Deletes the file or link at the name (never a folder, never a link's target).
    pub(super) fn remove(&self) -> Result<(), FileError> {
        self.dir.remove_file(&self.name).map_err(|e| self.io(&e))
    }

    /// Moves what is at this name to `to`'s.
    pub(super) fn rename_to(&self, to: &Site) -> Result<(), FileError> {
        self.dir
            .rename(&self.name, &to.dir, &to.name)
            .map_err(|e| self.io(&e))
    }
}
