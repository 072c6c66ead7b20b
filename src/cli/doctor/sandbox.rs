//! Every layer of the command sandbox in force, as the helper reports it.

use std::path::Path;

use super::Check;
use crate::config::{LoadedConfig, SandboxMode};

pub(super) fn sandbox(out: &mut Vec<Check>, loaded: &LoadedConfig, workspace: &Path) {
    use gearshift_sandbox::{Sandbox, Status};
    let cfg = &loaded.config.sandbox;
    if cfg.mode == SandboxMode::Off {
        out.push(Check::warn(
            "sandbox",
            "off ([sandbox] mode = \"off\"): commands run as you, and every one asks",
            "remove `mode = \"off\"` from [sandbox] where the kernel allows it",
        ));
        return;
    }
    let sb = Sandbox::for_workspace(
        cfg.mode,
        cfg.network,
        workspace,
        &[],
        gearshift_sandbox::this_binary(),
    );
    let (status, probe, overlay) = sb.probe_report();
    let fix = "see docs/security.md: user namespaces (sysctl kernel.unprivileged_userns_clone=1, or an AppArmor profile allowing them), Landlock (a kernel ≥ 5.13 with lsm=landlock)";
    if let Some(p) = &probe {
        match &p.namespaces {
            Ok(()) => out.push(Check::ok(
                "sandbox",
                "namespaces: user, mount and PID; .git and gearshift's files read-only",
            )),
            Err(e) => out.push(Check::broken("sandbox", format!("namespaces: {e}"), fix)),
        }
        match &p.landlock {
            Ok(full) => out.push(Check::ok(
                "sandbox",
                format!(
                    "Landlock ABI {}: {}",
                    p.landlock_abi.as_deref().unwrap_or("?"),
                    if *full {
                        "fully enforced"
                    } else {
                        "partly enforced (an older kernel's rights)"
                    }
                ),
            )),
            Err(e) => out.push(Check::broken("sandbox", format!("Landlock: {e}"), fix)),
        }
        match &p.network {
            Ok(()) => out.push(Check::ok(
                "sandbox",
                format!(
                    "seccomp: no terminal input{}",
                    if cfg.network {
                        "; network allowed ([sandbox] network = true)"
                    } else {
                        ", no network"
                    }
                ),
            )),
            Err(e) => out.push(Check::broken("sandbox", format!("seccomp: {e}"), fix)),
        }
    }
    if let Status::Unavailable(why) = &status
        && probe.is_none()
    {
        out.push(Check::broken("sandbox", why.clone(), fix));
    }
    match overlay {
        Ok(()) => out.push(Check::ok("sandbox", "overlay: commands' writes are held for review")),
        Err(why) => out.push(Check::warn("sandbox", format!("no overlay for commands' writes ({why}): the workspace is compared before and after each command instead"), "nothing to do; large workspaces are slower to compare")),
    }
}
