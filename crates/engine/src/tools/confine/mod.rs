//! Workspace confinement: every file operation of the model's tools goes through a handle on
//! the workspace directory.
//!
//! A path the model names is first folded lexically (`.` and `..`, an absolute path must lie
//! under the root) into a path relative to the root; then every operation opens it *beneath* an
//! open directory handle with cap-std (on Linux `openat2(RESOLVE_BENEATH)`), so no symlink,
//! `..` or directory swapped for a symlink between two calls can lead it outside: the kernel
//! resolves each operation atomically, beneath the root, or refuses it. Only regular files are
//! read (checked on the open file, without blocking, so a FIFO cannot hang a tool), and a file
//! with several hard links is refused (one of them may be outside).
//!
//! Every write — by a file tool, by a reviewed change, or of a command's change set — passes
//! one gate, [`Workspace::gate`]: the path is resolved to where it really leads (every symlink
//! inside the workspace followed, on an open handle of its folder) and judged there against
//! the [protected paths](super::protect) and `[[checkpoints]]`. The write itself opens the
//! folder it writes in, reads back where that handle really is, and judges that path again,
//! so a symlink swapped in between the decision and the write changes nothing: the write goes
//! through the handle it judged, or not at all.

use std::io::Read as _;
use std::os::fd::AsRawFd as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cap_std::ambient_authority;
use cap_std::fs::{Dir, MetadataExt as _, OpenOptions, OpenOptionsExt as _, PermissionsExt as _};

pub use super::protect::{Guard, Protected};
pub use errors::{ConfineError, FileError, Kind};

mod errors;
mod paths;
mod site;

use errors::kind_name;
use paths::{join, split};
use site::Site;

/// The workspace root: its canonical path, and an open handle every operation goes through.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    dir: Arc<Dir>,
    guard: Guard,
    /// `[[checkpoints]]`: paths and new text that a human reviews in every gear.
    checkpoints: Arc<super::checkpoints::Checkpoints>,
}

/// Who clears a write past the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clearance {
    /// Nothing but a plain write: refused wherever any protection applies.
    Plain,
    /// A human reviewed this write: a path written only through review may be written; a path
    /// never written stays refused.
    Reviewed,
}

/// The gate's decision on a write: where it really leads, and what protects that place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gated {
    /// Relative to the root, every symlink inside the workspace resolved.
    pub real: PathBuf,
    pub protection: Option<Protected>,
}

impl Workspace {
    /// `root` must exist; it is canonicalised and opened.
    pub fn new(root: &Path) -> std::io::Result<Workspace> {
        let root = root.canonicalize()?;
        let dir = Dir::open_ambient_dir(&root, ambient_authority())?;
        Ok(Workspace {
            root,
            dir: Arc::new(dir),
            guard: Guard::default(),
            checkpoints: Arc::default(),
        })
    }

    #[must_use]
    pub fn with_checkpoints(
        mut self,
        checkpoints: Arc<super::checkpoints::Checkpoints>,
    ) -> Workspace {
        self.checkpoints = checkpoints;
        self
    }

    #[must_use]
    pub fn checkpoints(&self) -> &super::checkpoints::Checkpoints {
        &self.checkpoints
    }

    #[must_use]
    pub fn with_guard(mut self, guard: Guard) -> Workspace {
        self.guard = guard;
        self
    }

    #[must_use]
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path as messages show it (`src/main.rs`; `.` for the root).
    #[must_use]
    pub fn display(&self, rel: &Path) -> String {
        let rel = rel.strip_prefix(&self.root).unwrap_or(rel);
        if rel.as_os_str().is_empty() || rel == Path::new(".") {
            ".".to_string()
        } else {
            rel.display().to_string()
        }
    }

    /// Folds a path the model gave (absolute under the root, or relative to it) into a path
    /// relative to the root: `.` for the root itself. Nothing is touched on disk; the handle
    /// decides about symlinks when the path is used.
    pub fn resolve(&self, input: &str) -> Result<PathBuf, ConfineError> {
        paths::fold(&self.root, input)
    }

