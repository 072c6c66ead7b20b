//! The stage bar of a pipeline run, over the plan pane: each stage with its state, the
//! current one marked.

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::PlanView;
use crate::tui::theme::Theme;

impl PlanView {
    /// Lays out the stage bar of a pipeline run.
    pub fn prepare_stages(&mut self, run: Option<&crate::pipeline::Run>, theme: &Theme) {
        use crate::pipeline::StageStatus;
        let s = &theme.styles;
        self.stages = run.map(|run| {
            let current = run.current();
            let mut spans = Vec::new();
            for (i, (def, status)) in run.pipeline.stages.iter().zip(&run.statuses).enumerate() {
                if i > 0 {
                    spans.push(Span::styled(" › ", s.dim));
                }
                let (icon, style) = match status {
                    StageStatus::Pending => ("○", s.dim),
                    StageStatus::Running => ("▶", s.key),
                    StageStatus::AwaitingGate => ("⏸", s.key),
                    StageStatus::Passed => ("●", s.diff_added),
                    StageStatus::Skipped => ("–", s.dim),
                };
                let name = if Some(i) == current {
                    style.add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
                } else {
                    style
                };
                spans.push(Span::styled(format!("{icon} "), style));
                spans.push(Span::styled(def.name.clone(), name));
            }
            Line::from(spans)
        });
    }
}
