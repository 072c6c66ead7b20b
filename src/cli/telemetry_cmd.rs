//! Telemetry for a session's run — started when `[telemetry]` (or
//! `GEARSHIFT_ENABLE_TELEMETRY=1`) says so, stopped with a bounded wait — and `gearshift
//! telemetry test`, which sends one of each signal and says what the collector answered.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use gearshift_protocol::tap::Tap as _;
use gearshift_telemetry::{Options, Settings, Signal, Telemetry};

use super::Context;

/// How long the end of a run waits for what is left to be sent: a collector that does not
/// answer costs no more than this.
const AT_EXIT: Duration = Duration::from_secs(1);

fn settings(ctx: &Context) -> Result<Settings, String> {
    // The HTTP exporters' TLS, as the providers': rustls with ring, installed once.
    gearshift_engine::tls::install();
    let t = ctx.loaded.config.telemetry;
    let options = Options {
        log_user_prompts: t.log_user_prompts,
        log_tool_details: t.log_tool_details,
    };
    Settings::from_env(options, &|var| ctx.env.get(var).cloned())
}

/// Starts telemetry when it is on; what stops it is said at the session's start, and the
/// session runs without it.
pub(super) fn start(ctx: &mut Context) -> Option<Arc<Telemetry>> {
    if !ctx.loaded.config.telemetry.enabled {
        return None;
    }
    let settings = match settings(ctx) {
        // Every signal off: nothing to run.
        Ok(s) if !s.exported.contains(&true) => return None,
        other => other,
    };
    match settings.and_then(Telemetry::start) {
        Ok(telemetry) => {
            ctx.tap = Some(telemetry.clone());
            Some(telemetry)
        }
        Err(e) => {
            ctx.loaded
                .config
                .config_problems
                .push(format!("{e} (telemetry is off for this run)"));
            None
        }
    }
}

/// Sends what waits, within [`AT_EXIT`]; a failure no turn's end said yet is said here.
pub(super) fn stop(telemetry: &Telemetry) {
    let finished = telemetry.shutdown(AT_EXIT);
    if let Some(problem) = telemetry.problem() {
        errln!("gearshift: {problem}");
    } else if !finished {
        errln!(
            "gearshift: telemetry: the collector ({}) did not take what was left within {} ms; \
             it is dropped",
            Signal::ALL
                .into_iter()
                .filter(|s| telemetry.settings().exported[*s as usize])
                .map(|s| telemetry.settings().endpoint(s))
                .collect::<Vec<_>>()
                .join(", "),
            AT_EXIT.as_millis()
        );
    }
}

/// `gearshift telemetry test`.
pub(super) fn test(ctx: &Context) -> anyhow::Result<ExitCode> {
    let on = ctx.loaded.config.telemetry.enabled;
    let telemetry =
        Telemetry::start(settings(ctx).map_err(anyhow::Error::msg)?).map_err(anyhow::Error::msg)?;
    println!(
        "telemetry is {} for sessions{}",
        if on { "on" } else { "off" },
        if on {
            ""
        } else {
            " (`[telemetry] enabled = true` in your config, or GEARSHIFT_ENABLE_TELEMETRY=1)"
        }
    );
    // One of each signal, named gearshift.telemetry.test: no session is counted.
    telemetry.probe();
    let outcomes = telemetry.flush(Duration::from_secs(15));
    let _ = telemetry.shutdown(AT_EXIT);
    // A failure the per-signal lines do not say (the export thread stopped, say).
    if let Some(problem) = telemetry.problem()
        && outcomes.iter().all(Option::is_none)
    {
        println!("{problem}");
    }
    let mut failed = false;
    for (signal, outcome) in Signal::ALL.into_iter().zip(outcomes) {
        let to = telemetry.settings().endpoint(signal);
        if !telemetry.settings().exported[signal as usize] {
            println!(
                "{:<8} off (OTEL_{}_EXPORTER=none or OTEL_SDK_DISABLED=true)",
                signal.as_str(),
                signal.var()
            );
            continue;
        }
        let said = match outcome {
            Some(Ok(())) => "taken".to_string(),
            Some(Err(e)) => {
                failed = true;
                format!("NOT taken: {e}")
            }
            None => {
                failed = true;
                "no answer in 15 s".to_string()
            }
        };
        println!("{:<8} {to}: {said}", signal.as_str());
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
