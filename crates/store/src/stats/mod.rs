//! What model requests cost and how fast they were, from the `requests` table (one row per
//! request, folded from `usage` events): the query, and the aggregation by model, provider,
//! gear, stage or day, which is pure.

mod period;
mod query;

use std::collections::HashMap;

use serde::Serialize;

use period::DayNames;
pub use period::{DAYS, Overview, local_date, overview, parse_since};

/// One model request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RequestRow {
    /// Unix milliseconds.
    pub ts: i64,
    pub provider: String,
    pub model: String,
    pub gear: String,
    /// Empty outside a pipeline stage.
    pub stage: String,
    /// The subagent that made it; empty for a session's own requests (and where not read).
    pub agent: String,
    pub input: u64,
    pub output: u64,
    pub cached: u64,
    /// Input written to the prompt cache (part of `input`).
    pub cache_write: u64,
    /// Output spent reasoning (part of `output`).
    pub reasoning: u64,
    /// `None`: the model has no prices.
    pub cost: Option<f64>,
    pub latency_ms: Option<u64>,
    pub ttft_ms: Option<u64>,
    /// The request failed (no tokens; its time is not a latency).
    pub failed: bool,
    /// Attempts the provider refused before this one.
    pub retries: u32,
    /// The tokens are gearshift's estimate (the provider reported none).
    pub estimated: bool,
}

impl RequestRow {
    /// The request a `usage` event records (`None` for other events, and for usage recorded
    /// before requests were measured).
    #[must_use]
    pub fn of(event: &gearshift_protocol::Event) -> Option<RequestRow> {
        let gearshift_protocol::Event::Usage {
            input,
            output,
            cached,
            cache_write,
            reasoning,
            cost,
            request: Some(r),
        } = event
        else {
            return None;
        };
        Some(RequestRow {
            ts: 0,
            provider: r.provider.clone(),
            model: r.model.clone(),
            gear: r.gear.as_str().to_string(),
            stage: r.stage.clone().unwrap_or_default(),
            agent: String::new(),
            input: *input,
            output: *output,
            cached: *cached,
            cache_write: *cache_write,
            reasoning: *reasoning,
            cost: *cost,
            latency_ms: Some(r.latency_ms),
            ttft_ms: r.ttft_ms,
            failed: r.error.is_some(),
            retries: r.retries,
            estimated: r.estimated,
        })
    }
}

/// How rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum By {
    #[default]
    Model,
    Provider,
    Gear,
    Stage,
    Day,
    Agent,
}

impl By {
    /// Every grouping, in the order `--by` lists them.
    pub const ALL: [By; 6] = [
        By::Model,
        By::Provider,
        By::Gear,
        By::Stage,
        By::Day,
        By::Agent,
    ];

    /// The grouping's name, as `--by` takes it and the table heads its column.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            By::Model => "model",
            By::Provider => "provider",
            By::Gear => "gear",
            By::Stage => "stage",
            By::Day => "day",
            By::Agent => "agent",
        }
    }
}

impl std::str::FromStr for By {
    type Err = String;

    fn from_str(s: &str) -> Result<By, String> {
        By::ALL.into_iter().find(|b| b.name() == s).ok_or_else(|| {
            let names: Vec<&str> = By::ALL.map(By::name).to_vec();
            format!("`{s}` is not one of {}", names.join(", "))
        })
    }
}

/// The figures of a group of requests.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Totals {
    /// The group: `provider/model`, a provider, a gear, a stage (`-` for none), a local date.
    pub key: String,
    pub requests: u64,
    pub errors: u64,
    /// Input tokens, the cached ones included.
    pub input: u64,
    pub output: u64,
    pub cached: u64,
    /// Input written to the prompt cache (billed above the input price).
    pub cache_write: u64,
    /// Output spent reasoning (part of `output`).
    pub reasoning: u64,
    /// Cached input over input (0 when there was none).
    pub cached_share: f64,
    /// US dollars, for the requests whose prices were known; `None` (JSON `null`) when no
    /// request that used tokens had prices.
    #[serde(serialize_with = "crate::micro_dollars")]
    pub cost: Option<f64>,
    /// Requests that used tokens of a model without prices: not in `cost`.
    pub unpriced: u64,
    /// Attempts the providers refused before answering (429, 5xx, no connection).
    pub retries: u64,
    /// Requests whose tokens are estimated (the provider reported none: a cancel).
    pub estimated: u64,
    pub latency_p50_ms: Option<u64>,
    pub latency_p95_ms: Option<u64>,
    pub ttft_p50_ms: Option<u64>,
    pub ttft_p95_ms: Option<u64>,
    #[serde(skip)]
    latencies: Vec<u64>,
    #[serde(skip)]
    ttfts: Vec<u64>,
}

