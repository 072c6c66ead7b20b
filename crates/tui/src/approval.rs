//! The command-approval prompt: what it shows and when it may be answered.
//!
//! The whole command is always reachable — it scrolls when long, with the keys pinned below it —
//! and whatever runs after a control operator (`;`, `&&`, `|`, a newline…) is highlighted, so a
//! harmless first line cannot hide the rest. It cannot be approved before a frame showing it has
//! been drawn (a key typed ahead is not an answer to a question not yet asked) nor before its last
//! line has been on screen. The layout is a pure function of the area, shared by the drawing and
//! by the key handling, so both agree on what was visible.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

use crate::tools::command;

/// A command waiting for the human's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalPrompt {
    pub id: String,
    pub command: String,
    /// Being typed after `n`: the reason sent with the denial.
    pub reason: Option<crate::field::TextField>,
    /// First command line shown.
    pub scroll: usize,
    /// A frame showing the prompt was drawn.
    pub drawn: bool,
    /// The command's last line has been on screen.
    pub seen_end: bool,
    /// Byte offset where the part that runs after a control operator begins.
    pub split_at: Option<usize>,
    /// Why the command is not a simple one.
    pub compound: Option<String>,
    /// What the sandbox lets it do (shown under the command).
    pub sandbox: String,
    /// The MCP server whose tool is called, when this is a tool call rather than a command.
    pub server: Option<String>,
}

impl ApprovalPrompt {
    #[must_use]
    pub fn new(id: &str, command: &str, sandbox: String) -> ApprovalPrompt {
        // An MCP tool call (`mcp__SERVER__TOOL {args}`) is no shell command: nothing to parse,
        // and it runs in its server, not in the sandbox (a checkpoint's reason stays).
        let server = command
            .split_whitespace()
            .next()
            .and_then(crate::mcp::server_of)
            .map(str::to_string);
        let ((split_at, compound), sandbox) = match &server {
            Some(name) => (
                (None, None),
                match sandbox.split_once("⚑ ") {
                    Some((_, why)) => {
                        format!("⚑ {}", why.split_once(". Sandbox").map_or(why, |(w, _)| w))
                    }
                    None => format!(
                        "It runs in the MCP server `{name}`, outside the sandbox, with what that \
                         server can reach."
                    ),
                },
            ),
            None => {
                let parsed = command::parse(command);
                ((parsed.split_at, parsed.compound), sandbox)
            }
        };
        ApprovalPrompt {
            id: id.to_string(),
            command: command.to_string(),
            reason: None,
            scroll: 0,
            drawn: false,
            seen_end: false,
            split_at,
            compound,
            sandbox,
            server,
        }
    }

    /// The lines under the command, before the keys: what it hides, why it is not simple, and
    /// the sandbox.
    #[must_use]
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if crate::safe_text::has_hidden(&self.command) {
            notes.push(
                "⚠ This command contains invisible characters (drawn as ␉ ␍ ␛ ⟨U+…⟩): it is not \
                 what it looks like in plain text. It is never run unasked."
                    .into(),
            );
        }
        match (&self.compound, self.split_at) {
            (Some(why), Some(_)) => notes.push(format!(
                "⚠ Not one simple command: {why}. The highlighted part runs too."
            )),
            (Some(why), None) => notes.push(format!("Not one simple command: {why}.")),
            _ => {}
        }
        notes.push(self.sandbox.clone());
        notes
    }

    /// Why `y`/`a` cannot answer yet, if they cannot.
    #[must_use]
    pub fn not_ready(&self, scroll_keys: &str) -> Option<String> {
        if !self.drawn {
            Some("not on screen yet: press again".into())
        } else if !self.seen_end {
            Some(format!("scroll to the command's end first ({scroll_keys})"))
        } else {
            None
        }
    }

    /// Scrolls by `delta` lines within what the layout in `area` can show.
    pub fn scroll_by(&mut self, area: Rect, delta: isize) {
        let layout = layout(area, self, &Styles::default());
        let max = layout.lines.len().saturating_sub(layout.visible);
        self.scroll = self.scroll.saturating_add_signed(delta).min(max);
    }

    /// A frame showing the prompt in `area` was drawn. Returns whether that changed what
    /// the prompt shows (it may now be answered).
    pub fn drawn_in(&mut self, area: Rect) -> bool {
        let layout = layout(area, self, &Styles::default());
        let before = (self.drawn, self.seen_end);
        self.drawn = true;
        if self.scroll + layout.visible >= layout.lines.len() {
            self.seen_end = true;
        }
        before != (self.drawn, self.seen_end)
    }

    /// Lines one page scrolls in `area`.
    #[must_use]
    pub fn page(&self, area: Rect) -> usize {
        layout(area, self, &Styles::default()).visible.max(1)
    }
}

