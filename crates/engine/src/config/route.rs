//! `[routing]`: its entries and the `provider/model` they name.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// `[routing]`: the routes by name, and how long a model found down is passed over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Routing {
    /// Seconds a model found down is passed over before one request tries it again (default
    /// 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<u64>,
    #[serde(flatten)]
    pub routes: BTreeMap<String, Route>,
}

impl Routing {
    /// The cool-down when none is set.
    pub const COOLDOWN: u64 = 300;

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.cooldown.is_none() && self.routes.is_empty()
    }

    /// How long a model found down is passed over.
    #[must_use]
    pub fn cooldown(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.cooldown.unwrap_or(Self::COOLDOWN))
    }
}

/// A `[routing]` entry: a `provider/model`, or a table with its `fallback` list (the model may
/// be left out to give the session's own model fallbacks, as `default = { fallback = […] }`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Route {
    Model(String),
    Table(RouteTable),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct RouteTable {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Tried in order when the model's provider is down (5xx, connection, 429 after retries)
    /// before it answered.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fallback: Vec<String>,
}

impl Route {
    /// The `provider/model` this route names, if it names one.
    #[must_use]
    pub fn model(&self) -> Option<&str> {
        match self {
            Route::Model(m) => Some(m),
            Route::Table(t) => t.model.as_deref(),
        }
    }

    #[must_use]
    pub fn fallback(&self) -> &[String] {
        match self {
            Route::Model(_) => &[],
            Route::Table(t) => &t.fallback,
        }
    }
}

/// A `provider/model`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    pub provider: String,
    pub model: String,
}

impl Target {
    /// `provider/model`; the model may itself hold `/` (`openrouter/anthropic/claude-…`).
    pub fn parse(text: &str) -> Result<Target, String> {
        match text.trim().split_once('/') {
            Some((p, m)) if !p.is_empty() && !m.is_empty() => Ok(Target {
                provider: p.to_string(),
                model: m.to_string(),
            }),
            _ => Err(format!(
                "`{text}` is not `provider/model` (for example \"openai/gpt-5\")"
            )),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.provider, self.model)
    }
}
