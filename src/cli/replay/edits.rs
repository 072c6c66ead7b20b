//! The human's edits between turns, done again on a replay's copy from what the model was told
//! of them: a deleted file is deleted, an edit told as a diff is applied (with `diffy`), and the
//! result must have the hash the original recorded. The recording is evidence, not authority:
//! every write passes the workspace's one gate as a plain write.

use std::path::Path;

use crate::changes::hash;
use crate::tools::{Clearance, Workspace};

/// The largest file whose edit is repeated.
const MAX_EDITED: usize = 16 << 20;

/// Does again the edit of `path` that left it with `hash` (`None`: deleted), told as `diff`.
pub fn repeat(
    ws: &Workspace,
    path: &str,
    hash_now: Option<&str>,
    diff: Option<String>,
) -> Result<(), String> {
    let rel = Path::new(path);
    let current = match ws.read(rel, MAX_EDITED) {
        Ok((_, size)) if size > MAX_EDITED as u64 => {
            return Err(format!("it is larger than {} MB", MAX_EDITED >> 20));
        }
        Ok((bytes, _)) => Some(String::from_utf8(bytes).map_err(|_| "it is not text".to_string())?),
        Err(_) if !ws.root().join(rel).exists() => None,
        Err(e) => return Err(e.to_string()),
    };
    if current.as_deref().map(|c| hash(c.as_bytes())).as_deref() == hash_now {
        return Ok(());
    }
    let Some(want) = hash_now else {
        return ws.remove(rel, Clearance::Plain).map_err(|e| e.to_string());
    };
    let (Some(current), Some(diff)) = (current, diff) else {
        return Err("the session recorded only that it changed, not how".into());
    };
    let patch =
        diffy::Patch::from_str(&diff).map_err(|e| format!("its diff is unreadable: {e}"))?;
    let edited =
        diffy::apply(&current, &patch).map_err(|e| format!("its diff does not apply: {e}"))?;
    if hash(edited.as_bytes()) != want {
        return Err("its diff does not give what the original had".into());
    }
    ws.write(rel, edited.as_bytes(), None, Clearance::Plain)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repeat(
        root: &Path,
        path: &str,
        hash_now: Option<&str>,
        diff: Option<String>,
    ) -> Result<(), String> {
        super::repeat(&Workspace::new(root).unwrap(), path, hash_now, diff)
    }

    fn told(was: &str, now: &str) -> String {
        similar::TextDiff::from_lines(was, now)
            .unified_diff()
            .context_radius(2)
            .header("as you wrote it", "now")
            .to_string()
    }

    #[test]
    fn an_edit_told_as_a_diff_is_done_again_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let was = "one\ntwo\nthree\nfour\n";
        let now = "one\nTWO\nthree\nfour\nfive\n";
        std::fs::write(dir.path().join("a.txt"), was).unwrap();
        repeat(
            dir.path(),
            "a.txt",
            Some(&hash(now.as_bytes())),
            Some(told(was, now)),
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
            now
        );
        // Done already: nothing to do.
        repeat(dir.path(), "a.txt", Some(&hash(now.as_bytes())), None).unwrap();

        // A diff that does not give the recorded content is not written.
        std::fs::write(dir.path().join("b.txt"), was).unwrap();
        let err = repeat(
            dir.path(),
            "b.txt",
            Some(&hash(b"other\n")),
            Some(told(was, now)),
        )
        .unwrap_err();
        assert!(err.contains("does not give"), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("b.txt")).unwrap(),
            was
        );

        // Too long to have been told: said, not guessed.
        let err = repeat(dir.path(), "b.txt", Some(&hash(now.as_bytes())), None).unwrap_err();
        assert!(err.contains("not how"), "{err}");

        // Deleted.
        repeat(dir.path(), "b.txt", None, None).unwrap();
        assert!(!dir.path().join("b.txt").exists());
    }

    #[test]
    fn a_recorded_edit_never_writes_outside_the_copy_or_where_writes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("x"), "was\n").unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        let diff = told("was\n", "now\n");
        let want = hash(b"now\n");
        assert!(repeat(dir.path(), "out/x", Some(&want), Some(diff.clone())).is_err());
        assert!(repeat(dir.path(), "../x", Some(&want), Some(diff.clone())).is_err());
        assert_eq!(
            std::fs::read_to_string(outside.path().join("x")).unwrap(),
            "was\n"
        );
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join(".git/config"), "was\n").unwrap();
        assert!(repeat(dir.path(), ".git/config", Some(&want), Some(diff)).is_err());
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".git/config")).unwrap(),
            "was\n"
        );
    }
}
