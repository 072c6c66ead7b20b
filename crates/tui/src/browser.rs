//! The session browser overlay (Ctrl+S): list, search, preview, resume, fork, rename, delete,
//! export. Pure state; every database call is an effect the event loop runs off the UI
//! thread, answered with the request's ticket so a late answer to an old request is dropped.

use super::field::{Edited, TextField};
use crate::library::{SearchHit, SessionSummary};

/// One row: a session, with the matching passage when the list is a search result.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: String,
    pub title: String,
    pub workspace: String,
    /// What the row says of the session, most important first ("$0.04", "3.2k tok",
    /// "12 msgs", "plan", "gpt-4.1"), or the search hit's role: parts that do not fit the
    /// row are dropped whole.
    pub detail: Vec<String>,
    pub updated_at: i64,
    pub snippet: Option<String>,
    /// Messages in the session (search hits always have some).
    pub messages: i64,
}

impl Row {
    #[must_use]
    pub fn from_summary(s: &SessionSummary) -> Row {
        let tokens = s.input_tokens + s.output_tokens;
        Row {
            id: s.id.clone(),
            title: s.title.clone(),
            workspace: s.workspace.clone(),
            detail: s
                .imported
                .then(|| "imported".to_string())
                .into_iter()
                .chain([
                    crate::report::figures::cost_or_dash(s.cost),
                    format!(
                        "{} tok",
                        super::fit::count(u64::try_from(tokens).unwrap_or_default())
                    ),
                    format!("{} msgs", s.message_count),
                    s.gear.clone(),
                    s.model.clone(),
                ])
                .collect(),
            updated_at: s.updated_at,
            snippet: None,
            messages: s.message_count,
        }
    }

    #[must_use]
    pub fn from_hit(h: &SearchHit) -> Row {
        Row {
            id: h.session_id.clone(),
            title: h.title.clone(),
            workspace: h.workspace.clone(),
            detail: vec![format!("{} message", h.role)],
            updated_at: h.updated_at,
            snippet: Some(h.snippet.clone()),
            messages: 1,
        }
    }
}

/// What the browser is asking the user to type or confirm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Search(TextField),
    Rename(TextField),
    ConfirmDelete,
}

