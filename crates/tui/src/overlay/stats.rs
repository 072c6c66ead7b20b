//! `/cost`: this session's tokens, cost and speed, the last seven days' cost per model as
//! bars with their figures, and a sparkline of the cost per day. The figures are read from
//! the store in the background (see `services`); the overlay draws what has arrived.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Clear, Paragraph, Sparkline, Wrap};

use super::{DrawCtx, Layer, LayerCtx, LayerOutcome};
use crate::keymap::{Action, KeyContext};
use crate::library::{By, Overview, Totals};
use crate::report::figures;

/// Models drawn as bars at most (the dearest); the table lists them all.
const MAX_BARS: usize = 8;

/// Dollars as whole micro-dollars, the bars' and the sparkline's unit (a cent would round a
/// cheap model's day to nothing).
fn micros(d: f64) -> u64 {
    (d * 1e6).round().max(0.0) as u64
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatsView {
    /// `None` until the store has answered.
    pub data: Option<Overview>,
    pub scroll: u16,
}

impl Layer for StatsView {
    fn contexts(&self) -> Vec<KeyContext> {
        // Scrolled and closed with the help's keys.
        vec![KeyContext::Help, KeyContext::Global]
    }

    fn handle(&mut self, action: Action, _ctx: &LayerCtx<'_>) -> LayerOutcome {
        super::scroll_or_close(&mut self.scroll, action)
    }

    fn wheel(&mut self, delta: isize) {
        super::wheel_scroll(&mut self.scroll, delta);
    }

    fn draw(&self, ctx: &DrawCtx<'_>, frame: &mut Frame<'_>, area: Rect) {
        let s = &ctx.theme.styles;
        let rect = area.inner(ratatui::layout::Margin {
            horizontal: area.width / 20,
            vertical: 1,
        });
        frame.render_widget(Clear, rect);
        let close = ctx.keymap.keys_label(Action::HelpClose);
        let block = ctx
            .theme
            .pane_block("Cost and usage", true)
            .title_bottom(Line::styled(format!(" {close} close "), s.dim));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let Some(data) = &self.data else {
            frame.render_widget(
                Paragraph::new("Reading the session store…").style(s.dim),
                inner,
            );
            return;
        };
        let week = figures::table(&data.week, By::Model);
        let week_lines: Vec<&str> = if data.week.groups.is_empty() {
            Vec::new()
        } else {
            week.lines().collect()
        };
        let bars = data.week.groups.len().min(MAX_BARS);
        let [session, chart, figures, days] = Layout::vertical([
            Constraint::Length(4),
            Constraint::Length(if bars == 0 { 0 } else { 2 + 2 * bars as u16 }),
            Constraint::Length(week_lines.len().max(1) as u16 + 2),
            Constraint::Min(4),
        ])
        .areas(inner);

        let mut head = vec![Line::styled("This session", s.help_heading)];
        head.push(Line::raw(session_line(&data.session)));
        frame.render_widget(Paragraph::new(head).wrap(Wrap { trim: true }), session);

        if bars > 0 {
            let group: Vec<Bar<'_>> = data.week.groups[..bars]
                .iter()
                .map(|g| {
                    Bar::default()
                        .value(micros(g.cost.unwrap_or(0.0)))
                        .text_value(figures::cost(g))
                        .label(Line::raw(g.key.clone()))
                        .style(s.context_used)
                })
                .collect();
            let chart_block =
                Block::default().title(Line::styled("Last 7 days: cost per model", s.help_heading));
            frame.render_widget(
                BarChart::default()
                    .block(chart_block)
                    .direction(ratatui::layout::Direction::Horizontal)
                    .bar_width(1)
                    .bar_gap(1)
                    .data(BarGroup::default().bars(&group)),
                chart,
            );
        }

        let mut lines = vec![Line::styled("Last 7 days by model", s.help_heading)];
        if week_lines.is_empty() {
            lines.push(Line::styled("No model requests in the last 7 days.", s.dim));
        }
        lines.extend(week_lines.iter().map(|l| Line::raw((*l).to_string())));
        frame.render_widget(Paragraph::new(lines).scroll((self.scroll, 0)), figures);

        let values: Vec<u64> = data.days.iter().map(|(_, c)| micros(*c)).collect();
        let span = match (data.days.first(), data.days.last()) {
            (Some((a, _)), Some((b, _))) => format!("{a} – {b}"),
            _ => String::new(),
        };
        let [title, spark] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(days);
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!(
                    "Cost per day, {span}: {} in all",
                    figures::cost(&data.days_total)
                ),
                s.help_heading,
            )),
            title,
        );
        frame.render_widget(
            Sparkline::default().data(&values).style(s.context_used),
            spark.intersection(Rect {
                width: values.len() as u16,
                ..spark
            }),
        );
    }
}

/// One line of the session's figures.
fn session_line(t: &Totals) -> String {
    if t.requests == 0 {
        return "No model requests yet.".into();
    }
    let opt = |v: Option<u64>| v.map_or_else(|| "-".into(), figures::millis);
    format!(
        "{} requests{} · {} in ({:.0}% cached) · {} out · {} · latency p50 {} p95 {} · first \
         token p50 {}",
        t.requests,
        if t.errors > 0 {
            format!(" ({} failed)", t.errors)
        } else {
            String::new()
        },
        figures::tokens(t.input),
        t.cached_share * 100.0,
        figures::tokens(t.output),
        figures::cost(t),
        opt(t.latency_p50_ms),
        opt(t.latency_p95_ms),
        opt(t.ttft_p50_ms),
    )
}