impl Totals {
    fn named(key: String) -> Totals {
        Totals {
            key,
            ..Totals::default()
        }
    }

    /// Counts one request in.
    pub fn add(&mut self, r: &RowRef<'_>) {
        self.requests += 1;
        self.errors += u64::from(r.failed);
        self.input += r.input;
        self.output += r.output;
        self.cached += r.cached;
        self.cache_write += r.cache_write;
        self.reasoning += r.reasoning;
        self.retries += u64::from(r.retries);
        self.estimated += u64::from(r.estimated);
        match r.cost {
            Some(c) => self.cost = Some(self.cost.unwrap_or(0.0) + c),
            None if r.input + r.output > 0 => self.unpriced += 1,
            None => {}
        }
        // A failed request's latency is how long the failure took, not the model's speed.
        if !r.failed {
            self.latencies.extend(r.latency_ms);
            self.ttfts.extend(r.ttft_ms);
        }
    }

    /// Works out the share and the percentiles once every row is in.
    fn finish(mut self) -> Totals {
        self.cached_share = if self.input == 0 {
            0.0
        } else {
            self.cached as f64 / self.input as f64
        };
        self.latency_p50_ms = percentile(&mut self.latencies, 50);
        self.latency_p95_ms = percentile(&mut self.latencies, 95);
        self.ttft_p50_ms = percentile(&mut self.ttfts, 50);
        self.ttft_p95_ms = percentile(&mut self.ttfts, 95);
        self
    }
}

/// The nearest-rank percentile of `values` (reordered: a selection, not a sort).
fn percentile(values: &mut [u64], p: usize) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    let rank = (p * values.len()).div_ceil(100).max(1);
    let (_, nth, _) = values.select_nth_unstable(rank - 1);
    Some(*nth)
}

/// Every group's totals, the dearest first, and the totals of all.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub groups: Vec<Totals>,
    pub total: Totals,
}

/// One request, borrowed: what the aggregation reads of a row (from the store without
/// copying its strings).
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'a> {
    pub ts: i64,
    pub provider: &'a str,
    pub model: &'a str,
    pub gear: &'a str,
    pub stage: &'a str,
    pub agent: &'a str,
    pub input: u64,
    pub output: u64,
    pub cached: u64,
    pub cache_write: u64,
    pub reasoning: u64,
    pub cost: Option<f64>,
    pub latency_ms: Option<u64>,
    pub ttft_ms: Option<u64>,
    pub failed: bool,
    pub retries: u32,
    pub estimated: bool,
}

impl RequestRow {
    #[must_use]
    pub fn as_ref(&self) -> RowRef<'_> {
        RowRef {
            ts: self.ts,
            provider: &self.provider,
            model: &self.model,
            gear: &self.gear,
            stage: &self.stage,
            agent: &self.agent,
            input: self.input,
            output: self.output,
            cached: self.cached,
            cache_write: self.cache_write,
            reasoning: self.reasoning,
            cost: self.cost,
            latency_ms: self.latency_ms,
            ttft_ms: self.ttft_ms,
            failed: self.failed,
            retries: self.retries,
            estimated: self.estimated,
        }
    }
}

impl RowRef<'_> {
    #[must_use]
    pub fn to_row(&self) -> RequestRow {
        RequestRow {
            ts: self.ts,
            provider: self.provider.to_string(),
            model: self.model.to_string(),
            gear: self.gear.to_string(),
            stage: self.stage.to_string(),
            agent: self.agent.to_string(),
            input: self.input,
            output: self.output,
            cached: self.cached,
            cache_write: self.cache_write,
            reasoning: self.reasoning,
            cost: self.cost,
            latency_ms: self.latency_ms,
            ttft_ms: self.ttft_ms,
            failed: self.failed,
            retries: self.retries,
            estimated: self.estimated,
        }
    }
}

/// Folds rows into groups one at a time; a group's key is allocated once, when the group is
/// first seen.
pub struct Aggregator {
    by: By,
    groups: HashMap<String, Totals>,
    total: Totals,
    days: DayNames,
    key: String,
}

impl Aggregator {
    #[must_use]
    pub fn new(by: By) -> Aggregator {
        Aggregator {
            by,
            groups: HashMap::new(),
            total: Totals::named("total".into()),
            days: DayNames::default(),
            key: String::new(),
        }
    }

