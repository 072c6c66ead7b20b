//! Workspace confinement: every file operation of the model's tools goes through a handle on
//! the workspace directory.
//!
//! A path the model names is first folded lexically (`.` and `..`, an absolute path must lie
//! under the root) into a path relative to the root; then every operation opens it *beneath* an
//! open directory handle with cap-std (on Linux `openat2(RESOLVE_BENEATH)`), so no symlink,
//! `..` or directory swapped for a symlink between two calls can lead it outside: the kernel
//! resolves each operation atomically, beneath the root, or refuses it. Only regular files are
//! read (checked on the open file, without blocking, so a FIFO cannot hang a tool), a file with
//! several hard links is refused (one of them may be outside), and writes are refused on
//! [protected paths](Workspace::protection): `.git`, gearshift's own config and files, and —
//! except through the human's review — `.env` files.

use std::io::{Read as _, Write as _};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use cap_std::ambient_authority;
use cap_std::fs::{Dir, MetadataExt as _, OpenOptions, OpenOptionsExt as _, PermissionsExt as _};

/// The workspace root: its canonical path, and an open handle every operation goes through.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    dir: Arc<Dir>,
    guard: Guard,
    /// `[[checkpoints]]`: paths and new text that a human reviews in every gear.
    checkpoints: Arc<super::checkpoints::Checkpoints>,
}

/// What the file tools may touch besides what is always protected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    /// `.env` files are written only through a human's review (`[files] protect_env`).
    pub protect_env: bool,
    /// Read files with several hard links (`[files] read_hard_links`).
    pub read_hard_links: bool,
    /// gearshift's own files and directories that lie inside the workspace (relative paths):
    /// nothing in them is written.
    pub own: Vec<PathBuf>,
}

impl Default for Guard {
    fn default() -> Self {
        Guard {
            protect_env: true,
            read_hard_links: false,
            own: Vec::new(),
        }
    }
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

/// Why a path may not simply be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protected {
    /// Never written by the model's tools.
    Never(String),
    /// Written only through a human's explicit review (a checkpoint in the diff pane).
    Review(String),
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
    #[error("cannot access {0}: {1}")]
    Io(String, String),
}

