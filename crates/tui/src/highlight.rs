//! Syntax highlighting of code blocks, off the UI thread.
//!
//! A worker thread owns syntect's syntaxes and themes, loaded on the first request (so neither
//! start-up nor an idle session pays for them). The UI asks with [`Highlighter::get`]: a cached
//! result comes back at once; otherwise the block is queued (once), shown plain for now, and the
//! worker's notification makes the UI re-render it. Results are keyed by a hash of language and
//! code; the [`KEPT`] blocks asked for last are kept (the transcript asks only for blocks near the view),
//! so a long session does not hold every block it ever showed.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, ThemeSet};
use syntect::parsing::SyntaxSet;

/// Highlighted lines of one code block.
pub type Highlighted = Arc<Vec<Line<'static>>>;

/// Highlighted blocks kept, at most, the least recently asked for forgotten first: the
/// transcript asks only for those within a few screens of the view, far fewer.
const KEPT: usize = 256;

/// The blocks highlighted, least recently asked for first (forgotten beyond [`KEPT`]); and
/// those queued, so none is queued twice.
#[derive(Default)]
struct Blocks {
    done: HashMap<u64, Highlighted>,
    order: VecDeque<u64>,
    queued: HashSet<u64>,
}

type Cache = Arc<Mutex<Blocks>>;

struct Job {
    key: u64,
    lang: String,
    code: String,
}

pub struct Highlighter {
    jobs: Sender<Job>,
    cache: Cache,
}

fn key(lang: &str, code: &str) -> u64 {
    let mut h = DefaultHasher::new();
    lang.hash(&mut h);
    code.hash(&mut h);
    h.finish()
}

impl Highlighter {
    /// Starts the worker. `notify` is called (on the worker thread) after each result.
    pub fn spawn(theme: &str, notify: impl Fn() + Send + 'static) -> std::io::Result<Highlighter> {
        let (jobs, rx) = channel::<Job>();
        let cache: Cache = Arc::default();
        let worker_cache = Arc::clone(&cache);
        let theme = theme.to_string();
        std::thread::Builder::new()
            .name("gearshift-highlight".into())
            .spawn(move || work(&rx, &worker_cache, &theme, &notify))?;
        Ok(Highlighter { jobs, cache })
    }

    /// The highlighted block if ready; otherwise queues it and returns `None`.
    pub fn get(&self, lang: &str, code: &str) -> Option<Highlighted> {
        let key = key(lang, code);
        let mut blocks = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(hit) = blocks.done.get(&key).map(Arc::clone) {
            // Asked for again: the last to be forgotten.
            if let Some(at) = blocks.order.iter().position(|k| *k == key) {
                blocks.order.remove(at);
                blocks.order.push_back(key);
            }
            return Some(hit);
        }
        if blocks.queued.insert(key) {
            let _ = self.jobs.send(Job {
                key,
                lang: lang.to_string(),
                code: code.to_string(),
            });
        }
        None
    }
}

fn work(rx: &Receiver<Job>, cache: &Cache, theme_name: &str, notify: &dyn Fn()) {
    let Ok(first) = rx.recv() else { return };
    let syntaxes = SyntaxSet::load_defaults_newlines();
    let themes = ThemeSet::load_defaults();
    let theme = themes
        .themes
        .get(theme_name)
        .or_else(|| themes.themes.values().next());
    let Some(theme) = theme else { return };
    for job in std::iter::once(first).chain(rx.iter()) {
        let lines = highlight(&syntaxes, theme, &job.lang, &job.code);
        let mut blocks = cache.lock().unwrap_or_else(PoisonError::into_inner);
        blocks.queued.remove(&job.key);
        if blocks.done.insert(job.key, Arc::new(lines)).is_none() {
            blocks.order.push_back(job.key);
        }
        while blocks.order.len() > KEPT {
            if let Some(old) = blocks.order.pop_front() {
                blocks.done.remove(&old);
            }
        }
        drop(blocks);
        notify();
    }
}

/// Highlights a block; an unknown language comes back as plain text.
fn highlight(
    syntaxes: &SyntaxSet,
    theme: &syntect::highlighting::Theme,
    lang: &str,
    code: &str,
) -> Vec<Line<'static>> {
    let syntax = syntaxes
        .find_syntax_by_token(lang)
        .unwrap_or_else(|| syntaxes.find_syntax_plain_text());
    let mut h = HighlightLines::new(syntax, theme);
    syntect::util::LinesWithEndings::from(code)
        .map(|line| {
            let spans = h
                .highlight_line(line, syntaxes)
                .unwrap_or_default()
                .into_iter()
                .map(|(style, text)| {
                    let mut s = Style::default().fg(Color::Rgb(
                        style.foreground.r,
                        style.foreground.g,
                        style.foreground.b,
                    ));
                    if style.font_style.contains(FontStyle::BOLD) {
                        s = s.add_modifier(Modifier::BOLD);
                    }
                    if style.font_style.contains(FontStyle::ITALIC) {
                        s = s.add_modifier(Modifier::ITALIC);
                    }
                    Span::styled(text.trim_end_matches(['\n', '\r']).to_string(), s)
                })
                .collect::<Vec<_>>();
            Line::from(spans)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_in_the_background_and_caches() {
        let (tx, rx) = channel();
        let h = Highlighter::spawn("base16-ocean.dark", move || {
            let _ = tx.send(());
        })
        .unwrap();
        let code = "fn main() {\n    let x = 1;\n}\n";
        assert!(h.get("rust", code).is_none(), "not ready at once");
        assert!(h.get("rust", code).is_none(), "queued only once");
        rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap();
        let lines = h.get("rust", code).unwrap();
        assert_eq!(lines.len(), 3);
        let text: String = lines[0].spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "fn main() {");
        let colours: HashSet<_> = lines[0].spans.iter().filter_map(|s| s.style.fg).collect();
        assert!(colours.len() > 1, "keywords and names differ in colour");
        assert!(rx.try_recv().is_err(), "one job for the two requests");
    }

    #[test]
    fn keeps_the_latest_blocks_and_highlights_a_forgotten_one_again() {
        let (tx, rx) = channel();
        let h = Highlighter::spawn("base16-ocean.dark", move || {
            let _ = tx.send(());
        })
        .unwrap();
        let code = |i: usize| format!("fn f{i}() {{}}\n");
        for i in 0..=KEPT {
            assert!(h.get("rust", &code(i)).is_none());
        }
        for _ in 0..=KEPT {
            rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap();
        }
        let blocks = h.cache.lock().unwrap();
        assert_eq!(blocks.done.len(), KEPT);
        assert!(blocks.queued.is_empty(), "nothing left queued");
        drop(blocks);
        assert!(h.get("rust", &code(KEPT)).is_some(), "the newest is kept");
        assert!(
            h.get("rust", &code(0)).is_none(),
            "the oldest was forgotten"
        );
        // One asked for again is kept when another comes.
        assert!(h.get("rust", &code(1)).is_some());
        rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap();
        assert!(
            h.get("rust", &code(0)).is_some(),
            "and is highlighted again"
        );
        assert!(
            h.get("rust", &code(1)).is_some(),
            "the one used lately stayed"
        );
        assert!(
            h.get("rust", &code(2)).is_none(),
            "the least recently used went"
        );
    }
}
