//! The stored sessions as a front end sees them: listed, searched, previewed, forked, renamed,
//! deleted and exported, a session's history read back a page at a time, and the figures of
//! the `/cost` overlay. A front end holds a [`Library`], never the store itself; every call
//! blocks on SQLite, so a front end makes them off its UI thread.

use crate::protocol::Event;
use crate::store::stats;
use crate::store::{Reader, Store, StoreError};

use crate::store::now_ms;
pub use crate::store::stats::{By, Overview, RequestRow, Totals, overview};
pub use crate::store::{MATCH_END, MATCH_START, SearchHit, SessionSummary};

/// The session store, through the operations a front end needs.
#[derive(Clone)]
pub struct Library {
    store: Store,
}

/// What a library call says when it fails: the store's error, as text for the status line.
#[allow(clippy::needless_pass_by_value)] // it is `map_err`'s function
fn said(e: StoreError) -> String {
    e.to_string()
}

impl Library {
    /// The library over an opened store.
    #[must_use]
    pub fn of(store: Store) -> Library {
        Library { store }
    }

    fn reader(&self) -> Result<Reader, String> {
        self.store.reader().map_err(said)
    }

    /// Sessions, newest first: of `workspace`, or all.
    pub fn list(
        &self,
        workspace: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SessionSummary>, String> {
        self.reader()?.list_sessions(workspace, limit).map_err(said)
    }

    /// Sessions whose messages match `query`, best first.
    pub fn search(
        &self,
        query: &str,
        workspace: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SearchHit>, String> {
        self.reader()?.search(query, workspace, limit).map_err(said)
    }

    /// Every event of session `id`, in order.
    pub fn events(&self, id: &str) -> Result<Vec<Event>, String> {
        let events = self.reader()?.events(id).map_err(said)?;
        Ok(events.into_iter().map(|e| e.event).collect())
    }

    /// Hands session `id`'s events to `each` in order, read a page at a time, so a long
    /// session is never all in memory.
    /// A subagent's steps follow what it spent (its calls and their results, as the live
    /// session showed them), so a resumed chat shows them in its `task` call's cell — only
    /// a session's own subagents', whatever its events name.
    pub fn replay(&self, id: &str, mut each: impl FnMut(Event)) -> Result<(), String> {
        let reader = self.reader()?;
        let children: std::collections::HashSet<String> = reader
            .children(id)
            .map_err(said)?
            .into_iter()
            .map(|c| c.id)
            .collect();
        // The `task` calls seen: a reviewer's spend names the change it read, not a call. Each
        // subagent's steps are told once, whatever the events repeat.
        let mut tasks = std::collections::HashSet::new();
        let mut told = std::collections::HashSet::new();
        for e in reader.pages(id) {
            let event = e.map_err(said)?.event;
            let child = match &event {
                Event::ToolCall { id, name, .. } if name == crate::tools::task::TASK => {
                    tasks.insert(id.clone());
                    None
                }
                // A step's worker: its steps go in its cell, as a subagent's do.
                Event::StepStatusChanged {
                    step,
                    status: crate::plan::StepStatus::Working,
                    ..
                } => {
                    tasks.insert(crate::plan::parallel::worker_id(step));
                    None
                }
                Event::AgentSpent {
                    id, agent, session, ..
                } if children.contains(session)
                    && tasks.contains(id)
                    && told.insert(session.clone()) =>
                {
                    Some((id.clone(), agent.clone(), session.clone()))
                }
                _ => None,
            };
            each(event);
            let Some((call, agent, session)) = child else {
                continue;
            };
            for e in reader.pages(&session) {
                let step = e.map_err(said)?.event;
                if matches!(step, Event::ToolCall { .. } | Event::ToolResult { .. }) {
                    each(Event::FromAgent {
                        id: call.clone(),
                        agent: agent.clone(),
                        event: Box::new(step),
                    });
                }
            }
        }
        Ok(())
    }

    /// The last prompts typed in `workspace`, newest last, for the composer's history.
    pub fn recent_prompts(&self, workspace: &str, limit: usize) -> Result<Vec<String>, String> {
        self.reader()?
            .recent_prompts(workspace, limit)
            .map_err(said)
    }

    /// A copy of session `id` to go on with in `workspace`; its new ID.
    pub fn fork(&self, id: &str, workspace: &str) -> Result<String, String> {
        self.store.fork_session(id, workspace).map_err(said)
    }

    pub fn rename(&self, id: &str, title: String) -> Result<(), String> {
        self.store
            .append_blocking(id, vec![Event::TitleChanged { title }])
            .map(|_| ())
            .map_err(said)
    }

    pub fn delete(&self, id: &str) -> Result<(), String> {
        self.store.delete_session(id).map_err(said)
    }

    /// Session `id` as the Markdown people read.
    pub fn markdown(&self, id: &str) -> Result<String, String> {
        let export = self.reader()?.export(id).map_err(said)?;
        Ok(crate::report::markdown(&export))
    }

    /// What the `/cost` overlay shows: the last days' requests and session `session`'s.
    pub fn overview(&self, session: &str) -> Result<Overview, String> {
        let now = now_ms();
        let reader = self.reader()?;
        let recent = reader
            .requests_since(now - stats::DAYS * 86_400_000, None)
            .map_err(said)?;
        let mine = reader.requests_since(0, Some(session)).map_err(said)?;
        Ok(overview(&recent, &mine, now))
    }

    /// Tool call `call`'s whole result (the chat keeps only short ones).
    pub fn tool_output(&self, session: &str, call: &str) -> Result<Option<String>, String> {
        self.reader()?.tool_output(session, call).map_err(said)
    }

    /// Waits until everything sent to the store is written.
    pub fn close(self) {
        self.store.close();
    }
}
