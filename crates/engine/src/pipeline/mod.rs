//! The pipeline gear's definitions: skills (see [`skill`]), pipelines of gated stages, and the
//! stage state machine as pure functions over the events that record a run.
//!
//! A pipeline is an ordered list of stages; each names its skill, the artifact it writes (which
//! is reviewed like code), what kind of stage it is, and its gate: the human's approval, or a
//! command (the project's test command) that must pass. The built-in `engineering` pipeline is
//! `assets/pipelines/engineering.toml`; custom ones are TOML files in the user's config dir
//! `pipelines/` and the workspace's `.gearshift/pipelines/`, later ones replacing earlier ones
//! of the same name.

pub mod skill;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::protocol::pipeline::{Gate, Pipeline, StageDef, StageEvent, StageKind};
pub use skill::{Skill, SkillError};

/// A pipeline file that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {message}", path.display())]
pub struct PipelineError {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

/// The built-in engineering pipeline.
pub const ENGINEERING: &str = include_str!("../../../../assets/pipelines/engineering.toml");

/// Parses a pipeline and checks it against the skills it names.
pub fn parse(
    path: &Path,
    text: &str,
    skills: &BTreeMap<String, Skill>,
) -> Result<Pipeline, PipelineError> {
    let err = |line: usize, message: String| PipelineError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let pipeline: Pipeline = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| {
            text[..s.start.min(text.len())].lines().count().max(1)
        });
        err(line, e.message().to_string())
    })?;
    let line_of = |needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .map_or(1, |i| i + 1)
    };
    if pipeline.stages.is_empty() {
        return Err(err(1, "a pipeline needs at least one [[stages]]".into()));
    }
    let mut seen = std::collections::HashSet::new();
    for stage in &pipeline.stages {
        if !seen.insert(stage.name.as_str()) {
            return Err(err(
                line_of(&format!("\"{}\"", stage.name)),
                format!("two stages are named `{}`", stage.name),
            ));
        }
        if !skills.contains_key(&stage.skill) {
            let known: Vec<&str> = skills.keys().map(String::as_str).collect();
            return Err(err(
                line_of(&format!("\"{}\"", stage.skill)),
                format!(
                    "stage `{}` uses the skill `{}`, which does not exist; skills: {}",
                    stage.name,
                    stage.skill,
                    known.join(", ")
                ),
            ));
        }
        if matches!(stage.kind, StageKind::Artifact | StageKind::Ship) && stage.artifact.is_none() {
            return Err(err(
                line_of(&format!("\"{}\"", stage.name)),
                format!(
                    "stage `{}` writes an artifact: give its `artifact` path",
                    stage.name
                ),
            ));
        }
    }
    Ok(pipeline)
}

/// Every pipeline by name (the built-in one first, then the user's, then the workspace's), and
/// the files that failed.
#[must_use]
pub fn discover(
    user_dir: Option<&Path>,
    workspace: &Path,
    skills: &BTreeMap<String, Skill>,
) -> (BTreeMap<String, Pipeline>, Vec<PipelineError>) {
    let mut out = BTreeMap::new();
    let mut errors = Vec::new();
    match parse(
        Path::new("assets/pipelines/engineering.toml"),
        ENGINEERING,
        skills,
    ) {
        Ok(p) => {
            out.insert(p.name.clone(), p);
        }
        Err(e) => errors.push(e),
    }
    let dirs = [
        user_dir.map(|d| (d.join("pipelines"), crate::provided::Party::User)),
        Some((
            workspace.join(".gearshift/pipelines"),
            crate::provided::Party::Repository(workspace),
        )),
    ];
    for (dir, party) in dirs.into_iter().flatten() {
        for path in crate::fsutil::files_in(&dir, "toml") {
            let loaded = crate::provided::read(&path, party, 1024 * 1024)
                .map_err(|e| PipelineError {
                    path: path.clone(),
                    line: 1,
                    message: format!("cannot read: {e}"),
                })
                .and_then(|text| parse(&path, &text, skills));
            match loaded {
                Ok(p) => {
                    out.insert(p.name.clone(), p);
                }
                Err(e) => errors.push(e),
            }
        }
    }
    (out, errors)
}

/// The commit message a ship artifact ends in: the text under its `## Commit message`
/// heading (up to the next `## ` heading), or `None` when there is no such section or it is
/// empty. A missing section is never guessed from the rest of the file.
#[must_use]
pub fn commit_message(artifact: &str) -> Option<String> {
    let mut lines = artifact.lines();
    lines.find(|l| l.trim().eq_ignore_ascii_case("## commit message"))?;
    let body: Vec<&str> = lines.take_while(|l| !l.starts_with("## ")).collect();
    let message = body.join("\n").trim().to_string();
    (!message.is_empty()).then_some(message)
}

/// The project's test command, guessed from its build files when `[pipeline] test_command` is
/// unset.
#[must_use]
pub fn detect_test_command(workspace: &Path) -> Option<String> {
    if workspace.join("Cargo.toml").is_file() {
        return Some("cargo test".into());
    }
    if workspace.join("package.json").is_file() {
        return Some("npm test".into());
    }
    if workspace.join("pyproject.toml").is_file() || workspace.join("setup.py").is_file() {
        return Some("python -m pytest".into());
    }
    let makefile = std::fs::read_to_string(workspace.join("Makefile")).ok()?;
    makefile
        .lines()
        .any(|l| l.starts_with("test:"))
        .then(|| "make test".into())
}

/// Where a stage stands in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    Pending,
    Running,
    /// Its work is done; its gate waits.
    AwaitingGate,
    Passed,
    Skipped,
}

/// What the human asks of the current stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateOp {
    Pass,
    SendBack(String),
    Skip,
}

