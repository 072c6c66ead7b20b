//! The YAML frontmatter of a Markdown file another tool defined (a skill, an agent): the
//! `key: value` block between `---` lines that starts the file, and the text after it.
//! Read with `yaml-rust2`; only the splitting is ours, since the format is "a `---` line,
//! YAML, a `---` line", which no crate offers apart from a whole Markdown parser.

use yaml_rust2::yaml::Hash;
use yaml_rust2::{Yaml, YamlLoader};

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

/// Reads the frontmatter of `source`: `None` when the file does not start with a `---` line;
/// otherwise it, or the file's line and what is wrong.
#[must_use]
pub fn read(source: &str) -> Option<Result<Frontmatter<'_>, (usize, String)>> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let rest = source
        .strip_prefix("---\n")
        .or_else(|| source.strip_prefix("---\r\n"))?;
    Some(split(rest))
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
    // The frontmatter starts on the file's second line.
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
