//! gearshift: a full-screen terminal workbench for coding with AI models.
//!
//! The binary's library is its command line ([`cli`]); the rest lives in the workspace's
//! crates, re-exported here under the names the code and the tests use: the protocol
//! (`gearshift-protocol`), the store (`gearshift-store`), the engine (`gearshift-engine`), the
//! TUI (`gearshift-tui`) and the sandbox (`gearshift-sandbox`). ARCHITECTURE.md describes how
//! they fit together.

pub mod cli;
pub use gearshift_engine::{
    agents, changes, config, context, core, fsutil, hooks, launch, library, logging, mcp, pipeline,
    plan, provided, provider, report, safe_text, tls, tools,
};
pub use gearshift_protocol as protocol;
pub use gearshift_store as store;
pub use gearshift_tui as tui;
