//! What the translator makes, and the small helpers every part of it uses.

use std::time::SystemTime;

use gearshift_protocol::tap::Origin;
use opentelemetry::{KeyValue, Value};

/// What an event becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A counter's increase.
    Count {
        name: &'static str,
        value: u64,
        attrs: Vec<KeyValue>,
    },
    /// A counter of dollars.
    Dollars {
        name: &'static str,
        value: f64,
        attrs: Vec<KeyValue>,
    },
    /// A histogram's sample, in milliseconds.
    Millis {
        name: &'static str,
        value: u64,
        attrs: Vec<KeyValue>,
    },
    /// An event (a log record named `name`).
    Event {
        name: &'static str,
        at: SystemTime,
        attrs: Vec<KeyValue>,
    },
    /// A span begins; `id` is this translator's, `parent` an open span's.
    Open {
        id: u64,
        parent: Option<u64>,
        name: &'static str,
        at: SystemTime,
        attrs: Vec<KeyValue>,
    },
    /// The span `id` ends.
    Close {
        id: u64,
        at: SystemTime,
        attrs: Vec<KeyValue>,
        failed: bool,
    },
}

/// What may leave besides counts, names and figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// The prompt's text with `gearshift.user_prompt`.
    pub log_user_prompts: bool,
    /// Tool arguments as the model wrote them (a command's text; a file's path and the text
    /// it writes), and an MCP tool's own name besides its server's.
    pub log_tool_details: bool,
}

/// The attributes every record of a session carries.
pub(super) fn base(origin: &Origin) -> Vec<KeyValue> {
    let mut attrs = vec![kv("session.id", &origin.session)];
    if let Some(agent) = &origin.agent {
        attrs.push(kv("agent", agent));
    }
    attrs
}

pub(super) fn kv(key: &'static str, value: &str) -> KeyValue {
    KeyValue::new(key, Value::from(value.to_string()))
}

pub(super) fn count(name: &'static str, value: u64, attrs: Vec<KeyValue>) -> Record {
    Record::Count { name, value, attrs }
}
