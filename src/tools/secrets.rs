//! Keys never reach a command or a transcript.
//!
//! The model's commands (and the pipeline's test command) run with an environment from which
//! every provider's `api_key_env` and every variable matching `[secrets] remove_env` are gone;
//! the values removed (those long enough to be secrets) are then redacted from every tool
//! result — `[redacted NAME]` — before it is recorded, shown or sent, so a key read from a file
//! or printed by a program that found it elsewhere is still not passed on.

use std::collections::BTreeMap;

use crate::config::Config;

/// Values shorter than this are not redacted: `1`, `true` or a port would mangle output.
const MIN_SECRET_LEN: usize = 8;

/// The environment commands get, and the values to redact.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// What commands run with (already filtered).
    pub env: Vec<(String, String)>,
    /// Removed values (by variable name), longest first so a key that contains another is
    /// replaced whole.
    redact: Vec<(String, String)>,
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
    /// Splits `env` into what commands may see and what must be redacted.
    #[must_use]
    pub fn new(env: &BTreeMap<String, String>, config: &Config) -> Secrets {
        let key_vars: Vec<&str> = config
            .providers
            .values()
            .filter_map(|p| p.api_key_env.as_deref())
            .collect();
        let mut out = Secrets::default();
        for (name, value) in env {
            let secret = key_vars.contains(&name.as_str())
                || (config.secrets.remove_env.iter().any(|p| matches(p, name))
                    && !config.secrets.pass_env.iter().any(|p| p == name));
            if secret {
                if value.len() >= MIN_SECRET_LEN {
                    out.redact.push((name.clone(), value.clone()));
                }
            } else {
                out.env.push((name.clone(), value.clone()));
            }
        }
        out.redact.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
        out
    }

    /// Everything in `env` passes and nothing is redacted (tests, embedding).
    #[must_use]
    pub fn passthrough(env: Vec<(String, String)>) -> Secrets {
        Secrets {
            env,
            redact: Vec::new(),
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
        let mut out = text.to_string();
        for (name, value) in &self.redact {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), &format!("[redacted {name}]"));
            }
        }
        self.redact_cut_halves(&out)
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

    fn config() -> Config {
        crate::config::from_layers(&[]).unwrap()
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
        let s = Secrets::new(
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
        let s = Secrets::new(
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
    fn a_key_cut_in_half_by_the_output_cut_is_redacted_on_both_sides() {
        let s = Secrets::new(&env(&[("X_API_KEY", "ABCDEFGHIJKLMNOP")]), &config());
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
