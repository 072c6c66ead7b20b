//! gearshift: a full-screen terminal workbench for coding with AI models.
//!
//! The library holds everything; `main.rs` is a thin CLI over it. See DESIGN.md for how the
//! core, the front ends and the store fit together through [`protocol`].

pub mod changes;
pub mod cli;
pub mod config;
pub mod context;
pub mod core;
pub mod fsutil;
pub mod hooks;
pub mod logging;
pub mod mcp;
pub mod pipeline;
pub mod plan;
pub mod protocol;
pub mod provided;
pub mod provider;
pub mod safe_text;
pub mod sandbox;
pub mod store;
pub mod tools;
pub mod tui;
