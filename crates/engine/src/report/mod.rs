//! A stored session as text for people: the Markdown export ([`markdown()`]) and the audits of
//! what wrote each file and where checkpoints stopped ([`change_audit`], [`checkpoint_audit`]). Presentation only: the
//! store hands over a [`SessionExport`](crate::store::SessionExport), and nothing here writes.

mod audit;
pub mod figures;
mod markdown;

pub use audit::{change_audit, checkpoint_audit};
pub use markdown::markdown;

/// A time (Unix milliseconds) as people read it, in UTC.
#[must_use]
pub fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// A fenced block that cannot be closed early by backticks inside `text`.
fn fenced(text: &str, lang: &str) -> String {
    let mut fence = "```".to_string();
    while text.contains(&fence) {
        fence.push('`');
    }
    format!("{fence}{lang}\n{}\n{fence}\n", text.trim_end())
}

/// `text` safe inside HTML (a `<summary>`).
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests;
