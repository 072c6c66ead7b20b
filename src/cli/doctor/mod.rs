//! `gearshift doctor [--json] [--network] [--full]`: one screen that says what works and what does not,
//! each line with its fix. The checks ([`checks`]) never stop at the first problem: a broken
//! config still lets the database, the disk and the terminal be looked at. Exit code 1 when
//! something is broken, 0 when only warnings remain.

mod ask;
mod checks;
mod providers;
mod sandbox;
mod setup;
mod store;
mod terminal;

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde::Serialize;

use super::GlobalArgs;

/// How far the doctor looks beyond this machine and this moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Depth {
    /// One cheap authenticated request to each routed model.
    pub network: bool,
    /// Every page of the database, however long that takes.
    pub full: bool,
}

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ok,
    Warning,
    Broken,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What part: `config`, `sandbox`, `provider`, `mcp`, ….
    pub area: &'static str,
    pub level: Level,
    pub what: String,
    /// What to do about it (`None` when it works).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn ok(area: &'static str, what: impl Into<String>) -> Check {
        Check {
            area,
            level: Level::Ok,
            what: what.into(),
            fix: None,
        }
    }

    fn warn(area: &'static str, what: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            area,
            level: Level::Warning,
            what: what.into(),
            fix: Some(fix.into()),
        }
    }

    fn broken(area: &'static str, what: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            area,
            level: Level::Broken,
            what: what.into(),
            fix: Some(fix.into()),
        }
    }
}

pub fn run(global: &GlobalArgs, json: bool, depth: Depth) -> anyhow::Result<ExitCode> {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let report = checks::all(global, &env, depth);
    let worst = report.iter().map(|c| c.level).max().unwrap_or(Level::Ok);
    if json {
        let doc = serde_json::json!({
            "ok": worst != Level::Broken,
            "checks": report,
        });
        out!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        out!("{}", render(&report));
    }
    Ok(if worst == Level::Broken {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The report as lines: `✓`, `!` or `✗`, the area, what was found, and the fix under it.
fn render(report: &[Check]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for c in report {
        let mark = match c.level {
            Level::Ok => "✓",
            Level::Warning => "!",
            Level::Broken => "✗",
        };
        let what = crate::safe_text::visible(&c.what);
        let _ = writeln!(out, "{mark} {:<9} {what}", c.area);
        if let Some(fix) = &c.fix {
            let _ = writeln!(out, "  {:<9} → {}", "", crate::safe_text::visible(fix));
        }
    }
    let broken = report.iter().filter(|c| c.level == Level::Broken).count();
    let warnings = report.iter().filter(|c| c.level == Level::Warning).count();
    let _ = match (broken, warnings) {
        (0, 0) => writeln!(out, "\nEverything checked works."),
        (0, w) => writeln!(out, "\nNothing is broken; {w} warning(s) above."),
        (b, w) => writeln!(out, "\n{b} problem(s) to fix, {w} warning(s)."),
    };
    out
}
