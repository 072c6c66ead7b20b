//! The full-screen terminal front end.

use std::process::ExitCode;

use crate::cli::{Context, SessionArgs};

/// Runs the workbench until the user quits.
pub fn run(_ctx: Context, _session: &SessionArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the full-screen workbench is not built yet; see `gearshift --help`")
}
