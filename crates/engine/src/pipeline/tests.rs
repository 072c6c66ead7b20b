use super::*;

fn skills() -> BTreeMap<String, Skill> {
    let dir = tempfile::tempdir().unwrap();
    let found = skill::discover(skill::Roots {
        config_dir: None,
        home: None,
        workspace: dir.path(),
    });
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    found.skills
}

#[test]
fn the_built_in_pipeline_has_its_seven_stages() {
    let p = parse(Path::new("engineering.toml"), ENGINEERING, &skills()).unwrap();
    let names: Vec<&str> = p.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "requirements",
            "design",
            "tasks",
            "implement",
            "verify",
            "review",
            "ship"
        ]
    );
    assert_eq!(p.stages[2].kind, StageKind::Plan);
    assert_eq!(p.stages[4].gate, Gate::Command);
    assert_eq!(
        p.stages[0].artifact.as_deref(),
        Some("docs/gearshift/requirements.md")
    );
}

#[test]
fn bad_pipelines_are_reported_with_their_line() {
    let s = skills();
    let e = parse(
        Path::new("p.toml"),
        "name = \"x\"\n[[stages]]\nname = \"a\"\nskill = \"nope\"\ngate = \"human\"\nartifact = \"a.md\"\n",
        &s,
    )
    .unwrap_err();
    assert_eq!(e.line, 4);
    assert!(e.message.contains("skill `nope`"), "{e}");
    let e = parse(
        Path::new("p.toml"),
        "name = \"x\"\n[[stages]]\nname = \"a\"\nskill = \"design\"\ngate = \"sometimes\"\n",
        &s,
    )
    .unwrap_err();
    assert_eq!(e.line, 5, "{e}");
    let e = parse(Path::new("p.toml"), "name = \"x\"\nstages = []\n", &s).unwrap_err();
    assert!(e.message.contains("at least one"));
}

#[test]
fn custom_pipelines_override_by_name() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join(".gearshift/pipelines")).unwrap();
    std::fs::write(
        ws.path().join(".gearshift/pipelines/quick.toml"),
        "name = \"quick\"\n[[stages]]\nname = \"design\"\nskill = \"design\"\nartifact = \"d.md\"\ngate = \"human\"\n",
    )
    .unwrap();
    std::fs::write(ws.path().join(".gearshift/pipelines/bad.toml"), "name = 3").unwrap();
    let (pipelines, errors) = discover(Some(home.path()), ws.path(), &skills());
    assert_eq!(pipelines.len(), 2);
    assert_eq!(pipelines["quick"].stages.len(), 1);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].path.ends_with("bad.toml"));
}

#[test]
fn the_stage_machine_passes_sends_back_skips_and_verifies() {
    let p = parse(Path::new("e.toml"), ENGINEERING, &skills()).unwrap();
    let mut run = Run::new(p);
    assert_eq!(run.current(), Some(0));
    assert!(
        run.decide(&GateOp::Pass)
            .unwrap_err()
            .contains("not at its gate")
    );
    run.apply(&StageEvent::Started {
        stage: "requirements".into(),
    });
    run.apply(&StageEvent::AtGate {
        stage: "requirements".into(),
    });
    // Sent back: runs again with the comments.
    let back = run
        .decide(&GateOp::SendBack("add an error story".into()))
        .unwrap();
    for e in &back {
        run.apply(e);
    }
    assert_eq!(run.statuses[0], StageStatus::Running);
    assert_eq!(run.comments[0].as_deref(), Some("add an error story"));
    run.apply(&StageEvent::AtGate {
        stage: "requirements".into(),
    });
    for e in run.decide(&GateOp::Pass).unwrap() {
        run.apply(&e);
    }
    assert_eq!(run.statuses[0], StageStatus::Passed);
    assert_eq!(run.statuses[1], StageStatus::Running);
    // Skipping is recorded and starts the next stage.
    for e in run.decide(&GateOp::Skip).unwrap() {
        run.apply(&e);
    }
    assert_eq!(run.statuses[1], StageStatus::Skipped);
    assert_eq!(run.current(), Some(2));
    for stage in ["tasks", "implement"] {
        run.apply(&StageEvent::AtGate {
            stage: stage.into(),
        });
        for e in run.decide(&GateOp::Pass).unwrap() {
            run.apply(&e);
        }
    }
    assert_eq!(run.current(), Some(4));
    // Verify: a failure goes back to the model, up to the limit; then the human decides.
    let failed = run.verified(false, "1 test failed", 2);
    assert_eq!(failed.len(), 1);
    failed.iter().for_each(|e| run.apply(e));
    let failed = run.verified(false, "still failing", 2);
    assert!(matches!(failed.last(), Some(StageEvent::AtGate { .. })));
    failed.iter().for_each(|e| run.apply(e));
    assert!(
        run.decide(&GateOp::Pass)
            .unwrap_err()
            .contains("test command")
    );
    let passed = run.verified(true, "", 2);
    assert!(matches!(&passed[0], StageEvent::GatePassed { stage } if stage == "verify"));
    passed.iter().for_each(|e| run.apply(e));
    for stage in ["review", "ship"] {
        run.apply(&StageEvent::AtGate {
            stage: stage.into(),
        });
        for e in run.decide(&GateOp::Pass).unwrap() {
            run.apply(&e);
        }
    }
    assert!(run.finished());
    assert!(run.decide(&GateOp::Pass).is_err());
}

#[test]
fn the_test_command_is_detected_from_build_files() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(detect_test_command(dir.path()), None);
    std::fs::write(
        dir.path().join("Makefile"),
        "build:\n\ttrue\ntest:\n\ttrue\n",
    )
    .unwrap();
    assert_eq!(
        detect_test_command(dir.path()).as_deref(),
        Some("make test")
    );
    std::fs::write(dir.path().join("pyproject.toml"), "").unwrap();
    assert_eq!(
        detect_test_command(dir.path()).as_deref(),
        Some("python -m pytest")
    );
    std::fs::write(dir.path().join("package.json"), "{}").unwrap();
    assert_eq!(detect_test_command(dir.path()).as_deref(), Some("npm test"));
    std::fs::write(dir.path().join("Cargo.toml"), "").unwrap();
    assert_eq!(
        detect_test_command(dir.path()).as_deref(),
        Some("cargo test")
    );
}
