use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use super::merge::merge;
use super::*;
use crate::tools::Workspace;

fn run(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

fn write(dir: &Path, rel: &str, text: &str) {
    std::fs::write(dir.join(rel), text).unwrap();
}

/// A repository with a few files committed, one of them changed since and one untracked.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    run(root, &["init", "-q"]);
    for (rel, text) in [
        ("kept.txt", "one\ntwo\nthree\n"),
        ("gone.txt", "bye\n"),
        ("script.sh", "echo hi\n"),
        ("both.txt", "a\nb\nc\n"),
        ("data.bin", "x"),
    ] {
        write(root, rel, text);
    }
    run(root, &["add", "-A"]);
    run(root, &["commit", "-q", "-m", "start"]);
    write(root, "kept.txt", "one\ntwo\nthree\nfour\n");
    write(root, "untracked.txt", "draft\n");
    dir
}

#[test]
fn a_worktrees_change_merges_onto_the_workspace_as_git_would() {
    let dir = repo();
    let root = &dir.path().canonicalize().unwrap();
    let tree = add(root, "sessionid", "s1").unwrap();
    let wt = &tree.dir;
    // The worktree starts where the workspace is: its uncommitted and untracked files too.
    assert_eq!(
        std::fs::read_to_string(wt.join("kept.txt")).unwrap(),
        "one\ntwo\nthree\nfour\n"
    );
    assert_eq!(
        std::fs::read_to_string(wt.join("untracked.txt")).unwrap(),
        "draft\n"
    );
    // The worker: an edit, a deletion, a mode change, a link, a binary file, a new file, a
    // conflicting edit; a file under another umask that it did not change.
    write(wt, "untracked.txt", "draft\nmore\n");
    std::fs::remove_file(wt.join("gone.txt")).unwrap();
    std::fs::set_permissions(wt.join("script.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink("kept.txt", wt.join("link")).unwrap();
    std::fs::write(wt.join("data.bin"), [0u8, 1, 2]).unwrap();
    write(wt, "new.txt", "fresh\n");
    write(wt, "both.txt", "a\nWORKER\nc\n");
    std::fs::set_permissions(wt.join("kept.txt"), std::fs::Permissions::from_mode(0o664)).unwrap();
    // Meanwhile the workspace changes the same line of one file, and the binary one.
    write(root, "both.txt", "a\nHUMAN\nc\n");
    std::fs::write(root.join("data.bin"), [9u8, 9]).unwrap();
    let ws = Workspace::new(root).unwrap();
    let tree_ws = Workspace::new(wt).unwrap();
    let merged = merge(&ws, &tree_ws, &tree, "step 1").unwrap();
    assert!(merged.problems.is_empty(), "{:?}", merged.problems);
    let paths: Vec<&str> = merged
        .changes
        .iter()
        .map(|(p, _, _)| p.to_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "both.txt",
            "data.bin",
            "gone.txt",
            "link",
            "new.txt",
            "script.sh",
            "untracked.txt"
        ],
        "kept.txt only changed its umask bits"
    );
    let after = |rel: &str| {
        merged
            .changes
            .iter()
            .find(|(p, _, _)| p == Path::new(rel))
            .and_then(|(_, _, a)| a.clone())
    };
    assert_eq!(after("gone.txt"), None);
    assert_eq!(after("new.txt"), Some(Node::file(b"fresh\n", 0o644)));
    assert_eq!(
        after("link"),
        Some(Node::Link {
            target: "kept.txt".into()
        })
    );
    assert!(matches!(after("script.sh"), Some(Node::File { mode, .. }) if mode & 0o111 != 0));
    let both = after("both.txt").unwrap().bytes();
    let both = String::from_utf8(both).unwrap();
    assert!(
        both.contains("<<<<<<< the workspace")
            && both.contains("HUMAN")
            && both.contains("WORKER")
            && both.contains(">>>>>>> step 1"),
        "{both}"
    );
    // Both sides changed: a conflict. Only one side changed: a clean change.
    let mut conflicts: Vec<&str> = merged
        .conflicts
        .iter()
        .map(|p| p.to_str().unwrap())
        .collect();
    conflicts.sort_unstable();
    assert_eq!(conflicts, ["both.txt", "data.bin"]);
    // Removed, with its branch; the workspace's own index never held the snapshot.
    remove(root, &tree).unwrap();
    assert!(!tree.dir.exists());
    let branches = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["branch", "--list", "gearshift/*"])
        .output()
        .unwrap();
    assert!(branches.stdout.is_empty());
    let status = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["status", "--porcelain"])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.contains("?? untracked.txt") && status.contains(" M kept.txt"),
        "{status}"
    );
}

#[test]
fn a_workspace_that_is_not_the_top_of_a_repository_gets_no_worktree() {
    let dir = repo();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    assert!(add(&sub, "s", "s1").unwrap_err().contains("not the top"));
    let plain = tempfile::tempdir().unwrap();
    assert!(add(plain.path(), "s", "s1").is_err());
}

#[test]
fn pruning_removes_what_a_stopped_run_left_but_what_waits_and_subagents_worktrees() {
    let dir = repo();
    let root = &dir.path().canonicalize().unwrap();
    let left = add(root, "session1", "s1").unwrap();
    let waits = add(root, "session1", "s2").unwrap();
    let subagent = add(root, "session1", "t0abc").unwrap();
    let other = add(root, "session2", "s1").unwrap();
    assert!(prune(root, "session1", &["s2".to_string()]).is_empty());
    assert!(!left.dir.exists());
    for kept in [&waits, &subagent, &other] {
        assert!(kept.dir.exists(), "{}", kept.dir.display());
    }
    assert_eq!(of(root, "session1", "s2").unwrap(), waits);
}

#[test]
fn steps_that_start_together_start_from_one_snapshot() {
    let dir = repo();
    let root = &dir.path().canonicalize().unwrap();
    let trees = add_all(root, "session", &["s1".to_string(), "s2".to_string()]).unwrap();
    assert_eq!(trees.len(), 2);
    assert_eq!(trees[0].base, trees[1].base);
    assert_eq!(
        std::fs::read_to_string(trees[1].dir.join("untracked.txt")).unwrap(),
        "draft\n"
    );
    // A folder below the top of its repository gets none.
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    assert!(add_all(&sub, "other", &["s1".to_string()]).is_err());
}