/// Folds a run's events (its start, its stages) into the run, as the stage bar and headless
/// runs do. Returns whether the event was one.
pub fn fold(run: &mut Option<Run>, event: &crate::protocol::Event) -> bool {
    use crate::protocol::Event;
    match event {
        Event::PipelineStarted { pipeline, .. } => *run = Some(Run::new(pipeline.clone())),
        Event::Stage { event } => {
            if let Some(r) = run {
                r.apply(event);
            }
        }
        _ => return false,
    }
    true
}

/// A pipeline run, folded from its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub pipeline: Pipeline,
    pub statuses: Vec<StageStatus>,
    /// Verify rounds that failed so far.
    pub verify_failures: u32,
    /// Comments of the latest send-back of each stage.
    pub comments: Vec<Option<String>>,
}

impl Run {
    #[must_use]
    pub fn new(pipeline: Pipeline) -> Run {
        let n = pipeline.stages.len();
        Run {
            pipeline,
            statuses: vec![StageStatus::Pending; n],
            verify_failures: 0,
            comments: vec![None; n],
        }
    }

    fn index(&self, stage: &str) -> Option<usize> {
        self.pipeline.stages.iter().position(|s| s.name == stage)
    }

    /// The stage running or waiting at its gate, else the next pending one.
    #[must_use]
    pub fn current(&self) -> Option<usize> {
        self.statuses
            .iter()
            .position(|s| matches!(s, StageStatus::Running | StageStatus::AwaitingGate))
            .or_else(|| {
                self.statuses
                    .iter()
                    .position(|s| *s == StageStatus::Pending)
            })
    }

    /// Whether every stage has passed or been skipped.
    #[must_use]
    pub fn finished(&self) -> bool {
        self.statuses
            .iter()
            .all(|s| matches!(s, StageStatus::Passed | StageStatus::Skipped))
    }

    pub fn apply(&mut self, event: &StageEvent) {
        let set = |run: &mut Run, stage: &str, status| {
            if let Some(i) = run.index(stage) {
                run.statuses[i] = status;
            }
        };
        match event {
            StageEvent::Started { stage } | StageEvent::Answered { stage } => {
                set(self, stage, StageStatus::Running);
            }
            StageEvent::AtGate { stage } => set(self, stage, StageStatus::AwaitingGate),
            StageEvent::GatePassed { stage } => set(self, stage, StageStatus::Passed),
            StageEvent::Skipped { stage } => set(self, stage, StageStatus::Skipped),
            StageEvent::SentBack { stage, comments } => {
                if let Some(i) = self.index(stage) {
                    self.statuses[i] = StageStatus::Running;
                    self.comments[i] = Some(comments.clone());
                }
            }
            StageEvent::VerifyFailed { .. } => self.verify_failures += 1,
        }
    }

    /// The events a human's gate decision records, or why it is refused. Passing or skipping
    /// starts the next stage.
    pub fn decide(&self, op: &GateOp) -> Result<Vec<StageEvent>, String> {
        let i = self.current().ok_or("the pipeline has finished")?;
        let stage = &self.pipeline.stages[i];
        let name = stage.name.clone();
        let status = self.statuses[i];
        let mut events = match op {
            GateOp::Pass => {
                if status != StageStatus::AwaitingGate {
                    return Err(format!("stage `{name}` is not at its gate yet"));
                }
                if stage.gate == Gate::Command {
                    return Err(format!(
                        "stage `{name}` passes when the test command passes, not by hand; skip it instead"
                    ));
                }
                vec![StageEvent::GatePassed { stage: name }]
            }
            GateOp::SendBack(comments) => {
                if status != StageStatus::AwaitingGate {
                    return Err(format!("stage `{name}` is not at its gate yet"));
                }
                if comments.trim().is_empty() {
                    return Err("say what to change when sending a stage back".into());
                }
                return Ok(vec![StageEvent::SentBack {
                    stage: name,
                    comments: comments.trim().to_string(),
                }]);
            }
            GateOp::Skip => vec![StageEvent::Skipped { stage: name }],
        };
        if let Some(next) = self.pipeline.stages.get(i + 1) {
            events.push(StageEvent::Started {
                stage: next.name.clone(),
            });
        }
        Ok(events)
    }

    /// The stage a prompt reopens: the current one, waiting at its gate, when it is a stage the
    /// model works in by itself (not the plan's steps, which run by the run key).
    #[must_use]
    pub fn answered(&self) -> Option<&str> {
        let i = self.current()?;
        let stage = &self.pipeline.stages[i];
        (self.statuses[i] == StageStatus::AwaitingGate && stage.kind != StageKind::RunPlan)
            .then_some(stage.name.as_str())
    }

    /// After the test command ran in the verify stage: pass on success; on failure, another
    /// round for the model while rounds are left, else stop at the gate for the human.
    #[must_use]
    pub fn verified(&self, passed: bool, output: &str, max_rounds: u32) -> Vec<StageEvent> {
        let Some(i) = self.current() else {
            return Vec::new();
        };
        let name = self.pipeline.stages[i].name.clone();
        if passed {
            let mut events = vec![StageEvent::GatePassed { stage: name }];
            if let Some(next) = self.pipeline.stages.get(i + 1) {
                events.push(StageEvent::Started {
                    stage: next.name.clone(),
                });
            }
            return events;
        }
        let round = self.verify_failures + 1;
        let mut events = vec![StageEvent::VerifyFailed {
            round,
            output: output.to_string(),
        }];
        if round >= max_rounds {
            events.push(StageEvent::AtGate { stage: name });
        }
        events
    }
}

#[cfg(test)]
mod tests;
