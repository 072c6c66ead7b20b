//! A tool call as the chat shows it: one line (name, what it acted on, result, duration) that
//! expands to the arguments and the result the model received.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::theme::Theme;

/// Result lines shown when a cell is expanded; the rest is counted.
const EXPANDED_LINES: usize = 40;

#[derive(Debug, Clone, PartialEq)]
pub struct ToolResultView {
    pub ok: bool,
    pub summary: String,
    pub content: String,
    pub duration_ms: u64,
}

/// Where a result's text is. A long one stays in the session store (the core has its own
/// copy for the model): the chat reads it when the cell is opened or copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Output {
    #[default]
    Here,
    Stored,
    /// Asked of the store.
    Loading,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolCell {
    pub id: String,
    pub name: String,
    pub arguments: String,
    pub result: Option<ToolResultView>,
    pub expanded: bool,
    /// The call proposed a change that waits for the human's review.
    pub awaiting_review: bool,
    /// The call waits for the human to approve it (a command, an MCP tool).
    pub awaiting_approval: bool,
    /// Whether the result's text is here (see [`Output`]).
    pub output: Output,
    /// A subagent's tool calls so far, for a `task` call (its live progress).
    pub steps: Vec<AgentStep>,
}

/// One tool call of a subagent: what it called on what, and whether it went well (`None`
/// while it runs).
#[derive(Debug, Clone, PartialEq)]
pub struct AgentStep {
    pub id: String,
    pub line: String,
    pub ok: Option<bool>,
}

impl AgentStep {
    /// The step of a call of `name` with `arguments`.
    #[must_use]
    pub fn new(id: &str, name: &str, arguments: &str) -> AgentStep {
        AgentStep {
            id: id.to_string(),
            line: format!("{name} {}", target_of(arguments)),
            ok: None,
        }
    }

    fn mark(&self) -> &'static str {
        match self.ok {
            None => "…",
            Some(true) => "✓",
            Some(false) => "✗",
        }
    }
}

impl ToolCell {
    /// The subagent's call `id` returned.
    pub fn step_done(&mut self, id: &str, ok: bool) {
        if let Some(step) = self.steps.iter_mut().rev().find(|s| s.id == id) {
            step.ok = Some(ok);
        }
    }

    /// What the call acted on, from its arguments: the path, pattern or command.
    #[must_use]
    pub fn target(&self) -> String {
        target_of(&self.arguments)
    }

    /// The cell's lines at `width`.
    #[must_use]
    pub fn render(&self, width: u16, theme: &Theme) -> Vec<Line<'static>> {
        let s = &theme.styles;
        let marker = if self.expanded { "▾" } else { "▸" };
        let target = self.target();
        let (status, status_style) = match &self.result {
            None if self.awaiting_review => ("awaiting your review (diff pane)".to_string(), s.key),
            None if self.awaiting_approval => ("waiting for your approval".to_string(), s.key),
            None => ("running…".to_string(), s.notice),
            Some(r) => {
                // A command's summary starts with the command the line already shows.
                let summary = r
                    .summary
                    .strip_prefix(&format!("$ {target} → "))
                    .unwrap_or(&r.summary);
                (
                    format!(
                        "{} {summary} ({})",
                        if r.ok { "✓" } else { "✗" },
                        duration(r.duration_ms)
                    ),
                    if r.ok { s.dim } else { s.error },
                )
            }
        };
        let name_style = s.assistant_label.add_modifier(Modifier::BOLD);
        let head = Line::from(vec![
            Span::styled(format!("{marker} "), s.dim),
            Span::styled(self.name.clone(), name_style),
            Span::raw(" "),
            Span::styled(target.clone(), s.text),
            Span::raw("  "),
            Span::styled(status.clone(), status_style),
        ]);
        let mut lines = if head.width() <= usize::from(width) {
            vec![head]
        } else {
            // Too wide: it wraps at the pane's edge rather than losing its end.
            super::markdown::wrap(
                &[
                    (self.name.clone(), name_style),
                    (format!(" {target} "), s.text),
                    (format!(" {status}"), status_style),
                ],
                usize::from(width.max(8)),
                vec![Span::styled(format!("{marker} "), s.dim)],
                &[Span::raw("  ")],
            )
        };
        if !self.expanded {
            // A subagent at work shows what it is doing now.
            if let (None, Some(step)) = (&self.result, self.steps.last()) {
                let line = format!("  └ {} {}", step.mark(), step.line);
                lines.push(super::fit::line(
                    Line::styled(line, s.dim),
                    usize::from(width),
                ));
            }
            return lines;
        }
        let width = usize::from(width.max(8)) - 4;
        let body = |text: &str, style: Style, lines: &mut Vec<Line<'static>>| {
            let all: Vec<&str> = text.lines().collect();
            for raw in all.iter().take(EXPANDED_LINES) {
                let raw = super::fit::expand_tabs(raw, 8);
                for piece in textwrap::wrap(&raw, textwrap::Options::new(width).break_words(true)) {
                    lines.push(Line::from(vec![
                        Span::styled("  │ ", s.dim),
                        Span::styled(piece.into_owned(), style),
                    ]));
                }
            }
            if all.len() > EXPANDED_LINES {
                lines.push(Line::styled(
                    format!("  │ … {} more lines", all.len() - EXPANDED_LINES),
                    s.dim,
                ));
            }
        };
        let args = serde_json::from_str::<serde_json::Value>(&self.arguments)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| self.arguments.clone());
        body(&args, s.dim, &mut lines);
        if !self.steps.is_empty() {
            lines.push(Line::styled("  ├ its steps", s.dim));
            let steps: Vec<String> = self
                .steps
                .iter()
                .map(|step| format!("{} {}", step.mark(), step.line))
                .collect();
            body(&steps.join("\n"), s.dim, &mut lines);
        }
        if let Some(r) = &self.result {
            lines.push(Line::styled("  ├ result", s.dim));
            if self.output == Output::Here {
                body(&r.content, if r.ok { s.text } else { s.error }, &mut lines);
            } else {
                lines.push(Line::styled("  │ reading the result…", s.dim));
            }
        }
        lines
    }

    /// What `y` copies: the result, or the arguments while it runs; `None` while the result
    /// is only in the store.
    #[must_use]
    pub fn copy_text(&self) -> Option<String> {
        match &self.result {
            None => Some(self.arguments.clone()),
            Some(r) if self.output == Output::Here => Some(r.content.clone()),
            Some(_) => None,
        }
    }
}

