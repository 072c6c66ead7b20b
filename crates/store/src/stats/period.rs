//! Periods of requests: local dates, `--since`, and the `/cost` overview of the last days.

use std::collections::HashMap;

use super::{By, Report, RequestRow, Totals, aggregate};

/// Local dates of timestamps, looked up once per hour of them.
#[derive(Default)]
pub(super) struct DayNames(HashMap<i64, String>);

impl DayNames {
    pub(super) fn name(&mut self, ts: i64) -> &str {
        self.0
            .entry(ts.div_euclid(3_600_000))
            .or_insert_with(|| local_date(ts))
    }
}

/// `YYYY-MM-DD` in the local time zone.
#[must_use]
pub fn local_date(ts: i64) -> String {
    use chrono::TimeZone;
    chrono::Local
        .timestamp_millis_opt(ts)
        .single()
        .map_or_else(|| "?".into(), |d| d.format("%Y-%m-%d").to_string())
}

/// `--since`: `7d`, `24h`, `30m`, `2w`, or a date `2026-11-01` (local midnight); the unix
/// milliseconds it means, counted back from `now`.
pub fn parse_since(text: &str, now: i64) -> Result<i64, String> {
    let t = text.trim();
    let bad = || {
        format!("`{text}` is not a period: write 7d, 24h, 30m, 2w, or a date such as 2026-11-01")
    };
    if let Ok(date) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        use chrono::TimeZone;
        let midnight = date.and_hms_opt(0, 0, 0).ok_or_else(bad)?;
        return chrono::Local
            .from_local_datetime(&midnight)
            .earliest()
            .map(|d| d.timestamp_millis())
            .ok_or_else(bad);
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = t.split_at(split);
    let n: i64 = n.parse().map_err(|_| bad())?;
    let ms = match unit {
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => return Err(bad()),
    };
    Ok(now.saturating_sub(n.saturating_mul(ms)))
}

/// What the `/cost` overlay shows: this session, the last seven days by model, and the cost
/// of each of the last [`DAYS`] days.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub session: Totals,
    pub week: Report,
    /// Local date and cost, oldest first, a day without requests at zero.
    pub days: Vec<(String, f64)>,
    /// The figures of those days together (their cost unknown when nothing was priced).
    pub days_total: Totals,
}

/// Days the overlay's sparkline spans.
pub const DAYS: i64 = 14;
const DAY_MS: i64 = 86_400_000;

/// The overview from the requests of the last [`DAYS`] days and the session's own.
#[must_use]
pub fn overview(recent: &[RequestRow], session: &[RequestRow], now: i64) -> Overview {
    let week_from = now - 7 * DAY_MS;
    let week: Vec<RequestRow> = recent
        .iter()
        .filter(|r| r.ts >= week_from)
        .cloned()
        .collect();
    let mut days: Vec<(String, f64)> = (0..DAYS)
        .rev()
        .map(|d| (local_date(now - d * DAY_MS), 0.0))
        .collect();
    let mut names = DayNames::default();
    for r in recent {
        let day = names.name(r.ts);
        if let Some(slot) = days.iter_mut().find(|(d, _)| d == day) {
            slot.1 += r.cost.unwrap_or(0.0);
        }
    }
    Overview {
        session: aggregate(session, By::Model).total,
        week: aggregate(&week, By::Model),
        days,
        days_total: aggregate(recent, By::Day).total,
    }
}
