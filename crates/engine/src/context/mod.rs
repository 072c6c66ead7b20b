//! Context accounting: how many tokens each part of a request costs.
//!
//! Exact tokenizers are expensive (o200k's table is ~50 MB and ~200 ms to load) and most
//! providers' are not public, so counts are *estimated* by character class here and later
//! calibrated by the prompt tokens providers report. The estimator's accuracy against o200k is
//! a tested figure (`tests/estimate_accuracy.rs`).

mod estimate;
pub mod ledger;

pub use estimate::estimate_tokens;
pub use ledger::{CacheShare, Category, ContextItem, ContextReport, ItemId, Ledger};
