//! Keys never reach a command or a transcript.
//!
//! The model's commands (and the pipeline's test command) run with an environment from which
//! every provider's `api_key_env` and every variable matching `[secrets] remove_env` are gone;
//! the values removed (those long enough to be secrets) are then redacted from every tool
//! result, MCP result, hook output and recorded event — `[redacted NAME]` — before it is
//! recorded, shown or sent, so a key read from a file or printed by a program that found it
//! elsewhere is still not passed on.
//!
//! A key is found in the forms a command is likely to print it in: as it is, reversed, in hex
//! (either case), in base64 (standard or URL-safe, padded or not, at any alignment in the
//! encoded text), or any run of 12 of its characters (one half of it, read from one file, the
//! other half from another) — each also cut by whitespace into lines or groups. A command
//! that means to hide a key can still transform it some other way; what it cannot do is
//! reach the network (the sandbox's default) or write it into the workspace unseen. One Aho-Corasick automaton holds every form of every
//! key; a scan finds every (overlapping) occurrence, and each stretch they cover is replaced.

use std::collections::BTreeMap;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use base64::Engine as _;

use serde::{Deserialize, Serialize};

/// Values shorter than this are not redacted: `1`, `true` or a port would mangle output.
const MIN_SECRET_LEN: usize = 8;
/// A run of this many characters of a key is the key (half of a 24-character key and up).
const RUN: usize = 12;
/// Encoded forms are matched by runs of this many characters (12 bytes of the key), so a
/// form wrapped across lines is still found on both sides of the wrap.
const ENCODED_RUN: usize = 16;

/// Which environment variables the model's commands never see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SecretsConfig {
    /// Name patterns (`*` any run of characters, case-insensitive) removed from commands'
    /// environment, besides every provider's `api_key_env`.
    pub remove_env: Vec<String>,
    /// Names kept although a pattern matches (a trusted config only).
    pub pass_env: Vec<String>,
}

/// The environment commands get, and the values to redact.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// What commands run with (already filtered).
    pub env: Vec<(String, String)>,
    /// Removed values (by variable name), longest first so a key that contains another is
    /// replaced whole.
    redact: Vec<(String, String)>,
    /// Every form of every value, built once.
    matcher: Option<Arc<Matcher>>,
}

/// The automaton, and for each of its patterns the variable whose value it is a form of.
#[derive(Debug)]
struct Matcher {
    automaton: AhoCorasick,
    names: Vec<usize>,
}

/// Every run of `n` characters of `text` (all of it when it is shorter).
fn runs(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= n {
        return vec![text.to_string()];
    }
    chars.windows(n).map(|w| w.iter().collect()).collect()
}

