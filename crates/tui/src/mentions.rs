//! `@` mentions in the composer: the word being typed after `@` is completed from the
//! workspace's files and folders (listed by [`super::file_index`]), and the mentions of a
//! prompt that name one of them become its attachments (the core reads them, confined to the
//! workspace).

/// The `@word` the cursor is at the end of, on `line` at byte `col`: where the `@` is and what
/// follows it (the query).
#[must_use]
pub fn at_cursor(line: &str, col: usize) -> Option<(usize, &str)> {
    let before = line.get(..col)?;
    let start = before.rfind(char::is_whitespace).map_or(0, |i| {
        i + before[i..].chars().next().map_or(1, char::len_utf8)
    });
    let word = &before[start..];
    word.strip_prefix('@').map(|q| (start, q))
}

/// The paths a prompt mentions as `@path` that are `known` (a trailing `.`, `,`, `:`, `;`,
/// `)` or `?` is punctuation, not part of the path), each once, in order.
#[must_use]
pub fn mentioned(text: &str, known: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let Some(path) = word.strip_prefix('@') else {
            continue;
        };
        let path = path.trim_end_matches(['.', ',', ':', ';', ')', '?', '!']);
        if !path.is_empty() && !out.iter().any(|p| p == path) && known(path) {
            out.push(path.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mention_at_the_cursor_and_the_ones_a_prompt_names() {
        assert_eq!(at_cursor("look at @src/ma", 15), Some((8, "src/ma")));
        assert_eq!(at_cursor("@", 1), Some((0, "")));
        assert_eq!(at_cursor("mail me@x", 9), None);
        assert_eq!(at_cursor("look at @src now", 16), None);
        let known = |p: &str| p == "src" || p == "src/main.rs";
        assert_eq!(
            mentioned(
                "fix @src/main.rs, then @src and @nope and @src/main.rs.",
                known
            ),
            ["src/main.rs", "src"]
        );
    }
}
