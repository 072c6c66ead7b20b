//! The `@` popup: the mention the composer's cursor ends, the workspace's files ranked for it
//! by the [`FileIndex`] (asked for at the first `@`, taken again when old), what the popup
//! says when nothing matches, and its keys.

use std::time::{Duration, Instant};

use super::App;
use crate::file_index::FileIndex;
use crate::keymap::Action;
use crate::layout::Focus;
use crate::outcome::Effect;

/// The workspace's file list for `@` is taken again when older than this.
const FILES_FRESH: Duration = Duration::from_secs(10);

impl App {
    /// The `@` mention being typed and the files and folders matching it, best first (as
    /// the index last ranked them: see [`App::follow_mention`]) — or, for `@server:…`, the
    /// resources that MCP server lists.
    #[must_use]
    pub fn mention(&self) -> Option<(String, Vec<String>)> {
        let query = self.mention_query()?;
        let shown = match self.resources_for(query) {
            Some(resources) => resources,
            None => {
                let files = self.files.as_deref()?;
                files.rows().to_vec()
            }
        };
        (!shown.is_empty()).then(|| (query.to_string(), shown))
    }

    /// `server:rest` names a running MCP server: its resources whose URI holds `rest`, as
    /// `server:uri` (the first 50).
    fn resources_for(&self, query: &str) -> Option<Vec<String>> {
        let (server, rest) = query.split_once(':')?;
        let m = self.session.mcp.iter().find(|m| m.name == server)?;
        let crate::mcp::ServerState::Ready { resources, .. } = &m.state else {
            return None;
        };
        Some(
            resources
                .iter()
                .filter(|uri| uri.contains(rest))
                .take(50)
                .map(|uri| format!("{server}:{uri}"))
                .collect(),
        )
    }

    /// What the `@` popup says when no path matches the mention being typed: that the list is
    /// still being made, or that nothing in it matches.
    #[must_use]
    pub fn mention_notice(&self) -> Option<String> {
        let query = self.mention_query()?;
        if let Some(resources) = self.resources_for(query) {
            let server = query.split(':').next().unwrap_or_default();
            return resources
                .is_empty()
                .then(|| format!("no resource of the MCP server `{server}` matches @{query}"));
        }
        let Some(files) = self.files.as_deref() else {
            return Some("listing the workspace's files…".to_string());
        };
        if !files.rows().is_empty() {
            return None;
        }
        let n = files.count();
        Some(if !files.ranked() {
            format!("matching @{query} among {n} files…")
        } else if files.walked() {
            format!("no file or folder matches @{query} (of {n} listed)")
        } else {
            format!("listing the workspace's files… {n} so far, none matches @{query} yet")
        })
    }

    /// The query of the `@` mention being typed in the focused composer (unless Esc
    /// dismissed the popup for this text).
    fn mention_query(&self) -> Option<&str> {
        if self.focus != Focus::Composer || !self.overlays.is_empty() {
            return None;
        }
        let (line, start, byte) = self.mention_span()?;
        if self.completion_dismissed.as_deref() == Some(line) {
            return None;
        }
        Some(&line[start + 1..byte])
    }

    /// Gives the index the query of the mention being typed, after every key and paste.
    pub(super) fn follow_mention(&mut self) {
        let Some(query) = self.mention_query().map(str::to_string) else {
            return;
        };
        for files in [&mut self.files, &mut self.fresher].into_iter().flatten() {
            if files.query() != query {
                files.set_query(&query);
                self.dirty = true;
            }
        }
    }

    /// The `@` mention the composer's cursor ends: its line, where its `@` is, and the
    /// cursor's byte in the line.
    pub(super) fn mention_span(&self) -> Option<(&str, usize, usize)> {
        let ratatui_textarea::DataCursor(row, col) = self.composer.cursor();
        let line = self.composer.lines().get(row)?;
        let byte = line.char_indices().nth(col).map_or(line.len(), |(b, _)| b);
        let (start, _) = crate::mentions::at_cursor(line, byte)?;
        Some((line.as_str(), start, byte))
    }

    /// An `@` starting a word asks for the workspace's files: the first time, and again when
    /// the list is older than [`FILES_FRESH`] (files made since are offered too).
    pub(super) fn ask_for_files(&mut self, now: Instant) -> Vec<Effect> {
        // One walk at a time: a slow one is not joined by another.
        if self.files_walking
            || self
                .files_asked
                .is_some_and(|t| now.duration_since(t) < FILES_FRESH)
        {
            return Vec::new();
        }
        // Just typed: an `@` with nothing after it yet.
        let typing_mention = self
            .mention_span()
            .is_some_and(|(_, start, byte)| byte == start + 1);
        if !typing_mention {
            return Vec::new();
        }
        self.files_asked = Some(now);
        self.files_walking = self.files.is_some();
        vec![Effect::ListFiles]
    }

    /// An index of the workspace's files arrived. The first is used at once (it fills as
    /// its walk goes); a fresher one ranks for the query in use first, and replaces the one
    /// in use once it has (so the popup never empties while it does).
    pub fn on_files(&mut self, mut files: Box<FileIndex>) {
        self.files_walking = false;
        match &self.files {
            None => self.files = Some(files),
            Some(old) => {
                files.set_query(old.query());
                self.fresher = Some(files);
            }
        }
        self.follow_mention();
        self.adopt_fresher();
        self.dirty = true;
    }

    /// The walk or a matcher has news: the popup shows it.
    pub fn on_files_moved(&mut self) {
        for files in [&mut self.files, &mut self.fresher].into_iter().flatten() {
            if files.tick() {
                self.dirty = true;
            }
        }
        self.adopt_fresher();
    }

    /// A fresher index that has ranked for the query in use replaces the old one.
    fn adopt_fresher(&mut self) {
        if self.fresher.as_deref().is_some_and(FileIndex::ranked) {
            self.files = self.fresher.take();
            self.dirty = true;
        }
    }

    /// The popup's key on a mention: the selected path replaces what was typed after `@`.
    pub(super) fn mention_action(&mut self, action: Action, shown: &[&str]) {
        let n = shown.len();
        let selected = self.completion_selected(n);
        match action {
            Action::CompletionNext => self.completion_index = (selected + 1) % n,
            Action::CompletionPrev => self.completion_index = (selected + n - 1) % n,
            Action::CompletionAccept | Action::CompletionRun => {
                let path = shown[selected].to_string();
                let Some((line, start, byte)) = self.mention_span() else {
                    return;
                };
                let typed = line[start + 1..byte].chars().count();
                // A folder keeps the popup open to go on into it.
                let space = if path.ends_with('/') { "" } else { " " };
                for _ in 0..typed {
                    self.composer.delete_char();
                }
                self.composer.insert_str(format!("{path}{space}"));
                self.completion_index = 0;
            }
            _ => {}
        }
    }
}
