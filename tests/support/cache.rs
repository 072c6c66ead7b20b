//! Anthropic's prompt cache as the API documents it, for the fake server to bill by:
//!
//! - the prefix is tools, then system, then messages, block by block;
//! - a request writes the prefix ending at each `cache_control` breakpoint (at most 4);
//! - it reads the longest prefix cached before that ends at a breakpoint, or at one of the 20
//!   blocks before a breakpoint (the lookback);
//! - a prefix shorter than the model's minimum is neither written nor read (1,024 tokens for
//!   Sonnet 4/4.5/4.6 and Opus 4/4.1; 4,096 for Opus 4.5 and later and Haiku 4.5; 2,048 for
//!   Haiku 3.5);
//! - an entry lives 5 minutes, renewed each time it is read.
//!
//! Tokens are counted as 4 bytes of a block's JSON.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long an entry lives unread.
pub const TTL: Duration = Duration::from_secs(300);
/// How many blocks before a breakpoint a read looks back.
pub const LOOKBACK: usize = 20;

/// The smallest cacheable prefix of `model`, in tokens.
#[must_use]
pub fn minimum(model: &str) -> u64 {
    if model.starts_with("claude-haiku-4")
        || model.starts_with("claude-opus-4-5")
        || model.starts_with("claude-opus-4-6")
        || model.starts_with("claude-opus-4-7")
    {
        4_096
    } else if model.starts_with("claude-3-5-haiku") || model.starts_with("claude-3-haiku") {
        2_048
    } else {
        1_024
    }
}

#[derive(Default)]
pub struct PromptCache {
    /// Prefix hash → when it was last written or read.
    entries: HashMap<u64, Instant>,
}

impl PromptCache {
    /// (uncached input, cache reads, cache writes) for `body`, remembering what it wrote.
    pub fn bill(&mut self, body: &Value) -> (u64, u64, u64) {
        self.bill_at(body, Instant::now())
    }

    /// [`PromptCache::bill`] at the moment `now` (tests of the TTL move the clock).
    pub fn bill_at(&mut self, body: &Value, now: Instant) -> (u64, u64, u64) {
        self.entries.retain(|_, at| now.duration_since(*at) < TTL);
        let min = minimum(body["model"].as_str().unwrap_or(""));
        let mut blocks: Vec<(String, bool)> = Vec::new();
        let mut push = |b: &Value, role: &str| {
            let marked = b.get("cache_control").is_some();
            let mut c = b.clone();
            if let Some(o) = c.as_object_mut() {
                o.remove("cache_control");
            }
            blocks.push((format!("{role}:{c}"), marked));
        };
        for t in body["tools"].as_array().into_iter().flatten() {
            push(t, "tool");
        }
        for t in body["system"].as_array().into_iter().flatten() {
            push(t, "system");
        }
        for m in body["messages"].as_array().into_iter().flatten() {
            let role = m["role"].as_str().unwrap_or("");
            for b in m["content"].as_array().into_iter().flatten() {
                push(b, role);
            }
        }
        let mut hashes = Vec::with_capacity(blocks.len());
        let mut tokens = Vec::with_capacity(blocks.len());
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let mut total = 0u64;
        for (text, _) in &blocks {
            text.hash(&mut h);
            hashes.push(h.finish());
            total += text.len() as u64 / 4;
            tokens.push(total);
        }
        let marks: Vec<usize> = (0..blocks.len()).filter(|i| blocks[*i].1).collect();
        let mut read = 0;
        for &b in &marks {
            for j in (b.saturating_sub(LOOKBACK - 1)..=b).rev() {
                if tokens[j] >= min && self.entries.contains_key(&hashes[j]) {
                    self.entries.insert(hashes[j], now);
                    read = read.max(tokens[j]);
                    break;
                }
            }
        }
        let written = marks
            .iter()
            .rev()
            .map(|&b| tokens[b])
            .find(|t| *t >= min)
            .unwrap_or(0);
        for &b in marks.iter().filter(|&&b| tokens[b] >= min) {
            self.entries.insert(hashes[b], now);
        }
        let write = written.saturating_sub(read);
        (total - read - write, read, write)
    }
}