/// The styles the prompt is drawn with.
#[derive(Debug, Clone, Copy, Default)]
pub struct Styles {
    pub text: Style,
    pub command: Style,
    /// The part after a control operator.
    pub danger: Style,
    pub dim: Style,
}

/// Where everything goes.
#[derive(Debug, Clone)]
pub struct PromptLayout {
    pub rect: Rect,
    /// The command, wrapped; every line of it.
    pub lines: Vec<Line<'static>>,
    /// How many command lines fit.
    pub visible: usize,
    /// The notes under the command, wrapped to the modal's width.
    pub notes: Vec<String>,
    /// Columns inside the border.
    pub inner_width: usize,
}

/// Lines above the command (the question, a blank line), and below it besides the notes (the
/// scroll position, the keys).
const HEADER_ROWS: usize = 2;
const FOOTER_ROWS: usize = 2;

/// Lays the prompt out in `area` (the whole screen).
#[must_use]
pub fn layout(area: Rect, prompt: &ApprovalPrompt, styles: &Styles) -> PromptLayout {
    let [_, column, _] = Layout::horizontal([
        Constraint::Percentage(8),
        Constraint::Percentage(84),
        Constraint::Percentage(8),
    ])
    .areas(area);
    let inner_width = usize::from(column.width).saturating_sub(2).max(8);
    // After the "$ " gutter.
    let text_width = inner_width.saturating_sub(4).max(4);
    let lines = wrap(&prompt.command, prompt.split_at, text_width, styles);
    let notes: Vec<String> = prompt
        .notes()
        .iter()
        .flat_map(|n| textwrap::wrap(n, inner_width))
        .map(|l| l.into_owned())
        .collect();
    let chrome = HEADER_ROWS + FOOTER_ROWS + notes.len() + 2;
    let max_height = usize::from(area.height).saturating_sub(2).max(chrome + 1);
    let height = (chrome + lines.len()).min(max_height);
    let visible = height.saturating_sub(chrome).max(1);
    let height = u16::try_from(height).unwrap_or(u16::MAX).min(area.height);
    let [_, row, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(height),
        Constraint::Fill(1),
    ])
    .areas(area);
    PromptLayout {
        rect: Rect {
            x: column.x,
            width: column.width,
            ..row
        },
        lines,
        visible,
        notes,
        inner_width,
    }
}

/// The command cut into lines of at most `width` columns, every character kept, the part from
/// `split_at` on in the danger style.
fn wrap(
    command: &str,
    split_at: Option<usize>,
    width: usize,
    styles: &Styles,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut offset = 0;
    for source in command.split('\n') {
        let mut spans: Vec<Span<'static>> = Vec::new();
        let mut current = String::new();
        let mut current_danger = false;
        let mut cols = 0;
        for (i, c) in source.char_indices() {
            // A character that is not drawn as itself is drawn as what it is, in the danger
            // style: byte for byte, nothing the terminal would swallow or interpret.
            let mut buf = [0u8; 4];
            let shown = crate::safe_text::command(c.encode_utf8(&mut buf))
                .0
                .into_owned();
            let hidden = shown.chars().count() != 1 || !shown.starts_with(c);
            let danger = hidden || split_at.is_some_and(|s| offset + i >= s);
            let w: usize = shown.chars().map(|c| c.width().unwrap_or(0)).sum();
            if cols + w > width {
                flush(&mut spans, &mut current, current_danger, styles);
                lines.push(Line::from(std::mem::take(&mut spans)));
                cols = 0;
            }
            if danger != current_danger {
                flush(&mut spans, &mut current, current_danger, styles);
                current_danger = danger;
            }
            current.push_str(&shown);
            cols += w;
        }
        flush(&mut spans, &mut current, current_danger, styles);
        lines.push(Line::from(spans));
        offset += source.len() + 1;
    }
    lines
}

