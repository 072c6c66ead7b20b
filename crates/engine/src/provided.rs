//! Files another party put in place, read by gearshift itself: a repository's memory files,
//! custom commands, skills, pipelines, hook settings, `.mcp.json` and config. gearshift reads
//! them outside the sandbox, and what it reads may go into a prompt — so a repository's file
//! is read only where it really lies inside that repository, wherever its links lead (a
//! committed `AGENTS.md -> /proc/self/environ` or `-> ~/.aws/credentials` is refused), never
//! under `.git` or from a `.env` file; and any file only if it is a regular one (a FIFO or a
//! device is refused by its type, without blocking) of a bounded size. The user's own files
//! (their home, their config directory) are theirs to link anywhere.

use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

/// Where another tool's files (skills, agents) are looked for.
#[derive(Debug, Clone, Copy)]
pub struct Roots<'a> {
    /// gearshift's config dir (`<config>/skills`, `<config>/agents`).
    pub config_dir: Option<&'a Path>,
    /// The user's home (`~/.claude/…`, `~/.codex/…`, `~/.agents/…`).
    pub home: Option<&'a Path>,
    pub workspace: &'a Path,
}

/// Where a file another tool defines (a skill, an agent) came from, in increasing precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    BuiltIn,
    User,
    Workspace,
}

impl Origin {
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Origin::BuiltIn => "built-in",
            Origin::User => "user",
            Origin::Workspace => "workspace",
        }
    }
}

/// Who provides a file, and so where it may lie.
#[derive(Debug, Clone, Copy)]
pub enum Party<'a> {
    /// The user: anywhere.
    User,
    /// A repository (or workspace) with this root: only inside it.
    Repository(&'a Path),
}

/// One file found in one of several places: where it is, where it came from, who may
/// provide it there, and its text (at most the limit) or why it could not be read.
pub struct Found<'a> {
    pub path: PathBuf,
    pub origin: Origin,
    pub party: Party<'a>,
    pub text: std::io::Result<String>,
}

/// Reads every file `files` lists in each of `places` (lowest precedence first), each as its
/// place's party provides it — a workspace's only where it really lies inside `workspace` —
/// at most `limit` bytes. A folder reached twice (a link to it) is read once.
pub fn read_places<'a>(
    places: Vec<(PathBuf, Origin)>,
    workspace: &'a Path,
    limit: u64,
    files: impl Fn(&Path) -> Vec<PathBuf>,
) -> Vec<Found<'a>> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (dir, origin) in places {
        if !std::fs::canonicalize(&dir).is_ok_and(|c| seen.insert(c)) {
            continue;
        }
        let party = match origin {
            Origin::Workspace => Party::Repository(workspace),
            Origin::BuiltIn | Origin::User => Party::User,
        };
        for path in files(&dir) {
            let text = read(&path, party, limit);
            out.push(Found {
                path,
                origin,
                party,
                text,
            });
        }
    }
    out
}

/// Whether `real` (canonical) may be read as `from`'s: inside the repository's canonical root,
/// and neither under a `.git` nor a `.env` file.
fn inside(real: &Path, from: Party<'_>) -> bool {
    let Party::Repository(root) = from else {
        return true;
    };
    let Ok(root) = root.canonicalize() else {
        return false;
    };
    let Ok(rel) = real.strip_prefix(&root) else {
        return false;
    };
    !rel.components().any(|c| {
        let c = c.as_os_str().to_string_lossy().to_lowercase();
        c == ".git" || c == ".env" || c.starts_with(".env.")
    })
}

/// Where `path` really is, if `from` may provide it (see [`read`]). `NotFound` when it does
/// not exist; `PermissionDenied`, worded for the user, when it leads where `from` may not.
pub fn locate(path: &Path, from: Party<'_>) -> std::io::Result<PathBuf> {
    let real = path.canonicalize()?;
    if inside(&real, from) {
        Ok(real)
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!(
                "{} leads to {}, outside the repository (or into `.git` or a `.env` file); it \
                 is not read",
                path.display(),
                real.display()
            ),
        ))
    }
}

/// Reads `path`, provided by `from`, as text: at most `limit` bytes (more is an error), a
/// regular file only, where `from` may provide it. `NotFound` when there is no such file.
pub fn read(path: &Path, from: Party<'_>, limit: u64) -> std::io::Result<String> {
    let real = locate(path, from)?;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_NOFOLLOW)
        .open(&real)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    if meta.len() > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{} is larger than {limit} bytes ({} bytes)",
                path.display(),
                meta.len()
            ),
        ));
    }
    let mut text = String::new();
    (&mut file).take(limit).read_to_string(&mut text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repositorys_file_is_read_only_where_it_really_lies_inside_it() {
        let repo = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = repo.path();
        std::fs::write(outside.path().join("key"), "sk-secret").unwrap();
        std::fs::write(root.join("real.md"), "hello").unwrap();
        std::fs::write(root.join(".env"), "KEY=1").unwrap();
        std::fs::create_dir(root.join(".git")).unwrap();
        std::fs::write(root.join(".git/config"), "[core]").unwrap();
        let link = |target: &Path, name: &str| {
            std::os::unix::fs::symlink(target, root.join(name)).unwrap();
        };
        link(Path::new("/proc/self/environ"), "AGENTS.md");
        link(&outside.path().join("key"), "CLAUDE.md");
        link(&root.join(".env"), "env.md");
        link(&root.join(".git/config"), "git.md");
        link(&root.join("real.md"), "inside.md");
        let from = Party::Repository(root);
        for name in ["AGENTS.md", "CLAUDE.md", "env.md", "git.md"] {
            let e = read(&root.join(name), from, 1024).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied, "{name}");
        }
        assert_eq!(read(&root.join("inside.md"), from, 1024).unwrap(), "hello");
        assert_eq!(
            read(&root.join("missing.md"), from, 1024)
                .unwrap_err()
                .kind(),
            std::io::ErrorKind::NotFound
        );
        // The user's own file may be linked anywhere; nothing is read past its limit or from
        // a FIFO.
        assert_eq!(
            read(&root.join("CLAUDE.md"), Party::User, 1024).unwrap(),
            "sk-secret"
        );
        assert!(read(&root.join("real.md"), Party::User, 2).is_err());
        nix::unistd::mkfifo(&root.join("fifo.md"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        assert!(read(&root.join("fifo.md"), from, 1024).is_err());
    }
}
