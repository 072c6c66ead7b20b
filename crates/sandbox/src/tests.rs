//! The policy a workspace gets and the verdict on a probe (no kernel needed here; the helper
//! itself is tested through the real binary in `tests/trust.rs` and `tests/sandbox.rs`).

use std::path::{Path, PathBuf};

use super::*;

#[test]
fn the_workspace_policy_protects_git_and_gearshift_and_the_users_files_inside() {
    let ws = Path::new("/w");
    let sb = Sandbox::for_workspace(
        SandboxMode::WorkspaceWrite,
        false,
        ws,
        &[
            PathBuf::from("/w/.home/config.toml"),
            PathBuf::from("/elsewhere/db"),
        ],
        Some(PathBuf::from("/bin/gearshift")),
    );
    assert_eq!(sb.policy.writable[0], ws);
    assert!(sb.policy.protected.contains(&PathBuf::from("/w/.git")));
    assert!(
        sb.policy
            .protected
            .contains(&PathBuf::from("/w/.gearshift"))
    );
    assert!(
        sb.policy
            .protected
            .contains(&PathBuf::from("/w/.home/config.toml"))
    );
    assert!(
        !sb.policy
            .protected
            .contains(&PathBuf::from("/elsewhere/db"))
    );
    // gearshift's own files are unreadable wherever they are; nothing holding the workspace.
    assert!(
        sb.policy
            .deny_read
            .contains(&PathBuf::from("/elsewhere/db"))
    );
    let sb = sb.denying(&[PathBuf::from("/"), PathBuf::from("/home/u/.ssh")]);
    assert!(!sb.policy.deny_read.contains(&PathBuf::from("/")));
    assert!(sb.policy.deny_read.contains(&PathBuf::from("/home/u/.ssh")));
    // The temporary folders are private to each command, and writable there.
    assert!(sb.policy.private.contains(&PathBuf::from("/tmp")));
    assert!(sb.policy.writable.contains(&PathBuf::from("/tmp")));
    let (program, args) = sb.argv("ls");
    assert_eq!(program, PathBuf::from("/bin/gearshift"));
    assert_eq!(args[0], HELPER_ARG);
    assert_eq!(args[2], "ls");
    let (program, args) = Sandbox::off().argv("ls");
    assert_eq!(program, PathBuf::from("sh"));
    assert_eq!(args, vec!["-c", "ls"]);
}

#[test]
fn any_missing_layer_makes_every_command_ask() {
    let policy = Policy::default();
    let full = Probe {
        namespaces: Ok(()),
        landlock: Ok(true),
        landlock_abi: Some("V6".into()),
        network: Ok(()),
        overlay: Ok(()),
    };
    assert_eq!(judge(&full, &policy), Status::Enforced);
    let no_ns = Probe {
        namespaces: Err("EPERM".into()),
        ..full.clone()
    };
    let Status::Unavailable(why) = judge(&no_ns, &policy) else {
        panic!()
    };
    assert!(why.contains("user namespaces") && why.contains("every command will ask"));
    let no_net = Probe {
        network: Err("no seccomp".into()),
        ..full
    };
    assert!(!judge(&no_net, &policy).enforced());
    let open = Policy {
        network: true,
        ..Policy::default()
    };
    assert!(judge(&no_net, &open).enforced());
}

#[test]
fn a_worktrees_sandbox_writes_only_the_worktree_and_still_hides_what_the_workspaces_did() {
    let sb = Sandbox::for_workspace(
        SandboxMode::WorkspaceWrite,
        false,
        Path::new("/w"),
        &[PathBuf::from("/w/.home/db"), PathBuf::from("/elsewhere/db")],
        Some(PathBuf::from("/bin/gearshift")),
    );
    let wt = Path::new("/w/.git/gearshift/worktrees/abc-s1");
    let rooted = sb.rerooted(wt);
    assert_eq!(rooted.policy.writable[0], wt);
    assert!(!rooted.policy.writable.contains(&PathBuf::from("/w")));
    assert!(rooted.policy.protected.contains(&wt.join(".git")));
    // What no command may read stays hidden where it is, and where its copy lies.
    for hidden in [
        PathBuf::from("/w/.home/db"),
        wt.join(".home/db"),
        PathBuf::from("/elsewhere/db"),
    ] {
        assert!(rooted.policy.deny_read.contains(&hidden), "{hidden:?}");
    }
    assert_eq!(rooted.helper, sb.helper);
}
