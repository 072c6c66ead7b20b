use super::*;
use crate::protocol::Gear;
use std::path::PathBuf;

fn setup() -> (tempfile::TempDir, Paths, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under_home(&dir.path().join("home"));
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(ws.join(".gearshift")).unwrap();
    std::fs::create_dir_all(paths.home.clone().unwrap()).unwrap();
    (dir, paths, ws)
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

#[test]
fn a_workspace_adds_checkpoints_and_never_removes_the_users_trusted_or_not() {
    let (_d, paths, ws) = setup();
    std::fs::write(
        &paths.config_file,
        "[[checkpoints]]\nname = \"pushes\"\ncommands = [\"git push*\"]\n",
    )
    .unwrap();
    std::fs::write(
        Paths::project_config(&ws),
        "[[checkpoints]]\nname = \"migrations\"\nreason = \"reviewed\"\npaths = [\"migrations/**\"]\n",
    )
    .unwrap();
    let names = |flags: &Flags| -> Vec<String> {
        load(&paths, &ws, &env(&[]), flags)
            .unwrap()
            .config
            .checkpoints
            .iter()
            .map(|c| c.name.clone())
            .collect()
    };
    // Untrusted: the project's rule applies at once (it only adds a stop).
    assert_eq!(names(&Flags::default()), ["pushes", "migrations"]);
    let loaded = load(&paths, &ws, &env(&[]), &Flags::default()).unwrap();
    assert!(loaded.workspace.unwrap().withheld().is_empty());
    // Trusted: still added to the user's, never in their place.
    let trusted = Flags {
        trust_workspace: true,
        ..Flags::default()
    };
    assert_eq!(names(&trusted), ["pushes", "migrations"]);
}

#[test]
fn layers_apply_in_order_defaults_user_project_env_flags() {
    let (_d, paths, ws) = setup();
    std::fs::write(
        &paths.config_file,
        "provider = \"deepseek\"\ntheme = \"light\"\ngear = \"plan\"\n[providers.deepseek]\ncontext_window = 10000\n",
    )
    .unwrap();
    std::fs::write(
        Paths::project_config(&ws),
        "theme = \"high-contrast\"\n[providers.deepseek]\nmax_output_tokens = 77\n",
    )
    .unwrap();

    let untrusted = load(&paths, &ws, &env(&[]), &Flags::default()).unwrap();
    assert_eq!(
        untrusted.config.providers["deepseek"]
            .facts
            .max_output_tokens,
        None,
        "an untrusted project cannot patch a provider"
    );
    assert_eq!(
        untrusted.workspace.unwrap().withheld()[0].key,
        "providers.deepseek"
    );
    // Trusted (here for this run), the project's whole file applies.
    let trusted = Flags {
        trust_workspace: true,
        ..Flags::default()
    };
    let c = load(&paths, &ws, &env(&[]), &trusted).unwrap().config;
    assert_eq!(c.provider.as_deref(), Some("deepseek"));
    assert_eq!(c.theme, "high-contrast", "project beats user");
    assert_eq!(c.gear, Gear::Plan, "user beats defaults");
    let ds = &c.providers["deepseek"];
    assert_eq!(ds.facts.context_window, Some(10000), "user patch kept");
    assert_eq!(ds.facts.max_output_tokens, Some(77), "project patch merged");
    assert_eq!(
        ds.base_url.as_deref(),
        Some("https://api.deepseek.com"),
        "default kept"
    );

    let e = env(&[
        ("GEARSHIFT_THEME", "dark"),
        ("GEARSHIFT_MODEL", "deepseek-reasoner"),
    ]);
    let c = load(&paths, &ws, &e, &Flags::default()).unwrap().config;
    assert_eq!(c.theme, "dark", "env beats project");
    assert_eq!(c.model.as_deref(), Some("deepseek-reasoner"));

    let flags = Flags {
        theme: Some("light".into()),
        gear: Some(Gear::Pipeline),
        ..Flags::default()
    };
    let c = load(&paths, &ws, &e, &flags).unwrap().config;
    assert_eq!(c.theme, "light", "flags beat env");
    assert_eq!(c.gear, Gear::Pipeline);
}

#[test]
fn quick_start_env_selects_provider_only_when_none_is_chosen() {
    let (_d, paths, ws) = setup();
    let e = env(&[
        ("OPENAI_API_KEY", "sk-x"),
        ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"),
    ]);
    let c = load(&paths, &ws, &e, &Flags::default()).unwrap().config;
    assert_eq!(c.provider.as_deref(), Some("openai"));
    assert_eq!(
        c.providers["openai"].base_url.as_deref(),
        Some("http://127.0.0.1:9/v1")
    );
    std::fs::write(&paths.config_file, "provider = \"ollama\"\n").unwrap();
    let c = load(&paths, &ws, &e, &Flags::default()).unwrap().config;
    assert_eq!(
        c.provider.as_deref(),
        Some("ollama"),
        "a file's choice wins"
    );
    let c = load(&paths, &ws, &env(&[]), &Flags::default())
        .unwrap()
        .config;
    assert_eq!(c.provider.as_deref(), Some("ollama"));
}

#[test]
fn base_url_flag_patches_chosen_provider_or_defines_custom() {
    let (_d, paths, ws) = setup();
    let flags = Flags {
        base_url: Some("http://127.0.0.1:8000/v1".into()),
        model: Some("local".into()),
        ..Flags::default()
    };
    let c = load(&paths, &ws, &env(&[]), &flags).unwrap().config;
    let p = c.active_provider().unwrap();
    assert_eq!(p.name, "custom");
    assert_eq!(p.base_url.as_deref(), Some("http://127.0.0.1:8000/v1"));
    assert_eq!(p.model, "local");

    let flags = Flags {
        provider: Some("zhipu".into()),
        ..flags
    };
    let p = load(&paths, &ws, &env(&[]), &flags)
        .unwrap()
        .config
        .active_provider()
        .unwrap();
    assert_eq!(p.name, "zhipu");
    assert_eq!(p.base_url.as_deref(), Some("http://127.0.0.1:8000/v1"));
}

#[test]
fn unknown_key_reports_file_line_and_dotted_key() {
    let (_d, paths, ws) = setup();
    std::fs::write(
        &paths.config_file,
        "theme = \"dark\"\n\n[providers.openai]\nbase_url = \"x\"\nbse_url = \"y\"\n",
    )
    .unwrap();
    let err = load(&paths, &ws, &env(&[]), &Flags::default()).unwrap_err();
    let ConfigError::Parse {
        path, line, key, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(path, &paths.config_file);
    assert_eq!(*line, 5);
    assert_eq!(key, "providers.openai.bse_url");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("{}:5:", paths.config_file.display())),
        "{msg}"
    );
    assert!(msg.contains("not a known setting"), "{msg}");
}

