//! Untrusted text made safe to show: the model's words, a file's content, a command's output,
//! a session file's fields. One rule for every byte bound for a terminal (`visible`), one for
//! JSON a terminal may print (`json`), and one for a command a human approves (`command`).
//!
//! A terminal interprets control characters — ESC starts sequences that move the cursor, set the
//! title, write the clipboard (OSC 52), make links (OSC 8) — and bidirectional controls reorder
//! what is drawn, and zero-width characters hide what is there. Here each is replaced by a
//! visible stand-in: C0 controls by their Unicode control pictures (`␛`, `␉`), DEL by `␡`, C1
//! controls and invisible format characters by `⟨U+XXXX⟩`. Newlines (and, outside a command,
//! tabs) stay what they are.

use std::borrow::Cow;

/// Characters that draw nothing, break a line where the terminal does not, or reorder the
/// text around them: zero-width spaces and joiners, word joiners, invisible operators, the
/// byte-order mark, the bidirectional embeddings, overrides, isolates and marks, the line and
/// paragraph separators, Hangul fillers, the deprecated format controls, interlinear
/// annotations, and the tag characters and variation selectors that can spell out a hidden
/// message (the two emoji presentation selectors, which hold one bit at most, are drawn).
#[must_use]
pub fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{061C}'
            | '\u{FEFF}'
            | '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{3164}'
            | '\u{FFA0}'
            | '\u{FE00}'..='\u{FE0D}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E007F}'
            | '\u{E0100}'..='\u{E01EF}'
    )
}

/// Whether `c` changes what a terminal does or shows, beyond drawing a glyph.
fn unsafe_char(c: char, keep_tab: bool) -> bool {
    match c {
        '\n' => false,
        '\t' => !keep_tab,
        c if c.is_control() => true,
        c => invisible(c),
    }
}

/// The stand-in drawn for `c`.
fn stand_in(c: char, out: &mut String) {
    match u32::from(c) {
        n @ 0..=0x1f => out.push(char::from_u32(0x2400 + n).unwrap_or('?')),
        0x7f => out.push('␡'),
        n => out.push_str(&format!("⟨U+{n:04X}⟩")),
    }
}

fn replace(text: &str, keep_tab: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| unsafe_char(c, keep_tab)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c, keep_tab) {
            stand_in(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` as a terminal may print it: every control and invisible character shown, never
/// interpreted (newlines and tabs kept).
#[must_use]
pub fn visible(text: &str) -> Cow<'_, str> {
    replace(text, true)
}

/// JSON text (as serde writes it: C0 controls already escaped) with the characters it leaves
/// raw — C1 controls, DEL, invisible and bidirectional ones — escaped as `\uXXXX` too, so
/// the same data reaches a program and nothing reaches a terminal raw.
#[must_use]
pub fn json(text: &str) -> Cow<'_, str> {
    let raw = |c: char| (c.is_control() && c != '\n') || invisible(c);
    if !text.chars().any(raw) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if raw(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A command as the human approves it: every character that is not plainly drawn shown for
/// what it is — a tab as `␉`, a carriage return as `␍` — and whether any was there (such a
/// command is never allowlisted or pre-approved: what is seen must be what runs).
#[must_use]
pub fn command(text: &str) -> (Cow<'_, str>, bool) {
    let shown = replace(text, false);
    let hidden = matches!(shown, Cow::Owned(_));
    (shown, hidden)
}

/// Whether `text` holds a character [`command`] would show as a stand-in.
#[must_use]
pub fn has_hidden(text: &str) -> bool {
    text.chars().any(|c| unsafe_char(c, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of sequence a hostile text may carry.
    pub const HOSTILE: [&str; 10] = [
        "\x1b]52;c;cm0gLXJmIH4=\x07",
        "\x1b]0;owned title\x07",
        "\x1b[2J\x1b[H",
        "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
        "\x1b[6n",
        "\u{9b}31mcsi-8bit",
        "\x1bPqsixel\x1b\\",
        "abc\rxyz",
        "rm\u{202e}txt.exe",
        "a\u{200b}b\u{2060}c\u{feff}",
    ];

    #[test]
    fn nothing_a_terminal_interprets_survives() {
        for text in HOSTILE {
            let out = visible(text);
            assert!(
                !out.chars()
                    .any(|c| (c.is_control() && c != '\n' && c != '\t') || invisible(c)),
                "{text:?} → {out:?}"
            );
        }
        assert_eq!(visible("\x1b[31mred"), "␛[31mred");
        assert_eq!(visible("a\u{9b}b"), "a⟨U+009B⟩b");
        assert_eq!(visible("plain\ttext\n"), "plain\ttext\n");
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn hidden_messages_and_fillers_are_shown_and_an_emoji_is_drawn() {
        // "ignore" spelled in tag characters, as an ASCII-smuggling payload hides it.
        let tags: String = "ignore"
            .chars()
            .map(|c| char::from_u32(0xE0000 + u32::from(c)).unwrap())
            .collect();
        for hidden in [
            format!("ok{tags}"),
            "line\u{2028}break\u{2029}".into(),
            "a\u{3164}b\u{115F}\u{FFA0}".into(),
            "x\u{E0101}\u{FE01}\u{206A}\u{034F}\u{FFF9}".into(),
        ] {
            let (shown, flagged) = command(&hidden);
            assert!(flagged, "{hidden:?}");
            assert!(!shown.chars().any(invisible), "{shown}");
            assert!(visible(&hidden).contains("⟨U+"), "{hidden:?}");
        }
        assert!(matches!(visible("love \u{2764}\u{FE0F}"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_stays_json_and_carries_the_same_data() {
        for text in HOSTILE {
            let encoded = serde_json::to_string(text).unwrap();
            let safe = json(&encoded);
            assert!(
                !safe.chars().any(|c| c.is_control() || invisible(c)),
                "{safe:?}"
            );
            let back: String = serde_json::from_str(&safe).unwrap();
            assert_eq!(back, text);
        }
    }

    #[test]
    fn a_command_shows_its_tabs_returns_and_invisible_characters() {
        assert_eq!(command("rm\t-rf\tvictim").0, "rm␉-rf␉victim");
        assert_eq!(command("echo\tsafe\rtouch X").0, "echo␉safe␍touch X");
        let (shown, hidden) = command("ls\u{200b} x");
        assert!(hidden && shown.contains("U+200B"), "{shown}");
        assert_eq!(command("git status"), (Cow::Borrowed("git status"), false));
        assert!(has_hidden("a\u{2066}b") && !has_hidden("a b\nc"));
    }
}