    /// What protects `real` (a path already resolved, relative to the root), if anything.
    #[must_use]
    pub fn protection(&self, real: &Path) -> Option<Protected> {
        super::protect::protection(&self.guard, &self.checkpoints, real).or_else(|| {
            super::protect::makes_git_dir(&self.root, real).then(|| {
                Protected::Never(
                    "it would make (or write inside) a folder git takes for a repository — a \
                     `HEAD` beside `objects/` and `refs/` — whose config would run code on the \
                     next git command there"
                        .into(),
                )
            })
        })
    }

    /// Where a folder handle really is, relative to the root (the kernel's own record of the
    /// open folder, so no name can lie about it).
    fn real_of(&self, dir: &Dir, shown: &Path) -> Result<PathBuf, FileError> {
        let link = std::fs::read_link(format!("/proc/self/fd/{}", dir.as_raw_fd()))
            .map_err(|e| FileError::Io(self.display(shown), e.to_string()))?;
        let rel = link
            .strip_prefix(&self.root)
            .map_err(|_| FileError::Escapes(self.display(shown)))?;
        Ok(if rel.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            rel.to_path_buf()
        })
    }

    /// The deepest folder of `dir` (relative) that exists, opened beneath the root: its handle,
    /// where it really is, and the names below it still to be created.
    fn deepest(&self, dir: &Path) -> Result<(Dir, PathBuf, PathBuf), FileError> {
        let mut at = dir;
        loop {
            let open = if at.as_os_str().is_empty() {
                self.dir.open_dir(".")
            } else {
                self.dir.open_dir(at)
            };
            match open {
                Ok(d) => {
                    let real = self.real_of(&d, at)?;
                    let rest = dir.strip_prefix(at).unwrap_or(Path::new("")).to_path_buf();
                    return Ok((d, real, rest));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => match at.parent() {
                    Some(p) => at = p,
                    None => return Err(self.io(dir, &e)),
                },
                Err(e) => return Err(self.io(at, &e)),
            }
        }
    }

    /// The one gate every write passes: where a write to `rel` (a path [`resolve`]d from what
    /// the model gave) really leads, with every symlink inside the workspace followed — folders
    /// and the final name — and what protects that place.
    ///
    /// [`resolve`]: Workspace::resolve
    pub fn gate(&self, rel: &Path) -> Result<Gated, FileError> {
        self.gate_with(rel, true)
    }

    /// The gate for a change to the entry `rel` itself — a link made or replaced, a name
    /// removed — whose folders are followed but not its final name.
    pub fn gate_entry(&self, rel: &Path) -> Result<Gated, FileError> {
        self.gate_with(rel, false)
    }

    fn gate_with(&self, rel: &Path, follow: bool) -> Result<Gated, FileError> {
        let mut rel = rel.to_path_buf();
        // A final symlink is followed too (up to a few times) for the decision: a write never
        // goes through one, but its place decides what protects the name.
        for _ in 0..8 {
            let (parent, name) = split(&rel);
            let (_dir, real_parent, rest) = self.deepest(&parent)?;
            let real = join(&real_parent, &rest, name.as_deref());
            match self.dir.read_link_contents(&real) {
                Ok(target) if follow && rest.as_os_str().is_empty() => {
                    let next = real_parent.join(target);
                    rel = self
                        .resolve(&next.to_string_lossy())
                        .map_err(|_| FileError::Escapes(self.display(&real)))?;
                }
                _ => {
                    let protection = self.protection(&real);
                    return Ok(Gated { real, protection });
                }
            }
        }
        Err(FileError::Io(
            self.display(&rel),
            "too many levels of symbolic links".into(),
        ))
    }

    /// Refuses what the clearance does not cover.
    fn clear(&self, gated: &Gated, clearance: Clearance) -> Result<(), FileError> {
        let why = match (&gated.protection, clearance) {
            (None, _) | (Some(Protected::Review(_)), Clearance::Reviewed) => return Ok(()),
            (Some(Protected::Never(why) | Protected::Review(why)), _) => why.clone(),
        };
        Err(FileError::Protected {
            path: self.display(&gated.real),
            why,
        })
    }

    /// Opens the folder a write to `real` goes in (creating what is missing of it), and checks
    /// on that handle that the write still lands on `real` and is cleared there.
    fn open_for_write(&self, real: &Path, clearance: Clearance) -> Result<Site, FileError> {
        let (parent, name) = split(real);
        let Some(name) = name else {
            return Err(FileError::NotRegular(self.display(real), "the workspace"));
        };
        // A folder that leads outside is refused as such before anything is created.
        let (_, _, missing) = self.deepest(&parent)?;
        if !missing.as_os_str().is_empty() {
            self.dir
                .create_dir_all(&parent)
                .map_err(|e| self.io(&parent, &e))?;
        }
        let dir = if parent.as_os_str().is_empty() {
            self.dir.open_dir(".")
        } else {
            self.dir.open_dir(&parent)
        }
        .map_err(|e| self.io(&parent, &e))?;
        let now = self.real_of(&dir, &parent)?.join(&name);
        let now = now.strip_prefix(".").unwrap_or(&now).to_path_buf();
        if now != real {
            return Err(FileError::Moved {
                path: self.display(real),
                now: self.display(&now),
            });
        }
        let gated = Gated {
            protection: self.protection(&now),
            real: now,
        };
        self.clear(&gated, clearance)?;
        Ok(Site::new(dir, name, self.display(real)))
    }

    fn io(&self, rel: &Path, e: &std::io::Error) -> FileError {
        FileError::of_io(self.display(rel), e)
    }

    /// What `rel` is, not following a final symlink.
    pub fn kind(&self, rel: &Path) -> Result<Kind, FileError> {
        match self.dir.symlink_metadata(rel) {
            Ok(m) => {
                let ft = m.file_type();
                Ok(if ft.is_symlink() {
                    Kind::Symlink
                } else if ft.is_dir() {
                    Kind::Dir
                } else if ft.is_file() {
                    Kind::File
                } else {
                    Kind::Special
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Kind::Missing),
            Err(e) => Err(self.io(rel, &e)),
        }
    }

    /// Checks that `rel` exists inside the workspace (a symlink may lead to it, if it stays
    /// inside): what a walk may start from.
    pub fn check_inside(&self, rel: &Path) -> Result<(), FileError> {
        self.dir
            .metadata(rel)
            .map(|_| ())
            .map_err(|e| self.io(rel, &e))
    }

    /// Whether `rel` is a directory (following symlinks that stay inside).
    #[must_use]
    pub fn is_dir(&self, rel: &Path) -> bool {
        self.dir.metadata(rel).is_ok_and(|m| m.is_dir())
    }

    /// Reads a regular file, at most `limit` bytes; returns the bytes and the file's size.
    /// Opening never blocks (a FIFO is refused by its type, not waited on).
    pub fn read(&self, rel: &Path, limit: usize) -> Result<(Vec<u8>, u64), FileError> {
        let mut options = OpenOptions::new();
        options
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
        let mut file = self
            .dir
            .open_with(rel, &options)
            .map_err(|e| self.io(rel, &e))?;
        let meta = file.metadata().map_err(|e| self.io(rel, &e))?;
        if !meta.is_file() {
            return Err(FileError::NotRegular(
                self.display(rel),
                kind_name(meta.file_type()),
            ));
        }
        if meta.nlink() > 1 && !self.guard.read_hard_links {
            return Err(FileError::HardLinked(self.display(rel), meta.nlink()));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).min(limit));
        (&mut file)
            .take(u64::try_from(limit).unwrap_or(u64::MAX))
            .read_to_end(&mut bytes)
            .map_err(|e| self.io(rel, &e))?;
        Ok((bytes, meta.len()))
    }

    /// What `rel` holds, as a change records it: a file's bytes (at most `limit`) and mode, a
    /// link's target, or nothing.
    pub fn node(
        &self,
        rel: &Path,
        limit: usize,
    ) -> Result<Option<crate::changes::Node>, FileError> {
        use crate::changes::Node;
        match self.kind(rel)? {
            Kind::Missing => Ok(None),
            Kind::Symlink => {
                let target = self
                    .dir
                    .read_link_contents(rel)
                    .map_err(|e| self.io(rel, &e))?;
                Ok(Some(Node::Link {
                    target: target.to_string_lossy().into_owned(),
                }))
            }
            Kind::File => {
                let mode = self
                    .dir
                    .symlink_metadata(rel)
                    .map_err(|e| self.io(rel, &e))?
                    .permissions()
                    .mode();
                let (bytes, _) = self.read(rel, limit)?;
                Ok(Some(Node::file(&bytes, mode)))
            }
            Kind::Dir => Err(FileError::NotRegular(self.display(rel), "a directory")),
            Kind::Special => Err(FileError::NotRegular(
                self.display(rel),
                "a named pipe, socket or device",
            )),
        }
    }

    /// The entries of a directory: name, whether a directory, size.
    pub fn list(&self, rel: &Path) -> Result<Vec<(String, bool, u64)>, FileError> {
        let entries = self.dir.read_dir(rel).map_err(|e| self.io(rel, &e))?;
        Ok(entries
            .filter_map(Result::ok)
            .map(|e| {
                let meta = e.metadata().ok();
                let is_dir = meta.as_ref().is_some_and(cap_std::fs::Metadata::is_dir);
                let size = meta.map_or(0, |m| m.len());
                (e.file_name().to_string_lossy().into_owned(), is_dir, size)
            })
            .collect())
    }

    /// Writes `bytes` to `rel` atomically (a temporary file beside it, then a rename),
    /// creating parent directories and keeping an existing file's permissions (or setting
    /// `mode`). `rel` must be where the write really lands (the gate's `real`): it is checked
    /// again on the open folder, and cleared. A symlink is never written through, and nothing
    /// is written outside the root.
    pub fn write(
        &self,
        rel: &Path,
        bytes: &[u8],
        mode: Option<u32>,
        clearance: Clearance,
    ) -> Result<(), FileError> {
        self.open_for_write(rel, clearance)?.write(bytes, mode)
    }

    /// Makes `rel` a symbolic link to `target` (replacing a file or link there), cleared as a
    /// write.
    pub fn symlink(&self, rel: &Path, target: &str, clearance: Clearance) -> Result<(), FileError> {
        self.open_for_write(rel, clearance)?.symlink(target)
    }

    /// Moves `from` (a file or folder outside the workspace: a command's output in its overlay's
    /// upper layer) to `rel`, cleared as a write; copied where a rename cannot cross file
    /// systems. Nothing already at `rel` but a file or link is replaced.
    pub fn adopt(&self, rel: &Path, from: &Path, clearance: Clearance) -> Result<(), FileError> {
        self.open_for_write(rel, clearance)?.adopt(from)
    }

    /// Removes what is at `rel` — a file, a link, or a folder with all it holds — beneath the
    /// root, never following a link: for what a command made where nothing may be made (no
    /// gate: the command's own write is taken back).
    pub fn purge(&self, rel: &Path) -> Result<(), FileError> {
        match self.dir.symlink_metadata(rel) {
            Ok(m) if m.is_dir() => self.dir.remove_dir_all(rel),
            Ok(_) => self.dir.remove_file(rel),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
        .map_err(|e| self.io(rel, &e))
    }

    /// Makes the folder `rel` (and what is missing above it), cleared as a write.
    pub fn create_dir(&self, rel: &Path, clearance: Clearance) -> Result<(), FileError> {
        self.open_for_write(rel, clearance)?.create_dir()
    }

    /// Deletes a file or symbolic link at `rel` (never a directory, never a link's target),
    /// cleared as a write.
    pub fn remove(&self, rel: &Path, clearance: Clearance) -> Result<(), FileError> {
        self.open_for_write(rel, clearance)?.remove()
    }

    /// Moves `from` to `to` (creating `to`'s parents); both stay beneath the root and both are
    /// cleared as writes.
    pub fn rename(&self, from: &Path, to: &Path, clearance: Clearance) -> Result<(), FileError> {
        let from = self.open_for_write(from, clearance)?;
        from.rename_to(&self.open_for_write(to, clearance)?)
    }

    /// The folders above `rel` that do not exist yet, deepest first, as shown: what a write to
    /// `rel` creates, and so what undoing it may remove.
    #[must_use]
    pub fn missing_dirs(&self, rel: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut dir = rel.parent();
        while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
            if !matches!(self.kind(d), Ok(Kind::Missing)) {
                break;
            }
            out.push(self.display(d));
            dir = d.parent();
        }
        out
    }

    /// Removes `dirs` (as shown, deepest first) while they are empty: the folders a write
    /// created, after undoing it. A folder that holds anything, or was there before, stays.
    pub fn remove_created_dirs(&self, dirs: &[String]) {
        // An empty folder removed changes no file's content, so no gate is needed.
        for shown in dirs {
            let Ok(d) = self.resolve(shown) else { break };
            if self.dir.remove_dir(&d).is_err() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests;
