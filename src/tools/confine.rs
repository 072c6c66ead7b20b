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

use std::io::{Read as _, Write as _};
use std::os::fd::AsRawFd as _;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use cap_std::ambient_authority;
use cap_std::fs::{Dir, MetadataExt as _, OpenOptions, OpenOptionsExt as _, PermissionsExt as _};

pub use super::protect::{Guard, Protected};

/// The workspace root: its canonical path, and an open handle every operation goes through.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    dir: Arc<Dir>,
    guard: Guard,
    /// `[[checkpoints]]`: paths and new text that a human reviews in every gear.
    checkpoints: Arc<super::checkpoints::Checkpoints>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfineError {
    #[error("`{0}` is outside the workspace; only paths inside {1} can be used")]
    Outside(String, String),
    #[error("the path is empty")]
    Empty,
    #[error("`{0}` contains a NUL byte")]
    Nul(String),
    #[error("cannot resolve `{path}`: {detail}")]
    Io { path: String, detail: String },
}

/// What a path is, without following a final symlink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Missing,
    File,
    Dir,
    Symlink,
    /// A FIFO, socket or device.
    Special,
}

/// A file operation's failure, worded for the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("{0} does not exist; use list_dir or glob to find the right path")]
    NotFound(String),
    #[error(
        "refused: `{0}` leads outside the workspace (a symbolic link or a path swapped for one)"
    )]
    Escapes(String),
    #[error("refused: {0} is {1}, not a regular file; only regular files are read or written")]
    NotRegular(String, &'static str),
    #[error(
        "refused: {0} has {1} hard links, and one of them may be a file outside the workspace; \
         the user can allow this with [files] read_hard_links = true"
    )]
    HardLinked(String, u64),
    #[error("refused: {0} is a symbolic link; write the file it points to instead")]
    Symlink(String),
    #[error("refused: {path} is protected: {why}")]
    Protected { path: String, why: String },
    #[error(
        "refused: {path} leads somewhere else now ({now}) than when it was checked; nothing was \
         written"
    )]
    Moved { path: String, now: String },
    #[error("cannot access {0}: {1}")]
    Io(String, String),
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

/// cap-std's refusal of a path that would leave the directory.
fn escaped(e: &std::io::Error) -> bool {
    e.to_string().contains("outside of the filesystem")
}

