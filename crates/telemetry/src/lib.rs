//! OpenTelemetry export of what gearshift sessions do: usage, cost, the human's decisions and
//! traces of turns, sent to the user's collector (`[telemetry]`, README "Telemetry").
//!
//! Sessions' events arrive through [`gearshift_protocol::tap::Tap`]: copied onto a bounded
//! queue and nothing more on the session's path. One thread makes them records
//! ([`translate`], pure) and hands those to the OpenTelemetry SDK ([`sink`]), whose own
//! threads export them in batches ([`export`]). A collector that is down or slow costs a
//! session nothing: what cannot be queued or sent is dropped, counted, and said once.

mod counted;
pub mod counters;
pub mod export;
mod handle;
pub mod names;
pub mod settings;
pub mod sink;
pub mod translate;

pub use handle::Telemetry;
pub use settings::{Protocol, Settings, Signal};
pub use translate::Options;
