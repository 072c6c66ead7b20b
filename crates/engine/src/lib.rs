//! gearshift's engine: everything between a front end and the model, tools and disk — the
//! session core (its state machine and the actor that runs its effects), configuration,
//! providers, tools, hooks, MCP, plans, pipelines, change review, context accounting, and the
//! reports people read. Front ends (the TUI crate, the headless `exec` in the binary) drive a
//! session through [`launch`] and [`protocol`]; ARCHITECTURE.md maps the modules.

pub mod agents;
pub mod changes;
pub mod config;
pub mod context;
pub mod core;
pub mod figures;
pub mod frontmatter;
pub mod fsutil;
pub mod hooks;
pub mod launch;
pub mod library;
pub mod logging;
pub mod mcp;
pub mod pipeline;
pub mod plan;
pub use gearshift_protocol as protocol;
pub mod provided;
pub mod provider;
pub mod report;
pub mod safe_text;
// The store, for the engine's own use: front ends reach stored sessions through `library`.
use gearshift_store as store;
pub mod tls;
pub mod tools;
pub mod worktree;