/// Files that instruct or configure later sessions — gearshift's and other agents' — which
/// the model writes only through the human's review, in every gear: what it wrote there would
/// steer the next session (or Claude Code, or Codex) without anyone looking. `names` are the
/// path's components, lowercased.
fn instructions(names: &[String]) -> Option<&'static str> {
    let last = names.last()?;
    if matches!(
        last.as_str(),
        "agents.md" | "claude.md" | "agents.override.md" | "claude.local.md"
    ) {
        return Some(
            "memory files are instructions every later session follows (gearshift's, Claude \
             Code's, Codex's); only the user's review writes one",
        );
    }
    if last == ".mcp.json" {
        return Some(
            "`.mcp.json` names commands other agents start; only the user's review writes it",
        );
    }
    match names.first().map(String::as_str) {
        Some(".agents" | ".claude" | ".codex" | ".gearshift") => Some(
            "agent settings, skills and commands are loaded by later sessions (a skill's \
             instructions and scripts, permissions, hooks); only the user's review writes them",
        ),
        _ => None,
    }
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

    /// Whether the model's write tools may write `rel`, and if not, why.
    #[must_use]
    pub fn protection(&self, rel: &Path) -> Option<Protected> {
        let names: Vec<String> = rel
            .components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n.to_string_lossy().to_lowercase()),
                _ => None,
            })
            .collect();
        if names.iter().any(|n| n == ".git") {
            return Some(Protected::Never(
                "`.git` holds git's config and hooks, which run code on the next git command; \
                 the model never writes it"
                    .into(),
            ));
        }
        if names.len() == 2 && names[0] == ".gearshift" && names[1] == "config.toml" {
            return Some(Protected::Never(
                "the workspace's gearshift config could grant permissions; only the user edits it"
                    .into(),
            ));
        }
        if self.guard.own.iter().any(|own| rel.starts_with(own)) {
            return Some(Protected::Never(
                "it is one of gearshift's own files (config, database, trust record)".into(),
            ));
        }
        let is_env = names
            .last()
            .is_some_and(|n| n == ".env" || n.starts_with(".env."));
        if self.guard.protect_env && is_env {
            return Some(Protected::Review(
                "`.env` files hold secrets; only the user's explicit review writes one".into(),
            ));
        }
        if let Some(why) = instructions(&names) {
            return Some(Protected::Review(why.into()));
        }
        let path = rel.to_string_lossy();
        self.checkpoints.path(&path).map(Protected::Review)
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
    /// creating parent directories and keeping an existing file's permissions. A symlink is
    /// never written through, and nothing is written outside the root.
    pub fn write(&self, rel: &Path, bytes: &[u8]) -> Result<(), FileError> {
        let mode = match self.dir.symlink_metadata(rel) {
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
        let parent = rel.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(parent) = parent {
            self.dir
                .create_dir_all(parent)
                .map_err(|e| self.io(parent, &e))?;
        }
        let name = rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp_name = format!(".{name}.gearshift-{:08x}.tmp", fastrand::u32(..));
        let tmp = parent.map_or_else(|| PathBuf::from(&tmp_name), |p| p.join(&tmp_name));
        let result = (|| {
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            let mut f = self.dir.open_with(&tmp, &options)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            if let Some(mode) = mode {
                f.set_permissions(cap_std::fs::Permissions::from_mode(mode))?;
            }
            self.dir.rename(&tmp, &self.dir, rel)
        })();
        if let Err(e) = result {
            let _ = self.dir.remove_file(&tmp);
            return Err(self.io(rel, &e));
        }
        Ok(())
    }

    /// Deletes a file (never a directory, never through a symlink's target).
    pub fn remove(&self, rel: &Path) -> Result<(), FileError> {
        self.dir.remove_file(rel).map_err(|e| self.io(rel, &e))
    }

    /// Moves `from` to `to` (creating `to`'s parents); both stay beneath the root.
    pub fn rename(&self, from: &Path, to: &Path) -> Result<(), FileError> {
        if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
            self.dir
                .create_dir_all(parent)
                .map_err(|e| self.io(parent, &e))?;
        }
        self.dir
            .rename(from, &self.dir, to)
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
        assert!(matches!(w.write(&rel, b"x"), Err(FileError::Escapes(_))));
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
            w.write(Path::new("link_in.rs"), b"x"),
            Err(FileError::Symlink(_))
        ));
    }

    #[test]
    fn protected_paths_are_named_with_their_reason() {
        let (_ws, _o, w) = setup();
        for p in [
            ".git/config",
            ".git/hooks/pre-commit",
            "sub/.git/HEAD",
            ".GIT/config",
            ".gearshift/config.toml",
        ] {
            assert!(
                matches!(w.protection(Path::new(p)), Some(Protected::Never(_))),
                "{p}"
            );
        }
        for p in [
            ".env",
            "app/.env.local",
            ".env.production",
            "AGENTS.md",
            "crates/core/CLAUDE.md",
            "Agents.md",
            ".agents/skills/x/SKILL.md",
            ".claude/settings.json",
            ".claude/skills/pdf/scripts/fill.py",
            ".gearshift/skills/x.md",
            ".gearshift/pipelines/p.toml",
            ".codex/config.toml",
            ".mcp.json",
        ] {
            assert!(
                matches!(w.protection(Path::new(p)), Some(Protected::Review(_))),
                "{p}"
            );
        }
        for p in [
            "src/main.rs",
            "docs/agents.md.bak",
            "src/.claude.rs",
            ".envrc",
            ".github/ci.yml",
        ] {
            assert_eq!(w.protection(Path::new(p)), None, "{p}");
        }
        let w = w.with_guard(Guard {
            protect_env: false,
            own: vec![PathBuf::from("home/config.toml")],
            ..Guard::default()
        });
        assert_eq!(w.protection(Path::new(".env")), None);
        assert!(matches!(
            w.protection(Path::new("home/config.toml")),
            Some(Protected::Never(_))
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
        w.write(Path::new("run.sh"), b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o755
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let created = w.missing_dirs(Path::new("a/b/c.txt"));
        assert_eq!(created, ["a/b", "a"]);
        w.write(Path::new("a/b/c.txt"), b"x").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a/b/c.txt")).unwrap(),
            "x"
        );
        w.remove(Path::new("a/b/c.txt")).unwrap();
        w.remove_created_dirs(&created);
        assert!(!dir.path().join("a").exists());
    }
}
