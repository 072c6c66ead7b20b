//! What fills the next request, item by item and by category, with the estimate calibrated by
//! what the provider reported for the previous request.
//!
//! The core keeps one [`Ledger`] per session. Each conversation message is estimated once
//! (messages never change after they are appended) and the fixed parts (the gear's prompt, the
//! project memory, the tool schemas) once per distinct text, so re-accounting after a new
//! message costs one estimate plus a walk over the items. The [`ContextReport`] it produces is
//! what the context pane draws; nothing is counted on the draw path.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use super::estimate_tokens;
use crate::protocol::ChatMessage;
pub use crate::protocol::context::{CacheShare, Category, ContextItem, ContextReport, ItemId};

/// Tokens a message costs beyond its text (role and separators), as chat formats add.
const MESSAGE_OVERHEAD: u64 = 4;

/// A part of the next request, as the ledger is given it.
pub struct Part<'a> {
    pub id: ItemId,
    pub category: Category,
    pub text: &'a str,
    pub label: String,
    pub pinned: bool,
    pub dropped: bool,
}

/// Cached estimates and the calibration factor.
#[derive(Debug, Clone)]
pub struct Ledger {
    /// Raw estimates of conversation messages, by index.
    messages: Vec<u64>,
    /// Raw estimates of fixed parts, by a hash of their text.
    fixed: HashMap<u64, u64>,
    /// Raw estimates of messages' reasoning, by message index.
    reasoning: HashMap<usize, u64>,
    /// Provider-reported prompt tokens over our estimate of the same request.
    factor: f64,
    calibrated: bool,
    /// The raw estimate of the last request accounted, for calibrating against its usage.
    last_raw: u64,
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger {
            messages: Vec::new(),
            fixed: HashMap::new(),
            reasoning: HashMap::new(),
            factor: 1.0,
            calibrated: false,
            last_raw: 0,
        }
    }
}

