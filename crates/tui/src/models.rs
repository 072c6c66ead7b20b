//! The model picker's choices: every configured provider's models, each with the facts that
//! decide a pick (a missing key first, the window, the prices, whether it reasons).

use crate::app::ModelChoice;
use crate::config;
use crate::protocol;

/// The model picker's entries: every configured provider's models (its `model` and `models`),
/// the demo's left out.
#[must_use]
pub fn model_choices(config: &config::Config) -> Vec<ModelChoice> {
    let mut choices = Vec::new();
    for (name, settings) in &config.providers {
        let models = settings.model.iter().chain(&settings.models);
        for p in models.filter_map(|m| config.provider_named(name, Some(m)).ok()) {
            if p.is_demo {
                continue;
            }
            choices.push(ModelChoice {
                facts: model_facts(&p),
                provider: p.name,
                model: p.model,
            });
        }
    }
    choices
}

/// A model's window, prices, reasoning and key, in a few words for the picker.
fn model_facts(p: &config::ActiveProvider) -> Vec<String> {
    let mut facts = Vec::new();
    // A missing key leads in two words (a narrow row keeps it); which variable to set comes
    // last, where there is room.
    let missing = p
        .api_key_env
        .as_ref()
        .filter(|env| std::env::var_os(env).is_none_or(|v| v.is_empty()));
    if missing.is_some() {
        facts.push("no key".to_string());
    }
    facts.push(format!("{}k window", p.context_window / 1000));
    if let (Some(i), Some(o)) = (p.prices.input, p.prices.output) {
        facts.push(format!("${i}/${o} per M tokens"));
    }
    if p.reasoning.style != protocol::reasoning::ReasoningStyle::None {
        facts.push("reasons".to_string());
    }
    if let Some(env) = missing {
        facts.push(format!("set {env}"));
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_picker_lists_every_providers_models_with_their_facts_and_a_missing_key() {
        let text = format!(
            "{}\n[providers.mine]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\n\
             api_key_env = \"GEARSHIFT_TEST_NEVER_SET_7F3\"\nmodel = \"deepseek-v4-flash\"\n\
             models = [\"deepseek-v4-pro\", \"my-finetune\"]\n",
            config::DEFAULTS_TOML
        );
        let config: config::Config = toml::from_str(&text).unwrap();
        let choices = model_choices(&config);
        let find = |p: &str, m: &str| {
            choices
                .iter()
                .find(|c| c.provider == p && c.model == m)
                .unwrap_or_else(|| panic!("{p}/{m} in {choices:?}"))
        };
        // A preset's catalog models, with the catalog's window, prices and reasoning.
        let has = |c: &ModelChoice, fact: &str| c.facts.iter().any(|f| f == fact);
        assert!(has(find("openai", "gpt-5.4"), "reasons"));
        assert!(has(find("anthropic", "claude-opus-4-5"), "200k window"));
        assert!(!has(find("openai", "gpt-4.1"), "reasons"));
        // A provider's own list, a model the catalog does not know included; a missing key
        // leads (it is what a row keeps first).
        let mine = find("mine", "deepseek-v4-pro");
        assert!(
            mine.facts.iter().any(|f| f.contains('$')),
            "{:?}",
            mine.facts
        );
        assert_eq!(mine.facts[0], "no key");
        assert_eq!(
            mine.facts.last().map(String::as_str),
            Some("set GEARSHIFT_TEST_NEVER_SET_7F3")
        );
        find("mine", "my-finetune");
        assert!(!choices.iter().any(|c| c.provider == "demo"));
    }
}
