//! Numbers as people read them, in a few characters: token counts, durations, dollars. A leaf
//! every layer may use (the reports' lines and tables are `report::figures`).

/// A token count in a few characters: `950`, `12.3k`, `1.2M`.
#[must_use]
pub fn tokens(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// A duration in a few characters: `850ms`, `3.1s`, `2m05s`.
#[must_use]
pub fn millis(ms: u64) -> String {
    match ms {
        0..1_000 => format!("{ms}ms"),
        1_000..60_000 => format!("{:.1}s", ms as f64 / 1e3),
        _ => format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

/// Dollars with the precision small sums need.
#[must_use]
pub fn dollars(d: f64) -> String {
    if d >= 100.0 {
        format!("${d:.0}")
    } else if d >= 1.0 {
        format!("${d:.2}")
    } else {
        format!("${d:.4}")
    }
}

/// A cost in words, `—` when unknown (the model has no prices).
#[must_use]
pub fn cost_or_dash(cost: Option<f64>) -> String {
    cost.map_or_else(|| "—".into(), dollars)
}