#[test]
fn wrong_type_reports_line_key_and_expectation() {
    let (_d, paths, ws) = setup();
    std::fs::write(
        Paths::project_config(&ws),
        "[providers.deepseek]\ncontext_window = \"big\"\n",
    )
    .unwrap();
    // A trusted workspace's config fails as the user's own does (an untrusted one is said
    // and skipped, see below).
    let trusted = Flags {
        trust_workspace: true,
        ..Flags::default()
    };
    let err = load(&paths, &ws, &env(&[]), &trusted).unwrap_err();
    let msg = err.to_string();
    let ConfigError::Parse {
        line, key, message, ..
    } = err
    else {
        panic!("{msg}")
    };
    assert_eq!(line, 2, "{msg}");
    assert_eq!(key, "providers.deepseek.context_window");
    assert!(message.contains("expected u32"), "{message}");
    assert!(msg.contains(".gearshift/config.toml:2:"), "{msg}");

    std::fs::write(Paths::project_config(&ws), "gear = \"fast\"\n").unwrap();
    let msg = load(&paths, &ws, &env(&[]), &trusted)
        .unwrap_err()
        .to_string();
    assert!(msg.contains(":1:") && msg.contains("gear"), "{msg}");
    assert!(msg.contains("vibe"), "names the expected values: {msg}");
}

#[test]
fn syntax_error_reports_line() {
    let (_d, paths, ws) = setup();
    std::fs::write(&paths.config_file, "theme = \"dark\"\nmodel = \n").unwrap();
    let msg = load(&paths, &ws, &env(&[]), &Flags::default())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("config.toml:2:"), "{msg}");
}

