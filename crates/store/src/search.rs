//! Full-text search over the messages of top-level sessions: FTS5 ranked by BM25 among the
//! newest candidates, with snippets cut from the message text.

use rusqlite::params;
use serde::Serialize;

use super::StoreError;
use super::read::Reader;

/// A full-text search hit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub session_id: String,
    pub title: String,
    pub workspace: String,
    pub updated_at: i64,
    pub seq: i64,
    pub role: String,
    /// The matching passage; matched words are between [`MATCH_START`] and [`MATCH_END`].
    pub snippet: String,
}

/// Marks where a matched word starts in a snippet (a control character no message contains).
pub const MATCH_START: char = '\u{2}';
/// Marks where a matched word ends.
pub const MATCH_END: char = '\u{3}';

impl SearchHit {
    /// The snippet with matches between `open` and `close` (e.g. `[` `]`).
    #[must_use]
    pub fn snippet_marked(&self, open: &str, close: &str) -> String {
        self.snippet
            .replace(MATCH_START, open)
            .replace(MATCH_END, close)
    }
}

/// Matching messages ranked per search; see [`Reader::search`].
pub const SEARCH_CANDIDATES: i64 = 1000;
/// Words of context a snippet shows.
const SNIPPET_WORDS: usize = 16;

/// A window of `text` around the first matched word, matches marked with [`MATCH_START`] and
/// [`MATCH_END`]. A word matches a term when it begins with it, ignoring case, as FTS5's
/// `unicode61` tokenizer matched them (every term is a prefix query).
fn snippet(text: &str, terms: &[String]) -> String {
    let terms: Vec<String> = terms
        .iter()
        .map(|t| {
            t.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|t| !t.is_empty())
        .collect();
    // A token's word, without the punctuation around it.
    let core = |w: &str| -> (usize, usize) {
        let start = w.find(char::is_alphanumeric).unwrap_or(w.len());
        let end = w.rfind(char::is_alphanumeric).map_or(start, |i| {
            i + w[i..].chars().next().map_or(1, char::len_utf8)
        });
        (start, end.max(start))
    };
    let matches = |w: &str| {
        let (a, b) = core(w);
        let word = w[a..b].to_lowercase();
        terms.iter().any(|t| {
            word.starts_with(t.as_str())
                || word
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|p| p.starts_with(t.as_str()))
        })
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    let first = words.iter().position(|w| matches(w)).unwrap_or(0);
    let start = first.saturating_sub(SNIPPET_WORDS / 4);
    let end = (start + SNIPPET_WORDS).min(words.len());
    let mut out = String::new();
    if start > 0 {
        out.push_str("… ");
    }
    for (i, w) in words[start..end].iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if matches(w) {
            let (a, b) = core(w);
            out.push_str(&w[..a]);
            out.push(MATCH_START);
            out.push_str(&w[a..b]);
            out.push(MATCH_END);
            out.push_str(&w[b..]);
        } else {
            out.push_str(w);
        }
    }
    if end < words.len() {
        out.push_str(" …");
    }
    out
}

#[cfg(test)]
#[test]
fn snippets_mark_words_not_their_punctuation() {
    let s = snippet(
        "Done; the tokenizer now keeps (offsets).",
        &["offsets".into(), "TOKENIZER".into()],
    );
    assert_eq!(
        s,
        "Done; the \u{2}tokenizer\u{3} now keeps (\u{2}offsets\u{3})."
    );
    let long: String = (0..60).map(|i| format!("w{i} ")).collect();
    let s = snippet(&long, &["w30".into()]);
    assert!(
        s.starts_with("… w26") && s.ends_with(" …") && s.contains("\u{2}w30\u{3}"),
        "{s}"
    );
}

/// Turns what a user types into an FTS5 query that cannot be a syntax error: every word is
/// quoted, so `foo-bar` or `"` search for text rather than failing.
fn fts_query(input: &str) -> String {
    input
        .split_whitespace()
        .map(|w| w.trim_end_matches('*'))
        .filter(|w| w.chars().any(char::is_alphanumeric))
        // A word matches the words it begins (`discount` finds "discounts"): FTS5's prefix.
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Reader {
    /// Full-text search over message text; only `workspace`'s sessions when given.
    ///
    /// Hits are ranked by BM25 among the newest [`SEARCH_CANDIDATES`] matching messages: a
    /// word in half a million messages would otherwise make every search rank them all. FTS5
    /// walks its index newest first without sorting, so the cost is bounded by the candidate
    /// count, not by how common the words are. Snippets are cut here from the message text
    /// rather than by FTS5's `snippet()`, which would need the whole match set too.
    pub fn search(
        &self,
        query: &str,
        workspace: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let terms: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        let fts = fts_query(query);
        if fts.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, String, String, i64, i64, String, String)> = self
            .conn
            .prepare_cached(
                "SELECT m.session_id, s.title, s.workspace, s.updated_at, m.seq, m.role, m.text
                 FROM (SELECT f.rowid AS id, f.rank AS r
                       FROM messages_fts f
                       JOIN messages mm ON mm.id = f.rowid
                       JOIN sessions ss ON ss.id = mm.session_id
                       WHERE f.messages_fts MATCH ?1 AND (?2 IS NULL OR ss.workspace = ?2)
                         AND ss.parent IS NULL
                       ORDER BY f.rowid DESC LIMIT ?4) AS c
                 JOIN messages m ON m.id = c.id
                 JOIN sessions s ON s.id = m.session_id
                 ORDER BY c.r LIMIT ?3",
            )
            .and_then(|mut st| {
                st.query_map(params![fts, workspace, limit, SEARCH_CANDIDATES], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })?
                .collect()
            })
            .map_err(|e| self.err(e))?;
        Ok(rows
            .into_iter()
            .map(
                |(session_id, title, workspace, updated_at, seq, role, text)| SearchHit {
                    snippet: snippet(&text, &terms),
                    session_id,
                    title,
                    workspace,
                    updated_at,
                    seq,
                    role,
                },
            )
            .collect())
    }
}
