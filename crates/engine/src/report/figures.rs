//! Figures as people read them: token counts, durations and dollars in a few characters,
//! the line under a turn and the `stats` table. Presentation only: the store hands over rows
//! and totals.

pub use crate::figures::{cost_or_dash, dollars, millis, tokens};
use crate::store::stats::{By, Report, RequestRow, Totals};

/// The cost in words: dollars, `—` when unknown, `+` when some requests had no prices.
#[must_use]
pub fn cost(t: &Totals) -> String {
    match (t.cost, t.unpriced) {
        (None, 0) => dollars(0.0),
        (None, _) => "—".into(),
        (Some(c), 0) => dollars(c),
        (Some(c), _) => format!("{}+", dollars(c)),
    }
}

/// What one subagent of a turn spent.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentSpend {
    pub agent: String,
    /// Its tokens in and out.
    pub tokens: u64,
    pub cost: Option<f64>,
}

/// The dim line under a turn: its tokens in (cached) and out, cost, time, time to the first
/// token and the models that answered; then what its subagents spent, by agent, their cost
/// in the turn's.
#[must_use]
pub fn turn_line(requests: &[RequestRow], agents: &[AgentSpend]) -> Option<String> {
    let first = requests.first()?;
    let mut t = Totals::default();
    let mut models: Vec<String> = Vec::new();
    for r in requests {
        t.add(&r.as_ref());
        let m = format!("{}/{}", r.provider, r.model);
        if !models.contains(&m) {
            models.push(m);
        }
    }
    let mut parts = Vec::new();
    if requests.len() > 1 {
        parts.push(format!("{} requests", requests.len()));
    }
    if t.errors > 0 {
        parts.push(format!("{} failed", t.errors));
    }
    let cached = if t.cached > 0 {
        format!(" ({} cached)", tokens(t.cached))
    } else {
        String::new()
    };
    if t.retries > 0 {
        parts.push(format!("{} retried", t.retries));
    }
    let about = if t.estimated > 0 { "~" } else { "" };
    parts.push(format!("{about}{} in{cached}", tokens(t.input)));
    if t.reasoning > 0 {
        parts.push(format!(
            "{about}{} out ({} reasoning)",
            tokens(t.output),
            tokens(t.reasoning)
        ));
    } else {
        parts.push(format!("{about}{} out", tokens(t.output)));
    }
    for a in agents {
        if let Some(c) = a.cost {
            *t.cost.get_or_insert(0.0) += c;
        }
    }
    parts.push(cost(&t));
    let took: u64 = requests.iter().filter_map(|r| r.latency_ms).sum();
    parts.push(millis(took));
    if let Some(ttft) = first.ttft_ms {
        parts.push(format!("first token {}", millis(ttft)));
    }
    parts.push(models.join(", "));
    parts.extend(agents_part(agents));
    Some(parts.join(" · "))
}

/// `agents: explorer ×2 24.1k, reviewer 3.0k tokens`, in the order they first answered.
fn agents_part(agents: &[AgentSpend]) -> Option<String> {
    let mut by: Vec<(&str, usize, u64)> = Vec::new();
    for a in agents {
        match by.iter_mut().find(|(name, ..)| *name == a.agent) {
            Some(entry) => {
                entry.1 += 1;
                entry.2 += a.tokens;
            }
            None => by.push((&a.agent, 1, a.tokens)),
        }
    }
    let each: Vec<String> = by
        .iter()
        .map(|(name, n, tokens)| match n {
            1 => format!("{name} {}", self::tokens(*tokens)),
            n => format!("{name} ×{n} {}", self::tokens(*tokens)),
        })
        .collect();
    (!each.is_empty()).then(|| format!("agents: {} tokens", each.join(", ")))
}

/// A `stats` report as a table, one row per group and the total last.
#[must_use]
pub fn table(report: &Report, by: By) -> String {
    use std::fmt::Write as _;
    let head = by.name();
    let width = report
        .groups
        .iter()
        .map(|g| g.key.chars().count())
        .chain([head.len(), 5])
        .max()
        .unwrap_or(5);
    let opt = |v: Option<u64>| v.map_or_else(|| "-".into(), millis);
    let mut out = format!(
        "{head:<width$}  {:>8} {:>6} {:>7} {:>8} {:>6} {:>8} {:>8} {:>10} {:>7} {:>7} {:>8} {:>8}\n",
        "requests",
        "errors",
        "retries",
        "input",
        "cached",
        "cache wr",
        "output",
        "cost",
        "p50",
        "p95",
        "ttft p50",
        "ttft p95"
    );
    for t in report.groups.iter().chain([&report.total]) {
        let _ = writeln!(
            out,
            "{:<width$}  {:>8} {:>6} {:>7} {:>8} {:>5.0}% {:>8} {:>8} {:>10} {:>7} {:>7} {:>8} {:>8}",
            t.key,
            t.requests,
            t.errors,
            t.retries,
            tokens(t.input),
            t.cached_share * 100.0,
            tokens(t.cache_write),
            tokens(t.output),
            cost(t),
            opt(t.latency_p50_ms),
            opt(t.latency_p95_ms),
            opt(t.ttft_p50_ms),
            opt(t.ttft_p95_ms),
        );
    }
    let t = &report.total;
    if t.unpriced > 0 {
        let _ = writeln!(
            out,
            "— or +: {} request(s) of models without prices are not in the cost; give them \
             prices with [models.\"NAME\"] or `gearshift models import`",
            t.unpriced
        );
    }
    if t.estimated > 0 {
        let _ = writeln!(
            out,
            "{} request(s) were cut off before the provider reported usage: their tokens \
             are estimated",
            t.estimated
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{AgentSpend, turn_line};
    use crate::store::stats::RequestRow;

    #[test]
    fn a_turns_line_counts_its_subagents_spend_by_agent() {
        let request = RequestRow {
            provider: "p".into(),
            model: "m".into(),
            input: 2_000,
            output: 100,
            cost: Some(0.01),
            latency_ms: Some(1_000),
            ..RequestRow::default()
        };
        let spend = |agent: &str, tokens, cost| AgentSpend {
            agent: agent.into(),
            tokens,
            cost,
        };
        let alone = turn_line(std::slice::from_ref(&request), &[]).unwrap();
        assert!(!alone.contains("agents"), "{alone}");
        let line = turn_line(
            &[request],
            &[
                spend("explorer", 10_000, Some(0.02)),
                spend("reviewer", 3_000, None),
                spend("explorer", 14_100, Some(0.02)),
            ],
        )
        .unwrap();
        assert!(
            line.ends_with("agents: explorer ×2 24.1k, reviewer 3.0k tokens"),
            "{line}"
        );
        // Their cost is the turn's.
        assert!(line.contains("$0.05"), "{line}");
    }
}