/// A value's base64 at each of the three alignments it can have inside a longer text: the
/// characters that depend only on the value, none of its neighbours.
fn base64_forms(value: &[u8]) -> Vec<String> {
    let engines = [
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    let mut out = Vec::new();
    for engine in engines {
        for shift in 0..3usize {
            let mut bytes = vec![0u8; shift];
            bytes.extend_from_slice(value);
            let encoded = engine.encode(&bytes);
            // Characters mixing the made-up leading bytes, and a trailing partial group.
            let skip = (shift * 4).div_ceil(3);
            let whole = (bytes.len() / 3) * 4;
            if whole > skip {
                out.push(encoded[skip..whole].to_string());
            }
        }
    }
    out
}

/// Every form a value may take in a command's output.
fn forms(value: &str) -> Vec<String> {
    let mut out = runs(value, RUN);
    out.push(value.to_string());
    out.push(value.chars().rev().collect());
    let hex = crate::changes::hex(value.as_bytes());
    for encoded in [hex.clone(), hex.to_uppercase()]
        .into_iter()
        .chain(base64_forms(value.as_bytes()))
    {
        out.extend(runs(&encoded, ENCODED_RUN));
    }
    out.retain(|f| f.len() >= MIN_SECRET_LEN.min(value.len()));
    out.sort();
    out.dedup();
    out
}

impl Matcher {
    fn new(values: &[(String, String)]) -> Option<Matcher> {
        let mut patterns = Vec::new();
        let mut names = Vec::new();
        for (i, (_, value)) in values.iter().enumerate() {
            for f in forms(value) {
                patterns.push(f);
                names.push(i);
            }
        }
        if patterns.is_empty() {
            return None;
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .ok()?;
        Some(Matcher { automaton, names })
    }

    /// The stretches of `text` covered by some form of a value, merged, with the value's index:
    /// found in the text as it is and again with its whitespace left out, so a form cut into
    /// lines or groups (`fold`, `base64 -w 8`, `xxd`) is found whole.
    fn stretches(&self, text: &str) -> Vec<(std::ops::Range<usize>, usize)> {
        let mut found: Vec<(std::ops::Range<usize>, usize)> = self
            .automaton
            .find_overlapping_iter(text)
            .map(|m| (m.range(), self.names[m.pattern().as_usize()]))
            .collect();
        if let Some((view, at)) = without_whitespace(text) {
            found.extend(self.automaton.find_overlapping_iter(&view).map(|m| {
                // Back to the text: from the match's first byte to past its last.
                let range = at[m.start()]..at[m.end() - 1] + 1;
                (range, self.names[m.pattern().as_usize()])
            }));
        }
        found.sort_by_key(|(r, _)| (r.start, std::cmp::Reverse(r.end)));
        let mut merged: Vec<(std::ops::Range<usize>, usize)> = Vec::new();
        for (r, name) in found {
            match merged.last_mut() {
                Some((last, _)) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => merged.push((r, name)),
            }
        }
        merged
    }
}

/// `text` with its ASCII whitespace left out, and for each byte of that where it is in `text`;
/// `None` when there is none to leave out. (Only ASCII bytes are left out, so the view is
/// still UTF-8 and every match in it starts and ends on a character of `text`.)
fn without_whitespace(text: &str) -> Option<(String, Vec<usize>)> {
    if !text.bytes().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let mut view = String::with_capacity(text.len());
    let mut at = Vec::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if !c.is_ascii_whitespace() {
            view.push(c);
            at.extend((0..c.len_utf8()).map(|k| i + k));
        }
    }
    Some((view, at))
}

/// `*` matches any run of characters; case does not matter.
fn matches(pattern: &str, name: &str) -> bool {
    let pattern = pattern.to_ascii_uppercase();
    let name = name.to_ascii_uppercase();
    let parts: Vec<&str> = pattern.split('*').collect();
    let Some((first, rest)) = parts.split_first() else {
        return false;
    };
    let Some(mut left) = name.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return left.is_empty();
    };
    for part in middle {
        match left.find(part) {
            Some(i) => left = &left[i + part.len()..],
            None => return false,
        }
    }
    left.len() >= last.len() && left.ends_with(last)
}

impl Secrets {
    /// Splits `env` into what commands may see and what must be redacted: the providers'
    /// key variables (`key_vars`) and what `rules` removes.
    #[must_use]
    pub fn new(
        env: &BTreeMap<String, String>,
        key_vars: &[&str],
        rules: &SecretsConfig,
    ) -> Secrets {
        let mut out = Secrets::default();
        for (name, value) in env {
            let secret = key_vars.contains(&name.as_str())
                || (rules.remove_env.iter().any(|p| matches(p, name))
                    && !rules.pass_env.iter().any(|p| p == name));
            if secret {
                if value.len() >= MIN_SECRET_LEN {
                    out.redact.push((name.clone(), value.clone()));
                }
            } else {
                out.env.push((name.clone(), value.clone()));
            }
        }
        out.redact.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
        out.matcher = Matcher::new(&out.redact).map(Arc::new);
        out
    }

    /// Everything in `env` passes and nothing is redacted (tests, embedding).
    #[must_use]
    pub fn passthrough(env: Vec<(String, String)>) -> Secrets {
        Secrets {
            env,
            redact: Vec::new(),
            matcher: None,
        }
    }

    /// The names of the variables removed, for messages.
    pub fn removed(&self) -> impl Iterator<Item = &str> {
        self.redact.iter().map(|(n, _)| n.as_str())
    }