#[test]
fn bad_gear_in_env_names_the_variable() {
    let (_d, paths, ws) = setup();
    let msg = load(
        &paths,
        &ws,
        &env(&[("GEARSHIFT_GEAR", "turbo")]),
        &Flags::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(msg.contains("GEARSHIFT_GEAR"), "{msg}");
}

#[test]
fn an_untrusted_workspace_config_that_does_not_load_is_said_and_skipped_a_trusted_one_fails() {
    let (_d, paths, ws) = setup();
    for text in [
        "[agent]\nfoo = 1\n",
        "[agent\nfoo = 1\n",
        "[agent]\nmax_tool_rounds = \"x\"\n",
    ] {
        std::fs::write(Paths::project_config(&ws), text).unwrap();
        let loaded = load(&paths, &ws, &env(&[]), &Flags::default()).unwrap();
        assert_eq!(loaded.config.config_problems.len(), 1, "{text}");
        assert!(
            loaded.config.config_problems[0].contains("not applied"),
            "{:?}",
            loaded.config.config_problems
        );
        let trusted = Flags {
            trust_workspace: true,
            ..Flags::default()
        };
        assert!(load(&paths, &ws, &env(&[]), &trusted).is_err(), "{text}");
    }
    // A config linked out of the repository is not read, and says so.
    std::fs::remove_file(Paths::project_config(&ws)).unwrap();
    std::os::unix::fs::symlink(&paths.config_file, Paths::project_config(&ws)).unwrap();
    std::fs::write(&paths.config_file, "").unwrap();
    let loaded = load(&paths, &ws, &env(&[]), &Flags::default()).unwrap();
    assert!(
        loaded.config.config_problems[0].contains("outside the repository"),
        "{:?}",
        loaded.config.config_problems
    );
}

#[test]
fn a_workspace_can_never_set_telemetry_trusted_or_not_and_is_told_the_line() {
    let (_d, paths, ws) = setup();
    std::fs::write(
        &paths.config_file,
        "[telemetry]\nlog_user_prompts = false\n",
    )
    .unwrap();
    std::fs::write(
        Paths::project_config(&ws),
        "theme = \"light\"\n\n[telemetry]\nenabled = true\nlog_user_prompts = true\n",
    )
    .unwrap();
    for trust_workspace in [false, true] {
        let flags = Flags {
            trust_workspace,
            ..Flags::default()
        };
        let loaded = load(&paths, &ws, &env(&[]), &flags).unwrap();
        assert!(
            !loaded.config.telemetry.enabled,
            "trusted: {trust_workspace}"
        );
        assert!(!loaded.config.telemetry.log_user_prompts);
        assert_eq!(loaded.config.theme, "light", "the rest still applies");
        let problems = &loaded.config.config_problems;
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("config.toml:3:2: telemetry: refused"),
            "{problems:?}"
        );
        // Trust never lists it as something trust would grant.
        let withheld = loaded.workspace.unwrap().privileged;
        assert!(withheld.iter().all(|p| !p.key.starts_with("telemetry")));
    }
    // The user's own config switches it on.
    std::fs::write(&paths.config_file, "[telemetry]\nenabled = true\n").unwrap();
    std::fs::remove_file(Paths::project_config(&ws)).unwrap();
    let loaded = load(&paths, &ws, &env(&[]), &Flags::default()).unwrap();
    assert!(loaded.config.telemetry.enabled);
    // And so does the environment, by gearshift's and Claude Code's names.
    std::fs::remove_file(&paths.config_file).unwrap();
    let vars = env(&[
        ("GEARSHIFT_ENABLE_TELEMETRY", "1"),
        ("OTEL_LOG_USER_PROMPTS", "1"),
    ]);
    let telemetry = load(&paths, &ws, &vars, &Flags::default())
        .unwrap()
        .config
        .telemetry;
    assert!(telemetry.enabled && telemetry.log_user_prompts && !telemetry.log_tool_details);
    let bad = env(&[("GEARSHIFT_ENABLE_TELEMETRY", "maybe")]);
    let msg = load(&paths, &ws, &bad, &Flags::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("GEARSHIFT_ENABLE_TELEMETRY: `maybe` is not 1 or 0"),
        "{msg}"
    );
}
