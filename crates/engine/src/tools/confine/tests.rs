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
