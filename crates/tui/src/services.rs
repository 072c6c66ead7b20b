//! Work the browser asks for, run on tokio's blocking pool (never on the UI thread or the
//! draw path); each answer comes back as a [`Background`] message carrying its ticket.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::browser::{BrowserRequest, Row};
use crate::library::{Library, Overview};
use crate::protocol::Event;

/// Sessions the browser lists at most.
const LIST_LIMIT: usize = 500;
/// Search hits it asks for (several may belong to one session).
const SEARCH_LIMIT: usize = 300;
/// Lines of a session's preview.
const PREVIEW_LINES: usize = 60;

/// An answer for the event loop.
#[derive(Debug)]
pub enum Background {
    Rows {
        ticket: u64,
        rows: Vec<Row>,
    },
    Preview {
        ticket: u64,
        lines: Vec<String>,
    },
    Message(String),
    /// An index of the workspace's files and folders, for `@` completion: the first as soon
    /// as its walk starts, a fresher one once its walk is done.
    Files(Box<crate::file_index::FileIndex>),
    /// The `@` index's matcher has news for a tick.
    FilesMoved,
    /// Open this session (after a fork).
    Open {
        id: String,
        read_only: bool,
    },
    /// The figures of the `/cost` overlay.
    Stats(Box<Overview>),
    /// A tool call's result, read from the store; to be copied too.
    Output {
        call: String,
        text: Result<String, String>,
        copy: bool,
    },
}

/// What the services need: the stored sessions, and where things are.
#[derive(Clone)]
pub struct Services {
    pub library: Library,
    pub export_dir: PathBuf,
    /// The workspace, listed for `@` completion.
    pub workspace: PathBuf,
    pub tx: UnboundedSender<Background>,
}

impl Services {
    /// Runs a browser request in the background. `Open` and renames of the open session are
    /// the event loop's to handle; they are not sent here.
    pub fn run(&self, request: BrowserRequest) {
        let s = self.clone();
        tokio::task::spawn_blocking(move || {
            let answer = s.answer(request).unwrap_or_else(Background::Message);
            let _ = s.tx.send(answer);
        });
    }

    /// Lists the workspace's files in the background, for `@` completion. The `first` index
    /// is handed over at once and fills as the walk goes; a later one (a refresh) once its
    /// walk is done, so the one in use stays whole until then.
    pub fn list_files(&self, first: bool) {
        use crate::file_index::FileIndex;
        let tx = self.tx.clone();
        let wake = Arc::new(move || {
            let _ = tx.send(Background::FilesMoved);
        });
        let (index, walk) = FileIndex::new(&self.workspace, wake);
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            if first {
                let _ = tx.send(Background::Files(Box::new(index)));
                walk.run();
            } else {
                walk.run();
                let _ = tx.send(Background::Files(Box::new(index)));
            }
        });
    }

    /// Reads the `/cost` overlay's figures in the background: the last days' requests and
    /// the session's.
    pub fn load_stats(&self, session: String) {
        let s = self.clone();
        tokio::task::spawn_blocking(move || {
            let answer = match s.library.overview(&session) {
                Ok(o) => Background::Stats(Box::new(o)),
                Err(e) => Background::Message(format!("cannot read the figures: {e}")),
            };
            let _ = s.tx.send(answer);
        });
    }

    /// Reads tool call `call`'s result from the store in the background.
    pub fn read_output(&self, session: String, call: String, copy: bool) {
        let library = self.library.clone();
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let text = match library.tool_output(&session, &call) {
                Ok(Some(text)) => Ok(text),
                Ok(None) => Err("the session store has no result for this call yet".to_string()),
                Err(e) => Err(format!("the result cannot be read: {e}")),
            };
            let _ = tx.send(Background::Output { call, text, copy });
        });
    }

    fn answer(&self, request: BrowserRequest) -> Result<Background, String> {
        let library = &self.library;
        let short = |id: &str| id[..id.len().min(8)].to_string();
        match request {
            BrowserRequest::Load {
                ticket,
                workspace,
                query,
            } => {
                let rows = match query {
                    Some(q) => library
                        .search(&q, workspace.as_deref(), SEARCH_LIMIT)?
                        .iter()
                        .map(Row::from_hit)
                        .collect(),
                    None => library
                        .list(workspace.as_deref(), LIST_LIMIT)?
                        .iter()
                        .map(Row::from_summary)
                        .collect(),
                };
                Ok(Background::Rows { ticket, rows })
            }
            BrowserRequest::Preview { ticket, id } => {
                let events = library.events(&id)?;
                Ok(Background::Preview {
                    ticket,
                    lines: preview(events.into_iter()),
                })
            }
            BrowserRequest::Fork { id, workspace } => {
                let new = library.fork(&id, &workspace)?;
                Ok(Background::Open {
                    id: new,
                    read_only: false,
                })
            }
            BrowserRequest::Rename { id, title } => {
                library.rename(&id, title)?;
                Ok(Background::Message(format!("renamed {}", short(&id))))
            }
            BrowserRequest::Delete { id } => {
                library.delete(&id)?;
                Ok(Background::Message(format!("deleted {}", short(&id))))
            }
            BrowserRequest::Export { id } => {
                let markdown = library.markdown(&id)?;
                crate::fsutil::private_dir(&self.export_dir).map_err(|e| e.to_string())?;
                let path = self.export_dir.join(format!("{}.md", short(&id)));
                crate::fsutil::write_private(&path, markdown.as_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(Background::Message(format!(
                    "exported to {}",
                    path.display()
                )))
            }
            BrowserRequest::Open { .. } => Err("internal: open is handled by the loop".into()),
        }
    }
}

/// The first prompts and replies of a session, one line each.
fn preview(events: impl Iterator<Item = Event>) -> Vec<String> {
    let line = |who: &str, text: &str| {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let cut: String = text.chars().take(160).collect();
        format!(
            "{who} {cut}{}",
            if cut.len() < text.len() { "…" } else { "" }
        )
    };
    let mut out = Vec::new();
    for e in events {
        match &e {
            Event::UserMessage { text, .. } => out.push(line("you:", text)),
            Event::AssistantMessage { text, .. } if !text.is_empty() => {
                out.push(line("model:", text));
            }
            Event::ToolCall { name, .. } => out.push(format!("  · {name}")),
            _ => continue,
        }
        if out.len() >= PREVIEW_LINES {
            out.push("…".into());
            break;
        }
    }
    if out.is_empty() {
        out.push("(no messages yet)".into());
    }
    out
}
