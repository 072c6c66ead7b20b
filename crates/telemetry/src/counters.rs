//! What export has dropped and said, shared by the exporters, the export thread and the handle.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use opentelemetry_sdk::error::OTelSdkResult;

use crate::settings::Signal;

/// What export has dropped and said, shared by the exporters and the handle.
#[derive(Default)]
pub struct Counters {
    /// By signal, in [`Signal::ALL`]'s order: records a collector did not take.
    pub failed: [AtomicU64; 3],
    /// Events the queue to the export thread had no room for.
    pub queue_full: AtomicU64,
    /// The first failure, until it is said.
    problem: Mutex<Option<String>>,
    said: AtomicBool,
    /// By signal: the latest export's outcome (`None`: none yet).
    pub last: Mutex<[Option<Result<(), String>>; 3]>,
}

impl Counters {
    /// Keeps `why` to be said, when nothing has been said yet.
    pub fn fail(&self, why: String) {
        self.fail_with(|| why);
    }

    /// [`Counters::fail`], making the words only when they will be said.
    pub fn fail_with(&self, why: impl FnOnce() -> String) {
        if !self.said.swap(true, Ordering::SeqCst)
            && let Ok(mut p) = self.problem.lock()
        {
            *p = Some(why());
        }
    }

    /// The first failure, once.
    pub fn take_problem(&self) -> Option<String> {
        self.problem.lock().ok()?.take()
    }

    pub(crate) fn outcome(&self, signal: Signal, n: u64, result: &OTelSdkResult, endpoint: &str) {
        let i = signal as usize;
        if let Err(e) = result {
            self.failed[i].fetch_add(n, Ordering::Relaxed);
            self.fail(format!(
                "telemetry: the collector ({endpoint}) did not take {}: {e}; what it does not \
                 take is dropped and counted in {}",
                signal.as_str(),
                crate::names::metric::DROPPED
            ));
        }
        if let Ok(mut last) = self.last.lock() {
            last[i] = Some(result.as_ref().map(|_| ()).map_err(ToString::to_string));
        }
    }
}

impl std::fmt::Debug for Counters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Counters").finish_non_exhaustive()
    }
}
