//! Exporting sessions: a JSON document that imports back event for event, so a session moves
//! between machines intact (the report module renders it for people).

use serde::{Deserialize, Serialize};

use super::StoreError;
use super::read::{Reader, SessionSummary};
use gearshift_protocol::Event;

pub const EXPORT_FORMAT: &str = "gearshift-session";
pub const EXPORT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedEvent {
    pub seq: i64,
    /// Unix milliseconds.
    pub ts: i64,
    pub event: Event,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionExport {
    pub format: String,
    pub version: u32,
    pub session: SessionSummary,
    pub events: Vec<ExportedEvent>,
    /// The sessions of its subagents, each whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subagents: Vec<SessionExport>,
}

impl Reader {
    /// The whole session as an export document, its subagents' sessions with it.
    pub fn export(&self, id: &str) -> Result<SessionExport, StoreError> {
        let mut export = self.export_one(id)?;
        for child in self.children(id)? {
            export.subagents.push(self.export_one(&child.id)?);
        }
        Ok(export)
    }

    /// One session alone as an export document.
    fn export_one(&self, id: &str) -> Result<SessionExport, StoreError> {
        let session = self
            .session(id)?
            .ok_or_else(|| StoreError::UnknownSession(id.to_string()))?;
        let events = self
            .events(id)?
            .into_iter()
            .map(|e| ExportedEvent {
                seq: e.seq,
                ts: e.ts,
                event: e.event,
            })
            .collect();
        Ok(SessionExport {
            format: EXPORT_FORMAT.into(),
            version: EXPORT_VERSION,
            session,
            events,
            subagents: Vec::new(),
        })
    }
}
