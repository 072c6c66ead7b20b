//! Workspace confinement: every path a tool touches must resolve inside the workspace.
//!
//! A path is resolved in two steps. First lexically: relative to the workspace root, with `.`
//! and `..` folded, and refused if that already leaves the root. Then physically: the longest
//! existing ancestor is canonicalised (following symlinks) and the rest appended, and the result
//! must still be under the canonical root. So `../x`, `/etc/passwd`, `/proc/self/root/…`, a
//! symlink pointing out, and a file under a symlinked directory that points out are all refused,
//! while a symlink that stays inside is fine.

use std::path::{Component, Path, PathBuf};

/// The workspace root, canonical.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
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

impl Workspace {
    /// `root` must exist; it is canonicalised.
    pub fn new(root: &Path) -> std::io::Result<Workspace> {
        Ok(Workspace {
            root: root.canonicalize()?,
        })
    }

    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path relative to the root, for messages (`src/main.rs`).
    #[must_use]
    pub fn display(&self, path: &Path) -> String {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        if rel.as_os_str().is_empty() {
            ".".to_string()
        } else {
            rel.display().to_string()
        }
    }

    fn outside(&self, input: &str) -> ConfineError {
        ConfineError::Outside(input.to_string(), self.root.display().to_string())
    }

    /// Resolves a path the model gave (absolute, or relative to the root) to a real path inside
    /// the workspace. The path need not exist (for writes).
    pub fn resolve(&self, input: &str) -> Result<PathBuf, ConfineError> {
        if input.trim().is_empty() {
            return Err(ConfineError::Empty);
        }
        if input.contains('\0') {
            return Err(ConfineError::Nul(input.to_string()));
        }
        let raw = Path::new(input);
        let joined = if raw.is_absolute() {
            raw.to_path_buf()
        } else {
            self.root.join(raw)
        };
        // Lexical normalisation: fold `.` and `..` without touching the file system.
        let mut lexical = PathBuf::new();
        for c in joined.components() {
            match c {
                Component::Prefix(_) | Component::RootDir => lexical.push(c.as_os_str()),
                Component::CurDir => {}
                Component::ParentDir => {
                    if !lexical.pop() {
                        return Err(self.outside(input));
                    }
                }
                Component::Normal(n) => lexical.push(n),
            }
        }
        if !lexical.starts_with(&self.root) {
            return Err(self.outside(input));
        }
        // Physical check: canonicalise the longest existing ancestor (following symlinks).
        let mut existing = lexical.as_path();
        let mut rest = Vec::new();
        loop {
            match existing.symlink_metadata() {
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let Some(name) = existing.file_name() else {
                        return Err(self.outside(input));
                    };
                    rest.push(name.to_os_string());
                    existing = existing.parent().ok_or_else(|| self.outside(input))?;
                }
                Err(e) => {
                    return Err(ConfineError::Io {
                        path: input.to_string(),
                        detail: e.to_string(),
                    });
                }
            }
        }
        // A dangling symlink: refuse rather than guess where a write would land.
        let Ok(mut real) = existing.canonicalize() else {
            return Err(self.outside(input));
        };
        for name in rest.iter().rev() {
            real.push(name);
        }
        if real.starts_with(&self.root) {
            Ok(real)
        } else {
            Err(self.outside(input))
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
        symlink(ws.path().join("src/main.rs"), ws.path().join("link_in.rs")).unwrap();
        symlink(ws.path().join("nowhere"), ws.path().join("dangling")).unwrap();
        let w = Workspace::new(ws.path()).unwrap();
        (ws, outside, w)
    }

    #[test]
    fn escape_attempts_are_refused() {
        let (_ws, outside, w) = setup();
        let out = outside.path().display().to_string();
        let attempts = [
            "../secret.txt".to_string(),
            "src/../../secret.txt".into(),
            "src/inner/../../../etc/passwd".into(),
            "/etc/passwd".into(),
            "/proc/self/environ".into(),
            "/proc/self/root/etc/passwd".into(),
            format!("{out}/secret.txt"),
            "linked_dir/secret.txt".into(),
            "linked_dir/new_file.txt".into(),
            "link_out.txt".into(),
            "linked_dir/../linked_dir/secret.txt".into(),
            "dangling".into(),
            "/".into(),
            "..".into(),
            "./../.".into(),
        ];
        for a in &attempts {
            let r = w.resolve(a);
            assert!(
                matches!(r, Err(ConfineError::Outside(..))),
                "{a} resolved to {r:?}"
            );
        }
        assert_eq!(w.resolve("").unwrap_err(), ConfineError::Empty);
        assert!(matches!(w.resolve("a\0b"), Err(ConfineError::Nul(_))));
    }

    #[test]
    fn paths_inside_resolve_including_new_files_and_inner_links() {
        let (ws, _o, w) = setup();
        let root = ws.path().canonicalize().unwrap();
        assert_eq!(w.resolve("src/main.rs").unwrap(), root.join("src/main.rs"));
        assert_eq!(
            w.resolve("./src/../src/main.rs").unwrap(),
            root.join("src/main.rs")
        );
        assert_eq!(
            w.resolve(root.join("src/new.rs").to_str().unwrap())
                .unwrap(),
            root.join("src/new.rs")
        );
        assert_eq!(w.resolve("a/b/c.txt").unwrap(), root.join("a/b/c.txt"));
        assert_eq!(w.resolve("link_in.rs").unwrap(), root.join("src/main.rs"));
        assert_eq!(w.resolve(".").unwrap(), root);
        assert_eq!(w.display(&root.join("src/main.rs")), "src/main.rs");
    }
}