    /// `text` with every secret value replaced by `[redacted NAME]`; a secret cut in half at
    /// a `[… cut …]` boundary of long output is redacted too.
    #[must_use]
    pub fn redact(&self, text: &str) -> String {
        let Some(matcher) = &self.matcher else {
            return text.to_string();
        };
        let stretches = matcher.stretches(text);
        if stretches.is_empty() {
            return self.redact_cut_halves(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (range, i) in stretches {
            // Matches fall on character boundaries: every form is whole characters of text.
            out.push_str(text.get(at..range.start).unwrap_or_default());
            out.push_str(&format!("[redacted {}]", self.redact[i].0));
            at = range.end;
        }
        out.push_str(text.get(at..).unwrap_or_default());
        self.redact_cut_halves(&out)
    }

    /// Whether there is nothing to redact at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.matcher.is_none()
    }

    /// Whether `text` holds any form of a secret (a scan, without building the redacted text).
    #[must_use]
    pub fn finds(&self, text: &str) -> bool {
        self.matcher.as_ref().is_some_and(|m| {
            m.automaton.is_match(text)
                || without_whitespace(text).is_some_and(|(view, _)| m.automaton.is_match(&view))
        })
    }

    /// Output cut in the middle keeps a head and a tail: a head that ends with the start of a
    /// secret, or a tail that starts with its end, would leak part of it.
    fn redact_cut_halves(&self, text: &str) -> String {
        let Some(cut) = text
            .find("\n[… ")
            .filter(|_| text.contains(" bytes of output cut here"))
        else {
            return text.to_string();
        };
        let (mut head, tail_with_note) = (text[..cut].to_string(), &text[cut..]);
        let note_end = tail_with_note.find("…]\n").map_or(0, |i| i + "…]\n".len());
        let (note, tail) = tail_with_note.split_at(note_end);
        let mut tail = tail.to_string();
        for (name, value) in &self.redact {
            for k in (MIN_SECRET_LEN / 2..value.len()).rev() {
                if let Some(prefix) = value.get(..k)
                    && head.ends_with(prefix)
                {
                    head.truncate(head.len() - k);
                    head.push_str(&format!("[redacted {name}]"));
                    break;
                }
            }
            for k in (MIN_SECRET_LEN / 2..value.len()).rev() {
                if let Some(suffix) = value.get(value.len() - k..)
                    && tail.starts_with(suffix)
                {
                    tail = format!("[redacted {name}]{}", &tail[k..]);
                    break;
                }
            }
        }
        format!("{head}{note}{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn config() -> Config {
        crate::config::from_layers(&[]).unwrap()
    }

    /// The split a session makes: through the config's providers and `[secrets]`.
    fn new(env: &BTreeMap<String, String>, config: &Config) -> Secrets {
        config.command_secrets(env)
    }

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn patterns_match_names_case_insensitively() {
        assert!(matches("*_API_KEY", "OPENAI_API_KEY"));
        assert!(matches("*_api_key", "OpenAI_API_Key"));
        assert!(matches("*SECRET*", "AWS_SECRET_ACCESS_KEY"));
        assert!(matches("*PASSWORD*", "PGPASSWORD"));
        assert!(!matches("*_API_KEY", "API_KEY_FILE"));
        assert!(matches("GITHUB_TOKEN", "github_token"));
        assert!(!matches("GITHUB_TOKEN", "GITHUB_TOKENS"));
        assert!(matches("A*B*C", "AXXBYYC"));
        assert!(!matches("A*B*C", "AXXC"));
    }

    #[test]
    fn keys_are_removed_and_redacted_and_the_rest_passes() {
        let s = new(
            &env(&[
                ("PATH", "/usr/bin"),
                ("OPENAI_API_KEY", "sk-live-0123456789"),
                ("DEEPSEEK_API_KEY", "ds-9876543210abc"),
                ("GH_TOKEN", "ghp_abcdefghijklmnop"),
                ("DB_PASSWORD", "short"),
                ("HOME", "/home/u"),
            ]),
            &config(),
        );
        let names: Vec<&str> = s.env.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, vec!["HOME", "PATH"]);
        let text = "a sk-live-0123456789 b ds-9876543210abc c ghp_abcdefghijklmnop short";
        assert_eq!(
            s.redact(text),
            "a [redacted OPENAI_API_KEY] b [redacted DEEPSEEK_API_KEY] c [redacted GH_TOKEN] short"
        );
    }

    #[test]
    fn a_provider_key_variable_with_any_name_is_removed_and_pass_env_keeps_a_name() {
        let mut c = config();
        c.providers.get_mut("openai").unwrap().api_key_env = Some("MY_LLM".into());
        c.secrets.pass_env = vec!["GH_TOKEN".into()];
        let s = new(
            &env(&[
                ("MY_LLM", "value-of-key-123"),
                ("GH_TOKEN", "ghp_keepme12345"),
            ]),
            &c,
        );
        assert_eq!(s.env, vec![("GH_TOKEN".into(), "ghp_keepme12345".into())]);
        assert_eq!(s.redact("value-of-key-123"), "[redacted MY_LLM]");
    }

    #[test]
    fn telemetrys_collector_credentials_are_keys_whatever_the_lists_say() {
        let mut c = config();
        c.secrets.remove_env = Vec::new();
        let s = new(
            &env(&[
                (
                    "OTEL_EXPORTER_OTLP_HEADERS",
                    "authorization=Bearer tok-0123456789",
                ),
                ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-key=abcdefabcdef12"),
                (
                    "OTEL_EXPORTER_OTLP_ENDPOINT",
                    "https://u:pw-0123456789@c.example",
                ),
                (
                    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
                    "http://collector:4318/v1/metrics",
                ),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ]),
            &c,
        );
        // A plain endpoint and the protocol are no secrets; the rest never reach a command.
        let kept: Vec<&str> = s.env.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            kept,
            [
                "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
                "OTEL_EXPORTER_OTLP_PROTOCOL"
            ]
        );
        let printed = s.redact("printed: Bearer tok-0123456789 and pw-0123456789@c.example");
        assert!(
            !printed.contains("tok-0123456789") && !printed.contains("pw-0123456789"),
            "{printed}"
        );
    }