fn kind_name(ft: cap_std::fs::FileType) -> &'static str {
    use cap_std::fs::FileTypeExt as _;
    if ft.is_fifo() {
        "a named pipe (FIFO)"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_char_device() || ft.is_block_device() {
        "a device"
    } else if ft.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
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

/// A relative path as its folder and its final name (`.` has none).
fn split(rel: &Path) -> (PathBuf, Option<String>) {
    if rel == Path::new(".") || rel.as_os_str().is_empty() {
        return (PathBuf::new(), None);
    }
    let parent = rel.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = rel.file_name().map(|n| n.to_string_lossy().into_owned());
    (parent, name)
}

/// `real_parent/rest/name`, without a leading `./`.
fn join(real_parent: &Path, rest: &Path, name: Option<&str>) -> PathBuf {
    let mut out = if real_parent == Path::new(".") {
        PathBuf::new()
    } else {
        real_parent.to_path_buf()
    };
    out.push(rest);
    if let Some(name) = name {
        out.push(name);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
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

    fn outside(&self, input: &str) -> ConfineError {
        ConfineError::Outside(input.to_string(), self.root.display().to_string())
    }

    /// Folds a path the model gave (absolute under the root, or relative to it) into a path
    /// relative to the root: `.` for the root itself. Nothing is touched on disk; the handle
    /// decides about symlinks when the path is used.
    pub fn resolve(&self, input: &str) -> Result<PathBuf, ConfineError> {
        if input.trim().is_empty() {
            return Err(ConfineError::Empty);
        }
        if input.contains('\0') {
            return Err(ConfineError::Nul(input.to_string()));
        }
        let raw = Path::new(input);
        let relative = if raw.is_absolute() {
            raw.strip_prefix(&self.root)
                .map_err(|_| self.outside(input))?
        } else {
            raw
        };
        let mut out = PathBuf::new();
        for c in relative.components() {
            match c {
                Component::Normal(n) => out.push(n),
                Component::CurDir => {}
                Component::ParentDir => {
                    if !out.pop() {
                        return Err(self.outside(input));
                    }
                }
                Component::RootDir | Component::Prefix(_) => return Err(self.outside(input)),
            }
        }
        if out.as_os_str().is_empty() {
            out.push(".");
        }
        Ok(out)
    }

    /// What protects `real` (a path already resolved, relative to the root), if anything.
    #[must_use]
    pub fn protection(&self, real: &Path) -> Option<Protected> {
        super::protect::protection(&self.guard, &self.checkpoints, real)
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
    fn open_for_write(
        &self,
        real: &Path,
        clearance: Clearance,
    ) -> Result<(Dir, String), FileError> {
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
        Ok((dir, name))
    }

    fn io(&self, rel: &Path, e: &std::io::Error) -> FileError {
        let shown = self.display(rel);
        if escaped(e) {
            FileError::Escapes(shown)
        } else if e.kind() == std::io::ErrorKind::NotFound {
            FileError::NotFound(shown)
        } else {
            FileError::Io(shown, e.to_string())
        }
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
        let (dir, name) = self.open_for_write(rel, clearance)?;
        let kept = match dir.symlink_metadata(&name) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(FileError::Symlink(self.display(rel)));
            }
            Ok(m) if !m.is_file() => {
                return Err(FileError::NotRegular(
                    self.display(rel),
                    kind_name(m.file_type()),
                ));
            }
            Ok(m) => Some(m.permissions().mode()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(self.io(rel, &e)),
        };
        let mode = mode.or(kept);
        let tmp = format!(".{name}.gearshift-{:08x}.tmp", fastrand::u32(..));
        let result = (|| {
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            let mut f = dir.open_with(&tmp, &options)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            if let Some(mode) = mode {
                f.set_permissions(cap_std::fs::Permissions::from_mode(mode))?;
            }
            dir.rename(&tmp, &dir, &name)
        })();
        if let Err(e) = result {
            let _ = dir.remove_file(&tmp);
            return Err(self.io(rel, &e));
        }
        Ok(())
    }

    /// Makes `rel` a symbolic link to `target` (replacing a file or link there), cleared as a
    /// write.
    pub fn symlink(&self, rel: &Path, target: &str, clearance: Clearance) -> Result<(), FileError> {
        let (dir, name) = self.open_for_write(rel, clearance)?;
        let tmp = format!(".{name}.gearshift-{:08x}.tmp", fastrand::u32(..));
        dir.symlink_contents(target, &tmp)
            .and_then(|()| dir.rename(&tmp, &dir, &name))
            .map_err(|e| {
                let _ = dir.remove_file(&tmp);
                self.io(rel, &e)
            })
    }

    /// Moves `from` (a file or folder outside the workspace: a command's output in its overlay's
    /// upper layer) to `rel`, cleared as a write; copied where a rename cannot cross file
    /// systems. Nothing already at `rel` but a file or link is replaced.
    pub fn adopt(&self, rel: &Path, from: &Path, clearance: Clearance) -> Result<(), FileError> {
        let (dir, name) = self.open_for_write(rel, clearance)?;
        if let Ok(m) = dir.symlink_metadata(&name)
            && m.is_dir()
        {
            return Err(FileError::NotRegular(self.display(rel), "a directory"));
        }
        match std::fs::rename(from, fd_path(&dir).join(&name)) {
            Ok(()) => Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
                copy_into(from, &dir, &name).map_err(|e| self.io(rel, &e))
            }
            Err(e) => Err(self.io(rel, &e)),
        }
    }

    /// Makes the folder `rel` (and what is missing above it), cleared as a write.
    pub fn create_dir(&self, rel: &Path, clearance: Clearance) -> Result<(), FileError> {
        let (dir, name) = self.open_for_write(rel, clearance)?;
        match dir.create_dir(&name) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(self.io(rel, &e)),
        }
    }

    /// Deletes a file or symbolic link at `rel` (never a directory, never a link's target),
    /// cleared as a write.
    pub fn remove(&self, rel: &Path, clearance: Clearance) -> Result<(), FileError> {
        let (dir, name) = self.open_for_write(rel, clearance)?;
        dir.remove_file(&name).map_err(|e| self.io(rel, &e))
    }

    /// Moves `from` to `to` (creating `to`'s parents); both stay beneath the root and both are
    /// cleared as writes.
    pub fn rename(&self, from: &Path, to: &Path, clearance: Clearance) -> Result<(), FileError> {
        let (from_dir, from_name) = self.open_for_write(from, clearance)?;
        let (to_dir, to_name) = self.open_for_write(to, clearance)?;
        from_dir
            .rename(&from_name, &to_dir, &to_name)
            .map_err(|e| self.io(from, &e))
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
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn setup() -> (tempfile::TempDir, tempfile::TempDir, Workspace) {
        let ws = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(ws.path().join("src/inner")).unwrap();
        std::fs::write(ws.path().join("src/main.rs"), "fn main() {}").unwrap();
        std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
        symlink(outside.path(), ws.path().join("linked_dir")).unwrap();
        symlink(
            outside.path().join("secret.txt"),
            ws.path().join("link_out.txt"),
        )
        .unwrap();
        symlink("src/main.rs", ws.path().join("link_in.rs")).unwrap();
        symlink(ws.path().join("nowhere"), ws.path().join("dangling")).unwrap();
        let w = Workspace::new(ws.path()).unwrap();
        (ws, outside, w)
    }

    #[test]
    fn escapes_are_refused_lexically_or_by_the_handle() {
        let (_ws, outside, w) = setup();
        let out = outside.path().display().to_string();
        for a in [
            "../secret.txt".to_string(),
            "src/../../secret.txt".into(),
            "src/inner/../../../etc/passwd".into(),
            "/etc/passwd".into(),
            "/proc/self/environ".into(),
            "/proc/self/root/etc/passwd".into(),
            format!("{out}/secret.txt"),
            "/".into(),
            "..".into(),
            "./../.".into(),
        ] {
            assert!(
                matches!(w.resolve(&a), Err(ConfineError::Outside(..))),
                "{a} resolved to {:?}",
                w.resolve(&a)
            );
        }
        for a in [
            "linked_dir/secret.txt",
            "linked_dir/../linked_dir/secret.txt",
            "link_out.txt",
        ] {
            let rel = w.resolve(a).unwrap();
            assert!(
                matches!(w.read(&rel, 100), Err(FileError::Escapes(_))),
                "{a}: {:?}",
                w.read(&rel, 100)
            );
        }
        let rel = w.resolve("linked_dir/new_file.txt").unwrap();
        let e = w.write(&rel, b"x", None, Clearance::Plain);
        assert!(matches!(e, Err(FileError::Escapes(_))), "{e:?}");
        assert!(!outside.path().join("new_file.txt").exists());
        assert_eq!(w.resolve("").unwrap_err(), ConfineError::Empty);
        assert!(matches!(w.resolve("a\0b"), Err(ConfineError::Nul(_))));
    }

    #[test]
    fn paths_inside_resolve_including_new_files_and_inner_links() {
        let (ws, _o, w) = setup();
        let root = ws.path().canonicalize().unwrap();
        assert_eq!(w.resolve("src/main.rs").unwrap(), Path::new("src/main.rs"));
        assert_eq!(
            w.resolve("./src/../src/main.rs").unwrap(),
            Path::new("src/main.rs")
        );
        assert_eq!(
            w.resolve(root.join("src/new.rs").to_str().unwrap())
                .unwrap(),
            Path::new("src/new.rs")
        );
        assert_eq!(w.resolve(".").unwrap(), Path::new("."));
        let (bytes, _) = w.read(&w.resolve("link_in.rs").unwrap(), 100).unwrap();
        assert_eq!(bytes, b"fn main() {}");
        assert_eq!(w.display(Path::new("src/main.rs")), "src/main.rs");
        assert!(matches!(
            w.write(Path::new("link_in.rs"), b"x", None, Clearance::Plain),
            Err(FileError::Symlink(_))
        ));
    }

    #[test]
    fn only_regular_files_with_one_link_are_read() {
        let (ws, outside, w) = setup();
        nix::unistd::mkfifo(
            &ws.path().join("pipe"),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        let started = std::time::Instant::now();
        assert!(matches!(
            w.read(Path::new("pipe"), 100),
            Err(FileError::NotRegular(_, "a named pipe (FIFO)"))
        ));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        // A hard link to a file outside (same file system: both in the temp dir).
        if std::fs::hard_link(
            outside.path().join("secret.txt"),
            ws.path().join("hard.txt"),
        )
        .is_ok()
        {
            let err = w.read(Path::new("hard.txt"), 100).unwrap_err();
            assert!(matches!(err, FileError::HardLinked(_, 2)), "{err}");
            let w = w.with_guard(Guard {
                read_hard_links: true,
                ..Guard::default()
            });
            assert_eq!(w.read(Path::new("hard.txt"), 100).unwrap().0, b"secret");
        }
    }

    #[test]
    fn writes_are_atomic_keep_the_mode_and_leave_no_temp_file() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let w = Workspace::new(dir.path()).unwrap();
        let path = dir.path().join("run.sh");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        w.write(Path::new("run.sh"), b"new", None, Clearance::Plain)
            .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o755
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let created = w.missing_dirs(Path::new("a/b/c.txt"));
        assert_eq!(created, ["a/b", "a"]);
        w.write(Path::new("a/b/c.txt"), b"x", None, Clearance::Plain)
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a/b/c.txt")).unwrap(),
            "x"
        );
        w.remove(Path::new("a/b/c.txt"), Clearance::Plain).unwrap();
        w.remove_created_dirs(&created);
        assert!(!dir.path().join("a").exists());
    }
}
