//! `gearshift models` and `gearshift models import` as a user runs them: the list shows each
//! entry's figures and where they come from; an import of models.dev's catalog patches the
//! built-in figures and your config's `[models]` patch the import; a model known only by a
//! prefix is named once with the entry its figures were inferred from.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::Value;

fn models(home: &std::path::Path) -> Vec<Value> {
    let out = support::command(home, home, &["models", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn entry<'a>(list: &'a [Value], model: &str) -> &'a Value {
    list.iter().find(|e| e["model"] == model).unwrap()
}

#[test]
fn the_list_then_an_import_then_a_config_entry_each_patch_the_one_before() {
    let home = tempfile::tempdir().unwrap();
    let list = models(home.path());
    let mini = entry(&list, "gpt-4o-mini");
    assert_eq!(
        (mini["input_price"].as_f64(), mini["from"].as_str()),
        (Some(0.15), Some("built-in"))
    );
    let codex = entry(&list, "gpt-5.1-codex");
    assert_eq!(codex["api"], "responses");
    assert!(
        list.iter().all(|e| e["as_of"].is_string()),
        "every entry is dated"
    );

    // models.dev's shape: new prices for gpt-5.5, a model the catalog lacks.
    let api = home.path().join("api.json");
    std::fs::write(
        &api,
        r#"{"openai": {"id": "openai", "name": "OpenAI", "models": {
            "gpt-5.5": {"id": "gpt-5.5", "reasoning": true, "tool_call": true,
                        "limit": {"context": 1050000, "output": 128000},
                        "cost": {"input": 4, "output": 24, "cache_read": 0.4},
                        "last_updated": "2026-04-23"},
            "gpt-9-preview": {"id": "gpt-9-preview", "reasoning": true,
                        "limit": {"context": 2000000, "output": 256000},
                        "cost": {"input": 9, "output": 90}}
        }}}"#,
    )
    .unwrap();
    let out = support::command(
        home.path(),
        home.path(),
        &["models", "import", api.to_str().unwrap()],
    )
    .output()
    .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("imported 2 models of openai") && said.contains("1 of the models"),
        "{said}"
    );
    let list = models(home.path());
    let g = entry(&list, "gpt-5.5");
    assert_eq!(
        (g["input_price"].as_f64(), g["from"].as_str()),
        (Some(4.0), Some("imported"))
    );
    assert_eq!(
        g["reasoning_style"], "openai",
        "what the import does not say stays"
    );
    assert_eq!(entry(&list, "gpt-9-preview")["max_completion_tokens"], true);

    // The user's own entry wins over the import.
    std::fs::write(
        home.path().join("config.toml"),
        "[models.\"gpt-5.5\"]\ninput_price = 3.5\n",
    )
    .unwrap();
    let list = models(home.path());
    let g = entry(&list, "gpt-5.5");
    assert_eq!(
        (g["input_price"].as_f64(), g["output_price"].as_f64()),
        (Some(3.5), Some(24.0))
    );
    assert_eq!(g["from"], "config");

    // A broken import file is named at its line, not ignored.
    std::fs::write(
        home.path().join("models.toml"),
        "[models.\"x\"]\ncontext_window = 5\n",
    )
    .unwrap();
    let out = support::command(home.path(), home.path(), &["models"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("models.toml:2") && err.contains("out of range"),
        "{err}"
    );
}

#[test]
fn a_model_known_by_a_prefix_only_is_named_once_with_the_entry_it_was_inferred_from() {
    let home = tempfile::tempdir().unwrap();
    let server = tokio::runtime::Runtime::new().unwrap();
    let fake = server.block_on(support::model::FakeModel::start(vec![
        support::model::Turn::text("hi"),
    ]));
    std::fs::write(
        home.path().join("config.toml"),
        support::model::config(&fake.url(), "FAKE_KEY", "")
            .replace("model = \"fake-model\"", "model = \"gpt-5.7\""),
    )
    .unwrap();
    let out = support::command(home.path(), home.path(), &["exec", "hello"])
        .env("FAKE_KEY", "k")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(err.matches("inferred from `gpt-5`").count(), 1, "{err}");
}
