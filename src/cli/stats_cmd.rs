//! `gearshift stats`: what model requests cost and how fast they were, from the event store.

use std::process::ExitCode;

use super::Context;
use crate::store::Store;
use crate::store::stats::{self, By};

pub fn run(ctx: &Context, since: &str, by: By, json: bool) -> anyhow::Result<ExitCode> {
    let now = crate::store::now_ms();
    let from = stats::parse_since(since, now).map_err(anyhow::Error::msg)?;
    let report = if ctx.paths.db_file.exists() {
        // Opening through the store migrates an older file first.
        let store = Store::open(&ctx.paths.db_file)?;
        store.reader()?.report_since(from, by)?
    } else {
        stats::aggregate(&[], by)
    };
    if json {
        super::term::json(&serde_json::to_string_pretty(&report)?);
    } else if report.total.requests == 0 {
        outln!("no model requests since {}", stats::local_date(from));
    } else {
        outln!(
            "Model requests since {} ({since}), by {}:\n",
            stats::local_date(from),
            format!("{by:?}").to_lowercase()
        );
        out!("{}", crate::report::figures::table(&report, by));
    }
    Ok(ExitCode::SUCCESS)
}
