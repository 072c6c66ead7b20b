//! A fast token estimator by character class.
//!
//! BPE tokenizers such as o200k merge a leading space into the word after it, split long or
//! compound words into pieces, group digits by three, merge common punctuation pairs, fold a
//! line break with the indentation after it, and spend about one token per one or two CJK
//! characters. The estimator walks the text once, classifies runs, and charges each run what
//! those rules predict. Hand-written because no crate estimates without loading a vocabulary;
//! the constants are fitted against o200k on the corpus in `tests/corpus/`.

/// Letters a word piece holds per token, beyond its first.
const WORD_CHARS_PER_TOKEN: f64 = 8.0;
/// Tokens per punctuation character in a run (pairs like `::`, `();`, `"}` often merge).
const PUNCT_PER_CHAR: f64 = 0.7;
/// Tokens per CJK character.
const CJK_PER_CHAR: f64 = 0.70;
/// Tokens per other non-ASCII character (accented letters, symbols, emoji).
const OTHER_PER_CHAR: f64 = 1.0;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    Letter,
    Digit,
    Space,
    Newline,
    Punct,
    Cjk,
    Other,
}

fn class(c: char) -> Class {
    match c {
        'a'..='z' | 'A'..='Z' => Class::Letter,
        '0'..='9' => Class::Digit,
        '\n' | '\r' => Class::Newline,
        ' ' | '\t' => Class::Space,
        c if c.is_ascii_punctuation() => Class::Punct,
        c if is_cjk(c) => Class::Cjk,
        c if c.is_alphabetic() => Class::Letter,
        c if c.is_whitespace() => Class::Space,
        _ => Class::Other,
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x303F   // CJK punctuation
        | 0x3040..=0x30FF // kana
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xAC00..=0xD7AF // hangul
        | 0xF900..=0xFAFF
        | 0xFF00..=0xFFEF) // full-width forms
}

/// Tokens for a run of letters: camelCase humps and long words split into pieces.
fn word_tokens(word: &[char]) -> f64 {
    let mut tokens = 0.0;
    let mut piece = 0usize;
    let mut prev_lower = false;
    for &c in word {
        let upper = c.is_uppercase();
        if upper && prev_lower && piece > 0 {
            tokens += piece_tokens(piece);
            piece = 0;
        }
        piece += 1;
        prev_lower = c.is_lowercase();
    }
    tokens + piece_tokens(piece)
}

fn piece_tokens(len: usize) -> f64 {
    if len == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)] // word lengths are small
    let extra = (len.saturating_sub(1)) as f64 / WORD_CHARS_PER_TOKEN;
    1.0 + extra.floor()
}

/// Estimated tokens of `text`.
#[must_use]
pub fn estimate_tokens(text: &str) -> usize {
    let chars: Vec<char> = text.chars().collect();
    let mut total = 0.0f64;
    let mut i = 0;
    while i < chars.len() {
        let k = class(chars[i]);
        let start = i;
        while i < chars.len() && class(chars[i]) == k {
            i += 1;
        }
        let run = &chars[start..i];
        #[allow(clippy::cast_precision_loss)] // run lengths are small
        let n = run.len() as f64;
        total += match k {
            Class::Letter => word_tokens(run),
            Class::Digit => (n / 3.0).ceil(),
            // One space before a word or number merges into it; longer runs cost one token.
            Class::Space => {
                let next = chars.get(i).map(|c| class(*c));
                let after_break = start > 0 && class(chars[start - 1]) == Class::Newline;
                let merges = run.len() == 1
                    && matches!(next, Some(Class::Letter | Class::Digit | Class::Punct));
                if merges || after_break { 0.0 } else { 1.0 }
            }
            // A line break folds with the indentation after it into one token per break.
            Class::Newline => {
                let breaks = run.iter().filter(|c| **c == '\n').count().max(1);
                #[allow(clippy::cast_precision_loss)]
                let b = breaks as f64;
                (b / 2.0).ceil()
            }
            // One punctuation character before a word joins it (`.get`, `(id`, `_file`);
            // a quote does so less reliably, so it is charged.
            Class::Punct => {
                let joins = matches!(chars.get(i).map(|c| class(*c)), Some(Class::Letter))
                    && run.last() != Some(&'"');
                let charged = n - if joins { 1.0 } else { 0.0 };
                if charged > 0.0 {
                    (charged * PUNCT_PER_CHAR).round().max(1.0)
                } else {
                    0.0
                }
            }
            Class::Cjk => n * CJK_PER_CHAR,
            Class::Other => n * OTHER_PER_CHAR,
        };
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // non-negative, bounded
    let rounded = total.round() as usize;
    rounded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_cases_are_sensible() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("hello"), 1);
        assert_eq!(estimate_tokens("hello world"), 2);
        assert!(estimate_tokens("parseSessionSummary") >= 3);
        assert_eq!(estimate_tokens("1234567"), 3);
        assert!(estimate_tokens("软件工程的核心") >= 4);
    }
}