/// What a call acted on, from its arguments: the path, pattern or command.
#[must_use]
pub fn target_of(arguments: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(arguments).unwrap_or_default();

    if let (Some(from), Some(to)) = (
        v.get("from").and_then(|s| s.as_str()),
        v.get("to").and_then(|s| s.as_str()),
    ) {
        return format!("{from} → {to}");
    }
    if let Some(steps) = v.get("steps").and_then(|s| s.as_array()) {
        let titles: Vec<&str> = steps
            .iter()
            .filter_map(|s| s.get("title").and_then(|t| t.as_str()))
            .collect();
        return format!("{} steps: {}", steps.len(), titles.join(" · "));
    }
    // A task for a subagent: which agent, and the start of what it was asked.
    if let (Some(agent), Some(prompt)) = (
        v.get("agent").and_then(|s| s.as_str()),
        v.get("prompt").and_then(|s| s.as_str()),
    ) {
        return format!("{agent}: {}", prompt.lines().next().unwrap_or_default());
    }
    for key in ["command", "path", "pattern", "summary", "reason", "name"] {
        if let Some(s) = v.get(key).and_then(|s| s.as_str()) {
            return s.lines().next().unwrap_or_default().to_string();
        }
    }
    let compact = v.to_string();
    if compact.chars().count() > 60 {
        format!("{}…", compact.chars().take(59).collect::<String>())
    } else {
        compact
    }
}

fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        #[allow(clippy::cast_precision_loss)] // display only
        let secs = ms as f64 / 1000.0;
        format!("{secs:.1} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fixtures::texts as text;

    #[test]
    fn a_task_shows_its_agent_and_what_it_was_asked() {
        let cell = ToolCell {
            id: "1".into(),
            name: "task".into(),
            arguments: r#"{"agent":"explorer","prompt":"Where is the parser?\nBe brief."}"#.into(),
            result: None,
            expanded: false,
            awaiting_review: false,
            awaiting_approval: false,
            output: Output::Here,
            steps: Vec::new(),
        };
        assert_eq!(cell.target(), "explorer: Where is the parser?");
    }

    #[test]
    fn tabs_in_a_result_become_spaces_up_to_the_next_stop() {
        assert_eq!(
            super::super::fit::expand_tabs("     1\tfrom x", 8),
            "     1  from x"
        );
        assert_eq!(super::super::fit::expand_tabs("a\tb\tc", 4), "a   b   c");
        let theme = Theme::load("dark", std::path::Path::new("/none")).unwrap();
        let cell = ToolCell {
            id: "1".into(),
            name: "read_file".into(),
            arguments: r#"{"path":"a.py"}"#.into(),
            result: Some(ToolResultView {
                ok: true,
                summary: "a.py: lines 1-1 of 1".into(),
                content: "     1\tfrom dataclasses import x".into(),
                duration_ms: 1,
            }),
            expanded: true,
            awaiting_review: false,
            awaiting_approval: false,
            output: Output::Here,
            steps: Vec::new(),
        };
        let lines = text(&cell.render(80, &theme));
        assert!(
            lines
                .iter()
                .any(|l| l.ends_with("     1  from dataclasses import x")),
            "{lines:?}"
        );
    }

    #[test]
    fn a_skill_call_shows_the_skills_name() {
        let cell = ToolCell {
            id: "1".into(),
            name: "skill".into(),
            arguments: r#"{"name":"pdf"}"#.into(),
            result: None,
            expanded: false,
            awaiting_review: false,
            awaiting_approval: false,
            output: Output::Here,
            steps: Vec::new(),
        };
        assert_eq!(cell.target(), "pdf");
    }

    #[test]
    fn a_command_is_shown_once_with_one_duration_and_a_long_line_wraps() {
        let theme = Theme::load("dark", std::path::Path::new("/none")).unwrap();
        let command = "cargo test --workspace --all-features -- --include-ignored --test-threads 1";
        let cell = ToolCell {
            id: "1".into(),
            name: "run_command".into(),
            arguments: serde_json::json!({ "command": command }).to_string(),
            result: Some(ToolResultView {
                ok: true,
                summary: format!("$ {command} → exit code 0"),
                content: "ok\n[exit code 0]".into(),
                duration_ms: 1200,
            }),
            expanded: false,
            awaiting_review: false,
            awaiting_approval: false,
            output: Output::Here,
            steps: Vec::new(),
        };
        let lines = text(&cell.render(50, &theme));
        let all = lines.join(" ");
        assert_eq!(all.matches("--test-threads").count(), 1, "{lines:?}");
        assert_eq!(all.matches(" s)").count(), 1, "one duration: {lines:?}");
        assert!(all.contains("✓ exit code 0 (1.2 s)"), "{lines:?}");
        assert!(lines.len() > 1, "wrapped, not cut: {lines:?}");
        for l in &lines {
            assert!(
                unicode_width::UnicodeWidthStr::width(l.as_str()) <= 50,
                "{l:?}"
            );
        }
        assert!(
            lines[1].starts_with("  "),
            "continuations are indented: {lines:?}"
        );
    }

    #[test]
    fn collapsed_and_expanded() {
        let theme = Theme::load("dark", std::path::Path::new("/none")).unwrap();
        let mut cell = ToolCell {
            id: "1".into(),
            name: "run_command".into(),
            arguments: r#"{"command":"cargo test\n--all"}"#.into(),
            result: None,
            expanded: false,
            awaiting_review: false,
            awaiting_approval: false,
            output: Output::Here,
            steps: Vec::new(),
        };
        assert_eq!(
            text(&cell.render(80, &theme)),
            ["▸ run_command cargo test  running…"]
        );
        cell.awaiting_approval = true;
        assert_eq!(
            text(&cell.render(80, &theme)),
            ["▸ run_command cargo test  waiting for your approval"]
        );
        cell.awaiting_approval = false;
        cell.awaiting_review = true;
        assert_eq!(
            text(&cell.render(80, &theme)),
            ["▸ run_command cargo test  awaiting your review (diff pane)"]
        );
        cell.result = Some(ToolResultView {
            ok: false,
            summary: "exit code 101".into(),
            content: "test failed\n[exit code 101]".into(),
            duration_ms: 2500,
        });
        assert_eq!(
            text(&cell.render(80, &theme)),
            ["▸ run_command cargo test  ✗ exit code 101 (2.5 s)"]
        );
        cell.expanded = true;
        let lines = text(&cell.render(80, &theme));
        assert!(lines.contains(&"  │ test failed".to_string()), "{lines:?}");
        assert!(lines.iter().any(|l| l.contains("\"command\"")), "{lines:?}");
        assert_eq!(
            cell.copy_text().as_deref(),
            Some("test failed\n[exit code 101]")
        );
    }

    #[test]
    fn targets_of_moves_plans_and_steps() {
        let target = |name: &str, args: &str| {
            ToolCell {
                id: "1".into(),
                name: name.into(),
                arguments: args.into(),
                result: None,
                expanded: false,
                awaiting_review: false,
                awaiting_approval: false,
                output: Output::Here,
                steps: Vec::new(),
            }
            .target()
        };
        assert_eq!(target("move_file", r#"{"from":"a","to":"b"}"#), "a → b");
        assert_eq!(
            target("propose_plan", r#"{"steps":[{"title":"x"},{"title":"y"}]}"#),
            "2 steps: x · y"
        );
        assert_eq!(
            target("complete_step", r#"{"summary":"done it"}"#),
            "done it"
        );
    }
}
