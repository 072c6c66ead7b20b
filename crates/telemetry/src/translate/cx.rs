//! What the records of one event share, and the checkpoints both changes and commands stop at.

use std::time::SystemTime;

use opentelemetry::KeyValue;

use super::record::{Record, count, kv};
use crate::names::{event, metric};

/// What every record of one event shares.
pub(super) struct Cx<'a> {
    /// The session's attributes.
    pub(super) base: &'a [KeyValue],
    pub(super) at: SystemTime,
    /// Whether a command's text may leave (`log_tool_details`).
    pub(super) details: bool,
    /// Who decides this session's gates: `user` or `headless`.
    pub(super) who: &'static str,
    /// Whether its lines and hunks count here (not in a subagent's or worker's session, whose
    /// change is counted when it comes back to the parent's review).
    pub(super) lines: bool,
}

/// A checkpoint's rule, from why it stopped: a `[[checkpoints]]` rule by its name, else what
/// kind of stop it was. Never its reason's text.
pub(super) fn checkpoint_rule(why: &str) -> &str {
    if let Some(rest) = why.strip_prefix("checkpoint `") {
        return rest.split('`').next().unwrap_or("checkpoint");
    }
    if why.starts_with("a merge conflict") {
        "merge_conflict"
    } else {
        "protected_path"
    }
}

/// A stop for a human: counted by its rule, and said as an event.
pub(super) fn checkpoint_records(cx: &Cx<'_>, rule: &str, on: &str) -> Vec<Record> {
    let mut attrs: Vec<KeyValue> = cx.base.to_vec();
    attrs.extend([kv("rule", rule), kv("on", on)]);
    vec![
        count(metric::CHECKPOINTS, 1, attrs.clone()),
        Record::Event {
            name: event::CHECKPOINT,
            at: cx.at,
            attrs,
        },
    ]
}
