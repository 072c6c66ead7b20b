//! One-line text fields (a denial's reason, a hunk's comment, a plan step's title): which keys
//! edit them. These keys are fixed, not keymap actions: Enter saves, Esc cancels.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