    #[test]
    fn encoded_reversed_and_halved_keys_are_redacted_too() {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        let key = "sk-proj-Zq3Xk9Lm2Pw7Rt5Vb8Nc1Hd4Jf6Gs0Ay";
        let s = new(&env(&[("OPENAI_API_KEY", key)]), &config());
        let env_file = format!("# settings\nOPENAI_API_KEY={key}\nDEBUG=1\n");
        let mut leaks = vec![
            STANDARD.encode(env_file.as_bytes()),
            // `base64` wraps its output at 76 columns.
            STANDARD
                .encode(format!("x{env_file}").as_bytes())
                .as_bytes()
                .chunks(76)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("\n"),
            URL_SAFE_NO_PAD.encode(format!("ab{key}").as_bytes()),
            crate::changes::hex(env_file.as_bytes()),
            crate::changes::hex(key.as_bytes()).to_uppercase(),
            key.chars().rev().collect(),
            // Two halves, read from two files.
            format!("part one: {}\npart two: {}", &key[..20], &key[20..]),
        ];
        leaks.push(format!("a{}b", &key[5..19]));
        // Cut into short lines or groups: `fold -w 5`, `base64 -w 8`, `xxd`.
        let folded = |text: &str, width: usize, sep: &str| {
            text.as_bytes()
                .chunks(width)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(sep)
        };
        leaks.push(folded(&env_file, 5, "\n"));
        leaks.push(folded(&STANDARD.encode(env_file.as_bytes()), 8, "\n"));
        leaks.push(folded(&crate::changes::hex(env_file.as_bytes()), 4, " "));
        for leak in leaks {
            let out = s.redact(&leak);
            assert!(out.contains("[redacted OPENAI_API_KEY]"), "{leak} → {out}");
            for needle in [&key[..12], &key[12..24], &key[24..]] {
                assert!(!out.contains(needle), "{leak} → {out}");
            }
        }
        assert_eq!(s.redact("nothing to see"), "nothing to see");
        assert!(s.finds(&STANDARD.encode(key)) && !s.finds("plain text"));
    }

    #[test]
    fn a_key_cut_in_half_by_the_output_cut_is_redacted_on_both_sides() {
        let s = new(&env(&[("X_API_KEY", "ABCDEFGHIJKLMNOP")]), &config());
        let text = "head ABCDEFGH\n[… 100 bytes of output cut here; the first and last 16 bytes \
                    are kept …]\nIJKLMNOP tail";
        let out = s.redact(text);
        assert!(
            !out.contains("ABCDEFGH") && !out.contains("IJKLMNOP"),
            "{out}"
        );
        assert!(out.starts_with("head [redacted X_API_KEY]"), "{out}");
        assert!(out.ends_with("[redacted X_API_KEY] tail"), "{out}");
    }
}
