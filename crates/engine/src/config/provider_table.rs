//! How a `[providers.NAME]` table is read: its own settings (how to reach it) by name, and
//! each other key as one of the [`ModelFacts`] it gives for the models it serves — the same
//! struct as a catalog entry's, so a fact has one definition.
//!
//! Hand-written rather than `#[serde(flatten)]`: serde reads a flattened struct back from a
//! buffer, so a wrong type there (`context_window = "big"`) would lose its key and line, and
//! `deny_unknown_fields` does not work with it. Here each fact is read where it stands, from
//! the file's own deserializer, so every error names its key and line as a derived one does.

use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::models::ModelFacts;
use super::providers::ProviderConfig;

/// A provider's own settings.
const OWN: [&str; 10] = [
    "kind",
    "base_url",
    "api_key_env",
    "model",
    "models",
    "script",
    "connect_timeout",
    "request_timeout",
    "idle_timeout",
    "max_retries",
];

/// The model facts a provider may give for every model it serves. A catalog entry's `api`
/// (which OpenAI API serves that model) and `as_of` (when its figures were checked) belong
/// to one model, not to a provider.
const FACTS: [&str; 11] = [
    "context_window",
    "max_output_tokens",
    "input_price",
    "output_price",
    "cached_input_price",
    "cache_write_price",
    "reasoning_style",
    "reasoning",
    "reasoning_budget",
    "max_completion_tokens",
    "think_tags",
];

/// Every key a provider table may hold, as serde's "expected one of" lists them.
const KEYS: [&str; 21] = [
    OWN[0], OWN[1], OWN[2], OWN[3], OWN[4], OWN[5], OWN[6], OWN[7], OWN[8], OWN[9], FACTS[0],
    FACTS[1], FACTS[2], FACTS[3], FACTS[4], FACTS[5], FACTS[6], FACTS[7], FACTS[8], FACTS[9],
    FACTS[10],
];

impl<'de> Deserialize<'de> for ProviderConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(TableVisitor)
    }
}

struct TableVisitor;

impl<'de> Visitor<'de> for TableVisitor {
    type Value = ProviderConfig;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a provider's settings (a table)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ProviderConfig, A::Error> {
        let mut p = ProviderConfig::default();
        while let Some(key) = map.next_key_seed(Key)? {
            match key {
                "kind" => p.kind = map.next_value()?,
                "base_url" => p.base_url = Some(map.next_value()?),
                "api_key_env" => p.api_key_env = Some(map.next_value()?),
                "model" => p.model = Some(map.next_value()?),
                "models" => p.models = map.next_value()?,
                "script" => p.script = Some(map.next_value()?),
                "connect_timeout" => p.connect_timeout = Some(map.next_value()?),
                "request_timeout" => p.request_timeout = Some(map.next_value()?),
                "idle_timeout" => p.idle_timeout = Some(map.next_value()?),
                "max_retries" => p.max_retries = Some(map.next_value()?),
                _ => {
                    let one = map.next_value_seed(OneFact(key))?;
                    p.facts = p.facts.patched(&one);
                }
            }
        }
        Ok(p)
    }
}

/// A key of the table, refused as the file's own deserializer reads it when it is none of
/// [`KEYS`] — so the error points at the key, as a derived struct's does.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = &'static str;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<&'static str, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl Visitor<'_> for Key {
    type Value = &'static str;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a provider setting")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<&'static str, E> {
        KEYS.iter()
            .find(|k| **k == key)
            .copied()
            .ok_or_else(|| E::unknown_field(key, &KEYS))
    }
}

/// Reads one fact's value as a [`ModelFacts`] holding only it.
struct OneFact(&'static str);

impl<'de> DeserializeSeed<'de> for OneFact {
    type Value = ModelFacts;

    fn deserialize<D: Deserializer<'de>>(self, value: D) -> Result<ModelFacts, D::Error> {
        ModelFacts::deserialize(MapAccessDeserializer::new(OneEntry {
            key: Some(self.0),
            value: Some(value),
        }))
    }
}

/// A map of one entry whose value is still the file's deserializer.
struct OneEntry<D> {
    key: Option<&'static str>,
    value: Option<D>,
}

impl<'de, D: Deserializer<'de>> MapAccess<'de> for OneEntry<D> {
    type Error = D::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, D::Error> {
        self.key
            .take()
            .map(|key| seed.deserialize(key.into_deserializer()))
            .transpose()
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, D::Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(value),
            None => Err(de::Error::custom("a fact's value was read twice")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::reasoning::{Effort, ReasoningStyle};

    fn read(text: &str) -> Result<ProviderConfig, String> {
        let path = std::path::Path::new("config.toml");
        crate::config::toml_file::parse_file::<ProviderConfig>(path, text)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_providers_facts_are_model_facts_read_beside_its_own_settings() {
        let p = read(
            "kind = \"openai\"\nbase_url = \"http://127.0.0.1:9\"\ncontext_window = 64000\n\
             input_price = 0.5\nreasoning = \"high\"\nreasoning_style = \"openai\"\n\
             think_tags = true\nmax_retries = 2\n",
        )
        .unwrap();
        assert_eq!(p.base_url.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(p.max_retries, Some(2));
        assert_eq!(
            p.facts,
            ModelFacts {
                context_window: Some(64_000),
                input_price: Some(0.5),
                reasoning: Some(Effort::High),
                reasoning_style: Some(ReasoningStyle::Openai),
                think_tags: Some(true),
                ..ModelFacts::default()
            }
        );
    }

    #[test]
    fn a_wrong_fact_names_its_key_and_line_and_an_unknown_key_is_refused() {
        let wrong = read("kind = \"openai\"\n\ncontext_window = \"big\"\n").unwrap_err();
        assert!(wrong.contains(":3:"), "{wrong}");
        assert!(wrong.contains("context_window"), "{wrong}");
        let unknown = read("kind = \"openai\"\ncontext_windw = 5\n").unwrap_err();
        assert!(unknown.contains(":2:"), "{unknown}");
        assert!(unknown.contains("not a known setting"), "{unknown}");
        // One model's facts are not a provider's.
        for key in ["api = \"responses\"", "as_of = \"2026-11\""] {
            let refused = read(&format!("kind = \"openai\"\n{key}\n")).unwrap_err();
            assert!(refused.contains("not a known setting"), "{refused}");
        }
    }

    #[test]
    fn every_fact_a_provider_gives_is_a_catalog_fact_and_every_catalog_fact_but_two_is_one() {
        let all = ModelFacts {
            context_window: Some(1),
            max_output_tokens: Some(1),
            input_price: Some(1.0),
            output_price: Some(1.0),
            cached_input_price: Some(1.0),
            cache_write_price: Some(1.0),
            reasoning_style: Some(ReasoningStyle::Openai),
            reasoning: Some(Effort::Low),
            reasoning_budget: Some(1),
            max_completion_tokens: Some(true),
            think_tags: Some(true),
            api: Some(crate::config::models::Api::Chat),
            as_of: Some("2026-11".into()),
        };
        let table = toml::Table::try_from(&all).unwrap();
        let mut keys: Vec<&str> = table.keys().map(String::as_str).collect();
        keys.retain(|k| !["api", "as_of"].contains(k));
        let mut facts = FACTS.to_vec();
        keys.sort_unstable();
        facts.sort_unstable();
        assert_eq!(keys, facts);
    }
}
