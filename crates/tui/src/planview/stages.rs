//! The stage bar of a pipeline run, over the plan pane: every stage with its state, the
//! current one marked, wrapped onto as many rows as the pane's width needs.

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::PlanView;
use crate::theme::Theme;

impl PlanView {
    /// Lays out the stage bar of a pipeline run for a pane `width` columns wide; the stage
    /// running or at its gate names the `model` in use.
    pub fn prepare_stages(
        &mut self,
        run: Option<&crate::pipeline::Run>,
        theme: &Theme,
        width: u16,
        model: &str,
    ) {
        use crate::pipeline::StageStatus;
        let s = &theme.styles;
        self.at_gate = run.is_some_and(|r| {
            r.current()
                .is_some_and(|i| r.statuses[i] == StageStatus::AwaitingGate)
        });
        self.stages = run.map(|run| {
            let current = run.current();
            let items = run
                .pipeline
                .stages
                .iter()
                .zip(&run.statuses)
                .enumerate()
                .map(|(i, (def, status))| {
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
                    let mut item = vec![
                        Span::styled(format!("{icon} "), style),
                        Span::styled(def.name.clone(), name),
                    ];
                    let active = matches!(status, StageStatus::Running | StageStatus::AwaitingGate);
                    if active && !model.is_empty() {
                        item.push(Span::styled(format!(" ({model})"), s.dim));
                    }
                    item
                })
                .collect();
            wrap(items, usize::from(width), &Span::styled(" › ", s.dim))
        });
    }
}

/// The pipeline a prompt will start: each stage (with its skill when named otherwise), what
/// it produces and who passes its gate (⏸).
pub(super) fn preview(
    p: &crate::pipeline::Pipeline,
    s: &crate::theme::Styles,
    keymap: &crate::keymap::Keymap,
) -> Vec<Line<'static>> {
    use crate::hints;
    use crate::keymap::Action;
    use crate::pipeline::{Gate, StageKind};
    let mut out = Vec::new();
    if !p.description.is_empty() {
        out.push(Line::styled(p.description.clone(), s.dim));
    }
    for (i, stage) in p.stages.iter().enumerate() {
        let file = |a: &str| a.rsplit('/').next().unwrap_or(a).to_string();
        let work = match (&stage.kind, &stage.artifact) {
            (StageKind::Plan, _) => "proposes the tasks".to_string(),
            (StageKind::RunPlan, _) => "runs the approved tasks".into(),
            (StageKind::Verify, _) => "runs the tests".into(),
            (StageKind::Ship, Some(a)) => format!("writes {}, commits", file(a)),
            (_, Some(a)) => format!("writes {}", file(a)),
            (_, None) => "a model turn".into(),
        };
        let skill = if stage.skill == stage.name {
            String::new()
        } else {
            format!(" (skill {})", stage.skill)
        };
        let gate = match stage.gate {
            Gate::Human => "⏸ you",
            Gate::Command => "⏸ tests pass",
        };
        out.push(Line::from(vec![
            Span::styled(format!("{}. ", i + 1), s.dim),
            Span::styled(stage.name.clone(), s.text.add_modifier(Modifier::BOLD)),
            Span::styled(format!("{skill} — {work} · {gate}"), s.dim),
        ]));
    }
    out.push(Line::styled(
        format!(
            "At a gate, from anywhere: {}.",
            hints::say(
                keymap,
                &[
                    (Action::GatePass, "passes it"),
                    (Action::GateBack, "sends it back with comments"),
                    (Action::GateSkip, "skips it"),
                ]
            )
        ),
        s.dim,
    ));
    out
}

/// Lays items out left to right, a separator between two on one row, a new row when the
/// next would not fit (an item wider than the row gets a row of its own).
fn wrap(
    items: Vec<Vec<Span<'static>>>,
    width: usize,
    separator: &Span<'static>,
) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut used = 0;
    for item in items {
        let w: usize = item.iter().map(|sp| sp.content.width()).sum();
        let sep = separator.content.width();
        match lines.last_mut() {
            Some(line) if used + sep + w <= width => {
                line.spans.push(separator.clone());
                line.spans.extend(item);
                used += sep + w;
            }
            _ => {
                lines.push(Line::from(item));
                used = w;
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fixtures::texts as text;

    #[test]
    fn every_stage_is_shown_wrapped_to_the_width() {
        let names = crate::fixtures::STAGES;
        let items: Vec<Vec<Span<'static>>> = names
            .iter()
            .map(|n| vec![Span::raw("○ "), Span::raw((*n).to_string())])
            .collect();
        for width in [30, 38, 58, 118] {
            let lines = wrap(items.clone(), width, &Span::raw(" › "));
            let all = text(&lines).join(" › ");
            for n in names {
                assert!(all.contains(n), "{n} missing at {width}: {all}");
            }
            for l in text(&lines) {
                assert!(l.width() <= width, "{l:?} wider than {width}");
            }
        }
        assert_eq!(wrap(items, 118, &Span::raw(" › ")).len(), 1);
    }
}
