//! The kernel's filters, applied by the helper to itself before the command starts: Landlock
//! (which files can be written, which sockets and signals reach outside) and seccomp (what
//! no command may ask of a terminal, and which sockets it may open).

use landlock::{
    ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, Ruleset, RulesetAttr,
    RulesetCreatedAttr, RulesetStatus, Scope, path_beneath_rules,
};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

use crate::{Policy, SandboxMode};

/// The Landlock ABI whose rights we ask for (best effort below it; the status says what held).
const LANDLOCK_ABI: ABI = ABI::V6;

/// Landlock: read everywhere; write where the mode allows; no TCP and no reach outside
/// (abstract sockets, signals) unless the network is on. `Ok(true)` when fully enforced, with
/// the kernel's Landlock ABI.
pub(super) fn restrict_files(policy: &Policy) -> Result<(bool, Option<String>), String> {
    let abi = LANDLOCK_ABI;
    let err = |e: landlock::RulesetError| e.to_string();
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(abi))
        .map_err(err)?;
    if !policy.network {
        ruleset = ruleset
            .handle_access(AccessNet::from_all(abi))
            .map_err(err)?
            .scope(Scope::from_all(abi))
            .map_err(err)?;
    } else {
        ruleset = ruleset.scope(Scope::Signal).map_err(err)?;
    }
    let mut created = ruleset
        .create()
        .map_err(err)?
        .add_rules(path_beneath_rules(["/"], AccessFs::from_read(abi)))
        .map_err(err)?
        .add_rules(path_beneath_rules(
            ["/dev"],
            AccessFs::from_read(abi) | AccessFs::IoctlDev,
        ))
        .map_err(err)?
        // `/dev/tty` opens as "no such device": the command has no controlling terminal (a
        // prompt for a password fails as it would in a pipeline, not as a denied file).
        .add_rules(path_beneath_rules(
            ["/dev/null", "/dev/zero", "/dev/full", "/dev/tty"],
            AccessFs::from_file(abi),
        ))
        .map_err(err)?;
    if policy.mode == SandboxMode::WorkspaceWrite {
        created = created
            .add_rules(path_beneath_rules(
                &policy.writable,
                AccessFs::from_all(abi),
            ))
            .map_err(err)?;
    }
    let status = created.restrict_self().map_err(err)?;
    let abi = match status.landlock {
        landlock::LandlockStatus::Available { effective_abi, .. } => {
            Some(format!("{effective_abi}"))
        }
        _ => None,
    };
    match status.ruleset {
        RulesetStatus::FullyEnforced => Ok((true, abi)),
        RulesetStatus::PartiallyEnforced => Ok((false, abi)),
        RulesetStatus::NotEnforced => Err("the kernel does not enforce it".into()),
    }
}

/// `ioctl` requests that act on a terminal as if its user typed or selected: pushing input
/// (`TIOCSTI`) and the Linux console's selection paste (`TIOCLINUX`).
const TERMINAL_INPUT: [u64; 2] = [libc::TIOCSTI, libc::TIOCLINUX];

/// The seccomp filter: the terminal-input ioctls always fail with EPERM; with the network off
/// `socket()` fails for every family (or every one but `AF_UNIX` when sockets are named) and
/// io_uring (which can open sockets without `socket()`) is refused. `socketpair()` stays for
/// stream and seqpacket pairs, which reach nothing outside (a datagram pair could `sendto` a
/// socket by its path, so it is refused).
pub(super) fn seccomp(policy: &Policy) -> Result<(), String> {
    let arch = if cfg!(target_arch = "x86_64") {
        TargetArch::x86_64
    } else if cfg!(target_arch = "aarch64") {
        TargetArch::aarch64
    } else {
        return Err("no seccomp support for this architecture".into());
    };
    let err = |e: seccompiler::BackendError| e.to_string();
    let arg = |index: u8, op: SeccompCmpOp, value: u64| {
        SeccompCondition::new(index, SeccompCmpArgLen::Dword, op, value).map_err(err)
    };
    let mut ioctls = Vec::new();
    for request in TERMINAL_INPUT {
        ioctls.push(SeccompRule::new(vec![arg(1, SeccompCmpOp::Eq, request)?]).map_err(err)?);
    }
    let mut rules = vec![(libc::SYS_ioctl, ioctls)];
    if !policy.network {
        let socket = if policy.unix_sockets.is_empty() {
            Vec::new()
        } else {
            vec![
                SeccompRule::new(vec![arg(
                    0,
                    SeccompCmpOp::Ne,
                    u64::try_from(libc::AF_UNIX).unwrap_or(1),
                )?])
                .map_err(err)?,
            ]
        };
        rules.push((libc::SYS_socket, socket));
        rules.push((libc::SYS_io_uring_setup, Vec::new()));
        if policy.unix_sockets.is_empty() {
            // A datagram pair can still `sendto` any socket by its path: only stream and
            // seqpacket pairs, which talk to each other alone.
            let dgram = SeccompCondition::new(
                1,
                SeccompCmpArgLen::Dword,
                SeccompCmpOp::MaskedEq(0xf),
                u64::try_from(libc::SOCK_DGRAM).unwrap_or(2),
            )
            .map_err(err)?;
            rules.push((
                libc::SYS_socketpair,
                vec![SeccompRule::new(vec![dgram]).map_err(err)?],
            ));
        }
    }
    let filter = SeccompFilter::new(
        rules.into_iter().collect(),
        SeccompAction::Allow,
        SeccompAction::Errno(u32::try_from(libc::EPERM).unwrap_or(1)),
        arch,
    )
    .map_err(err)?;
    let program: BpfProgram = filter.try_into().map_err(err)?;
    seccompiler::apply_filter(&program).map_err(|e| e.to_string())
}