/// A request for the event loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserRequest {
    /// Sessions (newest first) or, with a query, search hits (best first).
    Load {
        ticket: u64,
        workspace: Option<String>,
        query: Option<String>,
    },
    Preview {
        ticket: u64,
        id: String,
    },
    Open {
        id: String,
        read_only: bool,
    },
    /// Copies the session into a new one that works in `workspace` (this one).
    Fork {
        id: String,
        workspace: String,
    },
    Rename {
        id: String,
        title: String,
    },
    Delete {
        id: String,
    },
    Export {
        id: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Browser {
    pub all_workspaces: bool,
    pub query: String,
    pub input: Option<Input>,
    pub rows: Vec<Row>,
    pub selected: usize,
    pub preview: Vec<String>,
    pub loading: bool,
    /// A line of feedback (exported to…, cannot delete…).
    pub message: Option<String>,
    /// The open session and its workspace.
    pub current: String,
    pub workspace: String,
    ticket: u64,
    preview_ticket: u64,
}

impl Browser {
    /// A browser over `workspace`'s sessions, with the request that fills it.
    #[must_use]
    pub fn open(current: &str, workspace: &str) -> (Browser, BrowserRequest) {
        let mut b = Browser {
            all_workspaces: false,
            query: String::new(),
            input: None,
            rows: Vec::new(),
            selected: 0,
            preview: Vec::new(),
            loading: true,
            message: None,
            current: current.to_string(),
            workspace: workspace.to_string(),
            ticket: 0,
            preview_ticket: 0,
        };
        let req = b.reload();
        (b, req)
    }

    /// Esc after a search: back to the whole list (`None` when there is no search to clear).
    pub fn clear_search(&mut self) -> Option<BrowserRequest> {
        if self.query.is_empty() {
            return None;
        }
        self.query.clear();
        self.selected = 0;
        Some(self.reload())
    }

    /// A new load for the current scope and query.
    pub fn reload(&mut self) -> BrowserRequest {
        self.ticket += 1;
        self.loading = true;
        let query = self.query.trim().to_string();
        BrowserRequest::Load {
            ticket: self.ticket,
            workspace: (!self.all_workspaces).then(|| self.workspace.clone()),
            query: (!query.is_empty()).then_some(query),
        }
    }

    /// Rows arrived; returns the preview request for the selection. Stale answers are dropped.
    pub fn loaded(&mut self, ticket: u64, rows: Vec<Row>) -> Option<BrowserRequest> {
        if ticket != self.ticket {
            return None;
        }
        // Search hits: one row per session, its best hit. Sessions that were opened and never
        // used are not worth a row (except the open one).
        let mut seen = std::collections::HashSet::new();
        let current = self.current.clone();
        self.rows = rows
            .into_iter()
            .filter(|r| (r.messages > 0 || r.id == current) && seen.insert(r.id.clone()))
            .collect();
        self.loading = false;
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        self.preview_request()
    }

    /// The ticket of the preview asked for last.
    #[cfg(test)]
    #[must_use]
    pub fn preview_ticket_for_tests(&self) -> u64 {
        self.preview_ticket
    }

    /// A background job finished: after a delete, the new selection's preview is asked for.
    pub fn refresh_preview(&mut self) -> Option<BrowserRequest> {
        if self.preview.is_empty() {
            self.preview_request()
        } else {
            None
        }
    }

    pub fn previewed(&mut self, ticket: u64, lines: Vec<String>) {
        if ticket == self.preview_ticket {
            self.preview = lines;
        }
    }

    fn preview_request(&mut self) -> Option<BrowserRequest> {
        let id = self.rows.get(self.selected)?.id.clone();
        self.preview_ticket += 1;
        self.preview.clear();
        Some(BrowserRequest::Preview {
            ticket: self.preview_ticket,
            id,
        })
    }

    #[must_use]
    pub fn selected_row(&self) -> Option<&Row> {
        self.rows.get(self.selected)
    }

    pub fn move_by(&mut self, delta: isize) -> Option<BrowserRequest> {
        if self.rows.is_empty() {
            return None;
        }
        let next = self
            .selected
            .saturating_add_signed(delta)
            .min(self.rows.len() - 1);
        if next == self.selected {
            return None;
        }
        self.selected = next;
        self.preview_request()
    }

    pub fn toggle_scope(&mut self) -> BrowserRequest {
        self.all_workspaces = !self.all_workspaces;
        self.selected = 0;
        self.reload()
    }

    /// Enter on a row: resume it; read-only when it belongs to another workspace.
    pub fn open_selected(&mut self) -> Option<BrowserRequest> {
        let row = self.selected_row()?;
        Some(BrowserRequest::Open {
            id: row.id.clone(),
            read_only: row.workspace != self.workspace,
        })
    }

    pub fn start_delete(&mut self) {
        match self.selected_row() {
            Some(r) if r.id == self.current => {
                self.message =
                    Some("this is the open session; open another before deleting it".into());
            }
            Some(_) => self.input = Some(Input::ConfirmDelete),
            None => {}
        }
    }

    pub fn start_rename(&mut self) {
        if let Some(r) = self.selected_row() {
            self.input = Some(Input::Rename(TextField::new(&r.title)));
        }
    }

    pub fn start_search(&mut self) {
        self.input = Some(Input::Search(TextField::new(&self.query)));
    }

    /// Enter while typing: run the search, apply the rename, or confirm the delete.
    pub fn submit_input(&mut self) -> Option<BrowserRequest> {
        match self.input.take()? {
            Input::Search(q) => {
                self.query = q.into_text();
                self.selected = 0;
                Some(self.reload())
            }
            Input::Rename(title) => {
                let id = self.selected_row()?.id.clone();
                let title = title.text().trim().to_string();
                if title.is_empty() {
                    return None;
                }
                if let Some(r) = self.rows.get_mut(self.selected) {
                    r.title.clone_from(&title);
                }
                Some(BrowserRequest::Rename { id, title })
            }
            Input::ConfirmDelete => {
                let id = self.selected_row()?.id.clone();
                self.rows.remove(self.selected);
                self.selected = self.selected.min(self.rows.len().saturating_sub(1));
                // The deleted session's preview goes with it; the next one's is asked for
                // once the delete is done.
                self.preview.clear();
                self.preview_ticket += 1;
                Some(BrowserRequest::Delete { id })
            }
        }
    }

    /// A key typed into the search or rename field: `None` when it is not the field's.
    pub fn edit_field(&mut self, key: &crossterm::event::KeyEvent) -> Option<Edited> {
        match &mut self.input {
            Some(Input::Search(t) | Input::Rename(t)) => t.edit(key),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, ws: &str) -> Row {
        Row {
            id: id.into(),
            title: format!("title {id}"),
            workspace: ws.into(),
            detail: Vec::new(),
            updated_at: 0,
            snippet: None,
            messages: 1,
        }
    }

    #[test]
    fn stale_results_are_dropped_and_search_reloads() {
        let (mut b, first) = Browser::open("cur", "/w");
        let BrowserRequest::Load {
            ticket: t1,
            workspace,
            query,
        } = first
        else {
            panic!()
        };
        assert_eq!((workspace.as_deref(), query), (Some("/w"), None));
        let t2 = match b.toggle_scope() {
            BrowserRequest::Load {
                ticket,
                workspace: None,
                ..
            } => ticket,
            other => panic!("{other:?}"),
        };
        assert!(b.loaded(t1, vec![row("old", "/w")]).is_none(), "stale");
        assert!(b.rows.is_empty());
        let preview = b.loaded(t2, vec![row("a", "/w"), row("a", "/w"), row("b", "/x")]);
        assert_eq!(b.rows.len(), 2, "one row per session");
        assert!(matches!(preview, Some(BrowserRequest::Preview { id, .. }) if id == "a"));

        b.start_search();
        for c in "needle".chars() {
            b.edit_field(&crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            ));
        }
        let req = b.submit_input().unwrap();
        assert!(matches!(req, BrowserRequest::Load { query: Some(q), .. } if q == "needle"));
    }

    #[test]
    fn open_is_read_only_for_other_workspaces_and_the_open_session_is_not_deleted() {
        let (mut b, req) = Browser::open("cur", "/w");
        let BrowserRequest::Load { ticket, .. } = req else {
            panic!()
        };
        b.loaded(ticket, vec![row("cur", "/w"), row("other", "/x")]);
        assert_eq!(
            b.open_selected(),
            Some(BrowserRequest::Open {
                id: "cur".into(),
                read_only: false
            })
        );
        b.start_delete();
        assert!(b.input.is_none() && b.message.is_some());
        b.move_by(1);
        assert_eq!(
            b.open_selected(),
            Some(BrowserRequest::Open {
                id: "other".into(),
                read_only: true
            })
        );
        b.start_delete();
        assert_eq!(b.input, Some(Input::ConfirmDelete));
        assert_eq!(
            b.submit_input(),
            Some(BrowserRequest::Delete { id: "other".into() })
        );
        assert_eq!(b.rows.len(), 1);

        b.start_rename();
        for code in [
            crossterm::event::KeyCode::Backspace,
            crossterm::event::KeyCode::Char('X'),
        ] {
            b.edit_field(&crossterm::event::KeyEvent::new(
                code,
                crossterm::event::KeyModifiers::NONE,
            ));
        }
        assert_eq!(
            b.submit_input(),
            Some(BrowserRequest::Rename {
                id: "cur".into(),
                title: "title cuX".into()
            })
        );
    }
}
