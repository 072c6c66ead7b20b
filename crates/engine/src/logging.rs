//! Logging to `logs/gearshift.log` via tracing; never to the terminal while the TUI runs.
//! The level comes from `GEARSHIFT_LOG` (e.g. `debug`, `gearshift=trace`), default `info`.

use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Log lines waiting for the writer thread, at most.
const LOG_QUEUE: usize = 1_024;

/// Starts logging into `dir`. Returns a guard that flushes on drop, or `None` when the
/// directory cannot be created (gearshift then runs without a log rather than failing) or
/// logging is already set up.
#[must_use]
pub fn init(dir: &Path) -> Option<WorkerGuard> {
    // Already logging (a later session in the same process): keep the first writer.
    if tracing::dispatcher::has_been_set() {
        return None;
    }
    // Logs can name files and commands of any workspace: the user's alone.
    crate::fsutil::private_dir(dir).ok()?;
    let file = dir.join("gearshift.log");
    let _ = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(&file)
        .and_then(|f| f.set_permissions(std::fs::Permissions::from_mode(0o600)));
    let appender = tracing_appender::rolling::never(dir, "gearshift.log");
    // The default queue holds 128,000 lines, allocated up front (4 MB of every process);
    // a thousand is ample for a log written a few lines a turn. Lines beyond it are dropped
    // rather than stalling the UI.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE)
        .lossy(true)
        .finish(appender);
    let filter =
        EnvFilter::try_from_env("GEARSHIFT_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}
