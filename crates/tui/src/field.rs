//! One-line text fields (a denial's reason, a hunk's comment, a plan step's title and detail,
//! a stage sent back): one widget, the composer's own (ratatui-textarea), with the composer's
//! editing keys — arrows, Home/End, Ctrl+A/E, Ctrl+B/F, Alt+B/F, Ctrl+W and Alt+Backspace,
//! Ctrl+K, Ctrl+U (to the start, as the composer's), Ctrl+H/D, Delete. Enter saves and Esc
//! cancels; every other key is the keymap's, so nothing typed into a field leaks elsewhere.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::{Line, Span};
use ratatui_textarea::{CursorMove, TextArea};

use super::theme::Styles;

/// A one-line field: its text and cursor.
#[derive(Debug, Clone, Default)]
pub struct TextField {
    area: TextArea<'static>,
}

impl PartialEq for TextField {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text() && self.area.cursor() == other.area.cursor()
    }
}

impl Eq for TextField {}

impl TextField {
    /// A field holding `text`, the cursor at its end.
    #[must_use]
    pub fn new(text: &str) -> TextField {
        let mut area = TextArea::default();
        area.insert_str(text.replace(['\n', '\r'], " "));
        area.move_cursor(CursorMove::End);
        TextField { area }
    }

    #[must_use]
    pub fn text(&self) -> &str {
        self.area.lines().first().map_or("", String::as_str)
    }

    #[must_use]
    pub fn into_text(self) -> String {
        self.text().to_string()
    }

    /// Applies `event`; `None` for keys the field leaves to the keymap (Ctrl+Q, F1, Tab…).
    pub fn edit(&mut self, event: &KeyEvent) -> Option<Edited> {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        let alt = event.modifiers.contains(KeyModifiers::ALT);
        match event.code {
            KeyCode::Enter if !ctrl && !alt => return Some(Edited::Enter),
            KeyCode::Esc => return Some(Edited::Esc),
            // The composer's Ctrl+U: from the cursor to the start.
            KeyCode::Char('u') if ctrl && !alt => {
                self.area.delete_line_by_head();
                return Some(Edited::Changed);
            }
            _ => {}
        }
        let editing = match event.code {
            KeyCode::Char(_) if !ctrl && !alt => true,
            KeyCode::Char('a' | 'e' | 'b' | 'f' | 'h' | 'd' | 'k' | 'w') if ctrl && !alt => true,
            KeyCode::Char('b' | 'f' | 'd') if alt && !ctrl => true,
            KeyCode::Backspace | KeyCode::Delete => true,
            KeyCode::Left | KeyCode::Right | KeyCode::Home | KeyCode::End => !alt,
            _ => false,
        };
        if !editing {
            return None;
        }
        self.area.input(*event);
        Some(Edited::Changed)
    }

    /// The line the field shows while it is typed into: what it is, the text with the cursor,
    /// and its keys.
    #[must_use]
    pub fn line(&self, what: &str, s: &Styles) -> Line<'static> {
        let text = self.text();
        let at = self.area.cursor().1;
        let cut = text.char_indices().nth(at).map_or(text.len(), |(i, _)| i);
        // A label that is itself a mark (`>`) is not followed by a colon.
        let label = if what.ends_with(|c: char| c.is_alphanumeric() || c == ')') {
            format!("{what}: ")
        } else {
            format!("{what} ")
        };
        Line::from(vec![
            Span::styled(label, s.key),
            Span::styled(text[..cut].to_string(), s.text),
            Span::styled("▏", s.key),
            Span::styled(text[cut..].to_string(), s.text),
            Span::styled("  Enter saves · Esc cancels", s.dim),
        ])
    }
}

/// What a key did to a field.
pub enum Edited {
    /// Enter: the caller saves the text.
    Enter,
    /// Esc: the caller drops it.
    Esc,
    /// The text or the cursor moved.
    Changed,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(f: &mut TextField, code: KeyCode, mods: KeyModifiers) -> Option<Edited> {
        f.edit(&KeyEvent::new(code, mods))
    }

    fn typed(f: &mut TextField, text: &str) {
        for c in text.chars() {
            press(f, KeyCode::Char(c), KeyModifiers::NONE);
        }
    }

    #[test]
    fn the_composers_editing_keys_work_in_a_field() {
        let mut f = TextField::new("add the cache");
        press(&mut f, KeyCode::Char('w'), KeyModifiers::CONTROL);
        assert_eq!(f.text(), "add the ");
        typed(&mut f, "index");
        press(&mut f, KeyCode::Char('a'), KeyModifiers::CONTROL);
        typed(&mut f, "then ");
        assert_eq!(f.text(), "then add the index");
        press(&mut f, KeyCode::Char('e'), KeyModifiers::CONTROL);
        press(&mut f, KeyCode::Left, KeyModifiers::NONE);
        press(&mut f, KeyCode::Char('u'), KeyModifiers::CONTROL);
        assert_eq!(f.text(), "x");
        press(&mut f, KeyCode::Home, KeyModifiers::NONE);
        press(&mut f, KeyCode::Char('k'), KeyModifiers::CONTROL);
        assert_eq!(f.text(), "");
        // Enter and Esc are the caller's; a key of the keymap is left to it.
        assert!(matches!(
            press(&mut f, KeyCode::Enter, KeyModifiers::NONE),
            Some(Edited::Enter)
        ));
        assert!(matches!(
            press(&mut f, KeyCode::Esc, KeyModifiers::NONE),
            Some(Edited::Esc)
        ));
        assert!(press(&mut f, KeyCode::Char('q'), KeyModifiers::CONTROL).is_none());
        assert!(press(&mut f, KeyCode::F(1), KeyModifiers::NONE).is_none());
        // No newline gets into a one-line field.
        assert!(press(&mut f, KeyCode::Char('j'), KeyModifiers::CONTROL).is_none());
        assert_eq!(TextField::new("a\nb").text(), "a b");
    }
}