    pub fn add(&mut self, r: &RowRef<'_>) {
        use std::fmt::Write as _;
        self.key.clear();
        match self.by {
            By::Model => {
                let _ = write!(self.key, "{}/{}", r.provider, r.model);
            }
            By::Provider => self.key.push_str(r.provider),
            By::Gear => self.key.push_str(r.gear),
            By::Stage if r.stage.is_empty() => self.key.push_str("(no stage)"),
            By::Stage => self.key.push_str(r.stage),
            By::Day => self.key.push_str(self.days.name(r.ts)),
            // A session's own requests are its model's: `(main)`.
            By::Agent if r.agent.is_empty() => self.key.push_str("(main)"),
            By::Agent => self.key.push_str(r.agent),
        }
        match self.groups.get_mut(self.key.as_str()) {
            Some(t) => t.add(r),
            None => {
                let mut t = Totals::named(self.key.clone());
                t.add(r);
                self.groups.insert(self.key.clone(), t);
            }
        }
        self.total.add(r);
    }

    /// The groups, the dearest first (by day: in date order), and the total.
    #[must_use]
    pub fn finish(self) -> Report {
        let mut groups: Vec<Totals> = self.groups.into_values().map(Totals::finish).collect();
        if self.by == By::Day {
            groups.sort_by(|a, b| a.key.cmp(&b.key));
        } else {
            groups.sort_by(|a, b| {
                b.cost
                    .unwrap_or(0.0)
                    .total_cmp(&a.cost.unwrap_or(0.0))
                    .then(b.requests.cmp(&a.requests))
                    .then(a.key.cmp(&b.key))
            });
        }
        Report {
            groups,
            total: self.total.finish(),
        }
    }
}

/// Groups `rows` by `by`.
#[must_use]
pub fn aggregate(rows: &[RequestRow], by: By) -> Report {
    let mut agg = Aggregator::new(by);
    for r in rows {
        agg.add(&r.as_ref());
    }
    agg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        model: &str,
        gear: &str,
        input: u64,
        cost: f64,
        latency: u64,
        error: bool,
    ) -> RequestRow {
        RequestRow {
            ts: 1_700_000_000_000,
            provider: "p".into(),
            model: model.into(),
            gear: gear.into(),
            input,
            output: 10,
            cached: input / 2,
            cost: Some(cost),
            latency_ms: Some(latency),
            ttft_ms: Some(latency / 10),
            failed: error,
            ..RequestRow::default()
        }
    }

    #[test]
    fn groups_sum_and_percentiles_leave_failures_out() {
        let mut rows: Vec<RequestRow> = (1..=20)
            .map(|i| row("a", "plan", 100, 0.5, i * 100, false))
            .collect();
        rows.push(row("b", "vibe", 40, 0.25, 9_999, true));
        let report = aggregate(&rows, By::Model);
        assert_eq!(report.groups[0].key, "p/a", "the dearest first");
        let a = &report.groups[0];
        assert_eq!(
            (a.requests, a.errors, a.input, a.output),
            (20, 0, 2000, 200)
        );
        assert!((a.cost.unwrap() - 10.0).abs() < 1e-9);
        assert!((a.cached_share - 0.5).abs() < 1e-9);
        assert_eq!(a.latency_p50_ms, Some(1000));
        assert_eq!(a.latency_p95_ms, Some(1900));
        assert_eq!(a.ttft_p95_ms, Some(190));
        let b = &report.groups[1];
        assert_eq!((b.requests, b.errors), (1, 1));
        assert_eq!(b.latency_p50_ms, None, "a failure's time is not a latency");
        assert_eq!(report.total.requests, 21);
        assert!((report.total.cost.unwrap() - 10.25).abs() < 1e-9);
        let by_gear = aggregate(&rows, By::Gear);
        let keys: Vec<&str> = by_gear.groups.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(keys, ["plan", "vibe"]);
        let by_stage = aggregate(&rows, By::Stage);
        assert_eq!(by_stage.groups[0].key, "(no stage)");
    }

    #[test]
    fn periods_count_back_from_now_and_dates_are_local_midnight() {
        let now = 1_000_000_000_000;
        assert_eq!(parse_since("7d", now), Ok(now - 7 * 86_400_000));
        assert_eq!(parse_since("24h", now), Ok(now - 86_400_000));
        assert_eq!(parse_since("2w", now), Ok(now - 14 * 86_400_000));
        assert!(parse_since("7 days", now).unwrap_err().contains("7d"));
        assert!(parse_since("d", now).is_err());
        let day = parse_since("2026-11-01", now).unwrap();
        assert_eq!(local_date(day), "2026-11-01");
        assert_eq!(local_date(day - 1), "2026-10-31");
    }
}
