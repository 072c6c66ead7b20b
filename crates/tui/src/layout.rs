//! Where each pane goes, as a pure function of the terminal size and the view state, so both
//! the draw path and input handling (mouse hit-testing) agree on it.

use ratatui::layout::{Constraint, Direction, Layout, Rect};

/// Below this the UI shows a "terminal too small" notice instead of panes.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;
/// Below this width the panes become tabs.
pub const TABS_BELOW_WIDTH: u16 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaneId {
    Chat,
    Plan,
    Diff,
    Context,
}

impl PaneId {
    pub const ALL: [PaneId; 4] = [PaneId::Chat, PaneId::Plan, PaneId::Diff, PaneId::Context];

    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            PaneId::Chat => "Chat",
            PaneId::Plan => "Plan",
            PaneId::Diff => "Diff",
            PaneId::Context => "Context",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScreenLayout {
    TooSmall,
    Normal {
        /// The tab bar, in tab mode.
        tabs: Option<Rect>,
        /// The panes on screen (one in tab or zoom mode).
        panes: Vec<(PaneId, Rect)>,
        status: Rect,
    },
}

impl ScreenLayout {
    #[must_use]
    pub fn pane(&self, id: PaneId) -> Option<Rect> {
        match self {
            ScreenLayout::Normal { panes, .. } => {
                panes.iter().find(|(p, _)| *p == id).map(|(_, r)| *r)
            }
            ScreenLayout::TooSmall => None,
        }
    }
}

/// Lays out the screen: four panes side by side when wide, tabs when narrow, one pane when
/// zoomed.
#[must_use]
pub fn compute(area: Rect, focused: PaneId, zoomed: bool) -> ScreenLayout {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return ScreenLayout::TooSmall;
    }
    let [body, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    if area.width < TABS_BELOW_WIDTH {
        let [tabs, pane] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(body);
        return ScreenLayout::Normal {
            tabs: Some(tabs),
            panes: vec![(focused, pane)],
            status,
        };
    }
    if zoomed {
        return ScreenLayout::Normal {
            tabs: None,
            panes: vec![(focused, body)],
            status,
        };
    }
    let [chat, side] =
        Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(body);
    let sides = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Percentage(40),
            Constraint::Percentage(35),
            Constraint::Percentage(25),
        ])
        .split(side);
    ScreenLayout::Normal {
        tabs: None,
        panes: vec![
            (PaneId::Chat, chat),
            (PaneId::Plan, sides[0]),
            (PaneId::Diff, sides[1]),
            (PaneId::Context, sides[2]),
        ],
        status,
    }
}

/// Splits the chat pane (borders included) into the transcript and the composer below it.
/// The composer grows with its text up to a third of the pane.
#[must_use]
pub fn chat_areas(chat: Rect, composer_lines: usize) -> (Rect, Rect) {
    let inner = Rect {
        x: chat.x + 1,
        y: chat.y + 1,
        width: chat.width.saturating_sub(2),
        height: chat.height.saturating_sub(2),
    };
    let max = (inner.height / 3).max(3);
    let wanted = u16::try_from(composer_lines)
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let composer_height = wanted.clamp(3, max).min(inner.height);
    let [transcript, composer] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(composer_height)]).areas(inner);
    (transcript, composer)
}

/// What has keyboard focus. The chat pane has two: its composer and its transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Composer,
    Transcript,
    Plan,
    Diff,
    Context,
}

impl Focus {
    const ORDER: [Focus; 5] = [
        Focus::Composer,
        Focus::Transcript,
        Focus::Plan,
        Focus::Diff,
        Focus::Context,
    ];

    #[must_use]
    pub fn pane(self) -> PaneId {
        match self {
            Focus::Composer | Focus::Transcript => PaneId::Chat,
            Focus::Plan => PaneId::Plan,
            Focus::Diff => PaneId::Diff,
            Focus::Context => PaneId::Context,
        }
    }

    pub(crate) fn next(self) -> Focus {
        let i = Self::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        Self::ORDER[(i + 1) % Self::ORDER.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_by_size() {
        assert_eq!(
            compute(Rect::new(0, 0, 39, 40), PaneId::Chat, false),
            ScreenLayout::TooSmall
        );
        assert_eq!(
            compute(Rect::new(0, 0, 80, 11), PaneId::Chat, false),
            ScreenLayout::TooSmall
        );
        let ScreenLayout::Normal {
            tabs,
            panes,
            status,
        } = compute(Rect::new(0, 0, 80, 24), PaneId::Diff, false)
        else {
            panic!()
        };
        assert!(tabs.is_some());
        assert_eq!(panes.len(), 1);
        assert_eq!(panes[0].0, PaneId::Diff);
        assert_eq!(status.y, 23);
        let l = compute(Rect::new(0, 0, 120, 40), PaneId::Chat, false);
        for p in PaneId::ALL {
            assert!(l.pane(p).is_some());
        }
        let z = compute(Rect::new(0, 0, 120, 40), PaneId::Plan, true);
        assert_eq!(z.pane(PaneId::Plan), Some(Rect::new(0, 0, 120, 39)));
        assert_eq!(z.pane(PaneId::Chat), None);
    }
}
