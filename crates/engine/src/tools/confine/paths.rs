//! Path arithmetic for confinement, nothing touched on disk: a path the model gave folded
//! lexically into one relative to the root, and a relative path split and joined.

use std::path::{Component, Path, PathBuf};

use super::errors::ConfineError;

fn outside(root: &Path, input: &str) -> ConfineError {
    ConfineError::Outside(input.to_string(), root.display().to_string())
}

/// Folds `input` (absolute under `root`, or relative to it) into a path relative to the root:
/// `.` for the root itself.
pub(super) fn fold(root: &Path, input: &str) -> Result<PathBuf, ConfineError> {
    if input.trim().is_empty() {
        return Err(ConfineError::Empty);
    }
    if input.contains('\0') {
        return Err(ConfineError::Nul(input.to_string()));
    }
    let raw = Path::new(input);
    let relative = if raw.is_absolute() {
        raw.strip_prefix(root).map_err(|_| outside(root, input))?
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
                    return Err(outside(root, input));
                }
            }
            Component::RootDir | Component::Prefix(_) => return Err(outside(root, input)),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    Ok(out)
}

/// A relative path as its folder and its final name (`.` has none).
pub(super) fn split(rel: &Path) -> (PathBuf, Option<String>) {
    if rel == Path::new(".") || rel.as_os_str().is_empty() {
        return (PathBuf::new(), None);
    }
    let parent = rel.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = rel.file_name().map(|n| n.to_string_lossy().into_owned());
    (parent, name)
}

/// `real_parent/rest/name`, without a leading `./`.
pub(super) fn join(real_parent: &Path, rest: &Path, name: Option<&str>) -> PathBuf {
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