fn text_hash(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// The text of a message that costs tokens: its words, and a tool call's name and arguments.
#[must_use]
pub fn message_text(m: &ChatMessage) -> String {
    match m {
        ChatMessage::User { text } => text.clone(),
        ChatMessage::Assistant {
            text, tool_calls, ..
        } => {
            let mut s = text.clone();
            for c in tool_calls {
                s.push('\n');
                s.push_str(&c.name);
                s.push(' ');
                s.push_str(&c.arguments);
            }
            s
        }
        ChatMessage::ToolResult { content, .. } => content.clone(),
    }
}

/// Estimated tokens of one message, with its overhead.
#[must_use]
pub fn message_tokens(m: &ChatMessage) -> u64 {
    estimate_tokens(&message_text(m)) as u64 + MESSAGE_OVERHEAD
}

impl Ledger {
    /// Raw tokens of a conversation message; estimated the first time it is seen.
    pub fn message(&mut self, index: usize, message: &ChatMessage) -> u64 {
        if index >= self.messages.len() {
            self.messages.resize(index + 1, u64::MAX);
        }
        if self.messages[index] == u64::MAX {
            self.messages[index] = message_tokens(message);
        }
        self.messages[index]
    }

    /// Raw tokens of a message's reasoning; estimated the first time it is seen.
    pub fn reasoning(&mut self, index: usize, text: &str) -> u64 {
        *self
            .reasoning
            .entry(index)
            .or_insert_with(|| estimate_tokens(text) as u64)
    }

    fn fixed(&mut self, text: &str) -> u64 {
        *self
            .fixed
            .entry(text_hash(text))
            .or_insert_with(|| estimate_tokens(text) as u64)
    }

    /// Accounts the parts of a request. Conversation parts carry their raw estimate in
    /// `cached` (from [`Ledger::message`]); fixed parts are estimated here, once per text.
    pub fn account(
        &mut self,
        parts: Vec<(Part<'_>, Option<u64>)>,
        window: u64,
        reserved: u64,
    ) -> ContextReport {
        let mut raw_total = 0;
        let mut items = Vec::with_capacity(parts.len());
        for (part, cached) in parts {
            let raw = match cached {
                Some(raw) => raw,
                None => self.fixed(part.text),
            };
            raw_total += raw;
            items.push(ContextItem {
                id: part.id,
                category: part.category,
                tokens: self.scale(raw),
                label: part.label,
                pinned: part.pinned,
                dropped: part.dropped,
            });
        }
        self.last_raw = raw_total;
        ContextReport {
            items,
            window,
            reserved,
            calibrated: self.calibrated,
            cache: CacheShare::default(),
            delegated: 0,
        }
    }

    fn scale(&self, raw: u64) -> u64 {
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let scaled = (raw as f64 * self.factor).round() as u64;
        scaled
    }

    /// The raw (uncalibrated) total of the request last accounted.
    #[must_use]
    pub fn last_raw(&self) -> u64 {
        self.last_raw
    }

    /// The provider reported `prompt_tokens` for a request whose raw estimate was `raw`:
    /// scale every estimate by the ratio, so the total is exact and the split stays
    /// proportional.
    pub fn calibrate(&mut self, prompt_tokens: u64, raw: u64) {
        if raw == 0 || prompt_tokens == 0 {
            return;
        }
        #[allow(clippy::cast_precision_loss)]
        let factor = prompt_tokens as f64 / raw as f64;
        // A wildly different figure means the report was not for this request (a provider
        // that counts differently, or a cache-only report): keep the estimate.
        if (0.2..=5.0).contains(&factor) {
            self.factor = factor;
            self.calibrated = true;
        }
    }

    #[must_use]
    pub fn factor(&self) -> f64 {
        self.factor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(id: ItemId, category: Category, text: &str) -> Part<'_> {
        Part {
            id,
            category,
            text,
            label: text.chars().take(20).collect(),
            pinned: false,
            dropped: false,
        }
    }

    #[test]
    fn categories_sum_to_the_total_and_calibration_makes_it_exact() {
        let mut ledger = Ledger::default();
        let user = ChatMessage::User {
            text: "please fix the parser ".repeat(50),
        };
        let result = ChatMessage::ToolResult {
            call_id: "c".into(),
            content: "fn main() {}\n".repeat(400),
            is_error: false,
        };
        let system = "You are a careful engineer. ".repeat(20);
        let parts = |l: &mut Ledger| {
            vec![
                (part(ItemId::System, Category::System, &system), None),
                (
                    part(ItemId::Message(0), Category::User, "u"),
                    Some(l.message(0, &user)),
                ),
                (
                    part(ItemId::Message(1), Category::ToolResults, "r"),
                    Some(l.message(1, &result)),
                ),
            ]
        };
        let p = parts(&mut ledger);
        let report = ledger.account(p, 10_000, 1_000);
        let sum: u64 = report.by_category().iter().map(|(_, t)| t).sum();
        assert_eq!(sum, report.used());
        assert!(!report.calibrated);
        let raw = report.used();
        assert_eq!(raw, ledger.last_raw());
        // The provider counted 10% more: after calibration the same request totals that.
        let reported = raw + raw / 10;
        ledger.calibrate(reported, raw);
        let p = parts(&mut ledger);
        let report = ledger.account(p, 10_000, 1_000);
        assert!(report.calibrated);
        assert!(
            report.used().abs_diff(reported) <= 3,
            "{} vs {reported}",
            report.used()
        );
        let sum: u64 = report.by_category().iter().map(|(_, t)| t).sum();
        assert_eq!(sum, report.used());
        // An absurd report is ignored.
        ledger.calibrate(reported * 100, raw);
        assert!((ledger.factor() - 1.1).abs() < 0.01);
    }

    #[test]
    fn fill_and_over() {
        let report = ContextReport {
            items: vec![ContextItem {
                id: ItemId::System,
                category: Category::System,
                tokens: 900,
                label: String::new(),
                pinned: false,
                dropped: false,
            }],
            window: 1_000,
            reserved: 200,
            calibrated: false,
            cache: CacheShare::default(),
            delegated: 0,
        };
        assert!(report.over());
        assert!((report.fill() - 1.1).abs() < 1e-9);
    }
}