fn flush(spans: &mut Vec<Span<'static>>, text: &mut String, danger: bool, styles: &Styles) {
    if !text.is_empty() {
        let style = if danger {
            styles.danger
        } else {
            styles.command
        };
        spans.push(Span::styled(std::mem::take(text), style));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line<'_>) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn a_long_command_keeps_every_character_and_marks_what_follows_the_operator() {
        let tail = "; rm -rf ./important_dir";
        let command = format!("cargo test {}{tail}", "x".repeat(300));
        let p = ApprovalPrompt::new("c", &command, "Sandbox: on.".into());
        let styles = Styles {
            danger: Style::default().fg(ratatui::style::Color::Red),
            ..Styles::default()
        };
        let l = layout(Rect::new(0, 0, 80, 24), &p, &styles);
        let joined: String = l.lines.iter().map(text).collect();
        assert_eq!(joined, command);
        let last = l.lines.last().unwrap();
        assert!(text(last).ends_with("important_dir"));
        assert_eq!(last.spans.last().unwrap().style, styles.danger);
        assert_eq!(l.lines[0].spans[0].style, styles.command);
    }

    #[test]
    fn an_mcp_tool_call_is_no_shell_command_and_names_its_server() {
        let p = ApprovalPrompt::new(
            "c",
            "mcp__db__query {\"sql\":\"select 1; drop table t\"}",
            "Sandbox: on.".into(),
        );
        assert_eq!(p.server.as_deref(), Some("db"));
        // A `;` inside the arguments is data, not a second command.
        assert_eq!(p.split_at, None);
        assert!(p.sandbox.contains("outside the sandbox"), "{}", p.sandbox);
        let stopped = ApprovalPrompt::new(
            "c",
            "mcp__db__query {}",
            "⚑ checkpoint `db`: reads are reviewed. Sandbox: on.".into(),
        );
        assert_eq!(stopped.sandbox, "⚑ checkpoint `db`: reads are reviewed");
    }

    #[test]
    fn it_answers_only_once_drawn_and_read_to_the_end() {
        let command: String = (0..60).map(|i| format!("echo {i}\n")).collect();
        let mut p = ApprovalPrompt::new("c", &command, "Sandbox: on.".into());
        let area = Rect::new(0, 0, 80, 24);
        assert!(p.not_ready("j").unwrap().contains("not on screen"));
        p.drawn_in(area);
        assert!(p.not_ready("j").unwrap().contains("end first"));
        for _ in 0..100 {
            p.scroll_by(area, 1);
        }
        p.drawn_in(area);
        assert_eq!(p.not_ready("j"), None);
        // A short command is read at once.
        let mut short = ApprovalPrompt::new("c", "ls", String::new());
        short.drawn_in(area);
        assert_eq!(short.not_ready("j"), None);
    }

    #[test]
    fn every_character_shows_as_what_it_is_with_a_warning() {
        for (command, shown) in [
            ("rm\t-rf\tvictim", "rm␉-rf␉victim"),
            ("echo\tsafe\rtouch X", "echo␉safe␍touch X"),
            ("ls\u{200b} .", "ls⟨U+200B⟩ ."),
            ("cat a\u{202e}txt", "cat a⟨U+202E⟩txt"),
        ] {
            let p = ApprovalPrompt::new("c", command, "Sandbox: on.".into());
            let l = layout(Rect::new(0, 0, 80, 24), &p, &Styles::default());
            let joined: String = l.lines.iter().map(text).collect();
            assert_eq!(joined, shown);
            assert!(
                p.notes()[0].contains("invisible characters"),
                "{:?}",
                p.notes()
            );
        }
        let plain = ApprovalPrompt::new("c", "ls -la", "Sandbox: on.".into());
        assert!(!plain.notes()[0].contains("invisible"));
    }

    #[test]
    fn the_layout_fits_tiny_screens() {
        let p = ApprovalPrompt::new("c", &"y".repeat(5000), "x ".repeat(100));
        for (w, h) in [(40, 12), (20, 8), (200, 60)] {
            let area = Rect::new(0, 0, w, h);
            let l = layout(area, &p, &Styles::default());
            assert!(l.rect.height <= area.height && l.rect.width <= area.width);
            assert!(l.visible >= 1);
        }
    }
}
