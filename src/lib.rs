//! gearshift: a full-screen terminal workbench for coding with AI models.
//!
//! The library holds everything but the sandbox (the `gearshift-sandbox` crate); `main.rs` is a
//! thin CLI over it. ARCHITECTURE.md describes how the core, the front ends and the store fit
//! together through [`protocol`].

pub mod changes;
pub mod cli;
pub mod config;
pub mod context;
pub mod core;
pub mod fsutil;
pub mod hooks;
pub mod launch;
pub mod logging;
pub mod mcp;
pub mod pipeline;
pub mod plan;
pub use gearshift_protocol as protocol;
pub mod provided;
pub mod provider;
pub mod report;
pub mod safe_text;
pub use gearshift_store as store;
pub mod tls;
pub mod tools;
pub mod tui;
