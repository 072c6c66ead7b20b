//! One-line text fields (a denial's reason, a hunk's comment, a plan step's title): which keys
//! edit them. These keys are fixed, not keymap actions: Enter saves, Esc cancels.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::{Line, Span};

use super::theme::Styles;

/// A key typed into a one-line text field.
pub enum Key {
    Enter,
    Esc,
    Backspace,
    Char(char),
}

/// What a key does in a text field; `None` for keys the field leaves to the keymap (Ctrl+Q…).
#[must_use]
pub fn key(key: &KeyEvent) -> Option<Key> {
    let plain = !key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    match key.code {
        KeyCode::Enter if plain => Some(Key::Enter),
        KeyCode::Esc => Some(Key::Esc),
        KeyCode::Backspace => Some(Key::Backspace),
        KeyCode::Char(c) if plain => Some(Key::Char(c)),
        _ => None,
    }
}

/// What a key did to a field's text.
pub enum Edited {
    /// Enter: the caller saves the text.
    Enter,
    /// Esc: the caller drops it.
    Esc,
    /// A character typed or erased.
    Changed,
}

/// Applies a key to a one-line field's `text`: characters and Backspace edit it; Enter and Esc
/// are the caller's to act on. `None` for keys the field leaves to the keymap.
pub fn edit(text: &mut String, event: &KeyEvent) -> Option<Edited> {
    Some(match key(event)? {
        Key::Enter => Edited::Enter,
        Key::Esc => Edited::Esc,
        Key::Backspace => {
            text.pop();
            Edited::Changed
        }
        Key::Char(c) => {
            text.push(c);
            Edited::Changed
        }
    })
}

/// The line a field shows while it is typed into: what it is, the text, and its keys.
#[must_use]
pub fn line(what: &str, text: &str, s: &Styles) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{what}: "), s.key),
        Span::styled(format!("{text}▏"), s.text),
        Span::styled("  Enter saves · Esc cancels", s.dim),
    ])
}
