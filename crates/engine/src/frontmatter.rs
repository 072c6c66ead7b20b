//! The YAML frontmatter of a Markdown file another tool defined (a skill, an agent): the
//! `key: value` block between `---` lines that starts the file, and the text after it.
//! Read with `yaml-rust2`; only the splitting is ours, since the format is "a `---` line,
//! YAML, a `---` line", which no crate offers apart from a whole Markdown parser.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;
use yaml_rust2::yaml::Hash;
use yaml_rust2::{Yaml, YamlLoader};

/// Deeper nesting than any field needs is refused before the YAML is loaded (dropping a
/// deeply nested value recurses).
const MAX_DEPTH: usize = 32;

/// A file's frontmatter, read.
pub struct Frontmatter<'a> {
    /// The YAML text, for finding a key's line.
    pub front: &'a str,
    pub map: Hash,
    /// The Markdown after the closing `---`, trimmed.
    pub body: String,
}

impl Frontmatter<'_> {
    /// The file's line of `key` (the frontmatter starts on line 2), or 2 when not found.
    #[must_use]
    pub fn line_of(&self, key: &str) -> usize {
        self.front
            .lines()
            .position(|l| l.trim_start().starts_with(&format!("{key}:")))
            .map_or(2, |i| i + 2)
    }
}

/// Reads the frontmatter of `source`: `None` when the file does not start (after blank
/// lines) with a `---` line; otherwise it, or the file's line and what is wrong.
#[must_use]
pub fn read(source: &str) -> Option<Result<Frontmatter<'_>, (usize, String)>> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let mut rest = source;
    let mut skipped = 0;
    loop {
        let (line, after) = rest.split_once('\n')?;
        if line.trim_end() == "---" {
            rest = after;
            break;
        }
        if !line.trim().is_empty() {
            return None;
        }
        rest = after;
        skipped += 1;
    }
    Some(split(rest).map_err(|(line, message)| (line + skipped, message)))
}

/// What a frontmatter may not hold, found by reading its events before it is loaded.
#[derive(Default)]
struct Shape {
    depth: usize,
    /// The line of the first alias: each copies its anchor's node, so a few nested ones ask
    /// for billions of nodes (a hostile repository's file must not exhaust memory).
    alias: Option<usize>,
    /// The line where nesting first goes deeper than [`MAX_DEPTH`].
    too_deep: Option<usize>,
}

impl MarkedEventReceiver for Shape {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Alias(_) => {
                self.alias.get_or_insert(mark.line());
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    self.too_deep.get_or_insert(mark.line());
                }
            }
            Event::SequenceEnd | Event::MappingEnd => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
    }
}

fn split(rest: &str) -> Result<Frontmatter<'_>, (usize, String)> {
    let end = rest
        .find("\n---")
        .ok_or((1, "the frontmatter has no closing `---` line".to_string()))?;
    let front = &rest[..=end];
    let body_start = rest[end + 4..]
        .find('\n')
        .map_or(rest.len(), |n| end + 4 + n + 1);
    let body = rest.get(body_start..).unwrap_or("").trim().to_string();
    // The frontmatter starts on the file's second line. A text the parser refuses is left
    // to the loader, which says why.
    let mut shape = Shape::default();
    if Parser::new_from_str(front).load(&mut shape, false).is_ok() {
        if let Some(line) = shape.alias {
            return Err((line + 1, "YAML aliases (`*name`) are not read here".into()));
        }
        if let Some(line) = shape.too_deep {
            return Err((line + 1, format!("nested deeper than {MAX_DEPTH} levels")));
        }
    }
    let docs = YamlLoader::load_from_str(front)
        .map_err(|e| (e.marker().line() + 1, format!("bad YAML: {}", e.info())))?;
    let Some(Yaml::Hash(map)) = docs.into_iter().next() else {
        return Err((
            2,
            "the frontmatter must be a mapping of `key: value` lines".to_string(),
        ));
    };
    Ok(Frontmatter { front, map, body })
}

/// A YAML value as text, for fields read as text whatever YAML made of them (a number, a
/// folded list) and for fields kept for other tools.
#[must_use]
pub fn text(v: &Yaml) -> String {
    match v {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Array(a) => a.iter().map(text).collect::<Vec<_>>().join(", "),
        Yaml::Hash(h) => h
            .iter()
            .map(|(k, v)| format!("{}: {}", text(k), text(v)))
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}
