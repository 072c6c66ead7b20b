//! The pipeline gear: starting a run, the work of each stage (a model turn, the approved tasks,
//! or the test command), the human's gate decisions, and the commit that ships it.

use std::path::Path;
use std::time::Instant;

use super::Actor;
use super::activity::Activity;
use crate::core::machine::Effect;
use crate::pipeline::StageEvent;
use crate::protocol::{Event, Gear};
use crate::tools::Writes;
use crate::tools::writes::Hold;
use crate::{pipeline, tools};

impl Actor {
    /// The configured pipeline, given the skills it may use, and the pipeline files that
    /// could not be loaded.
    fn configured_pipeline(
        &self,
        skills: &tools::Skills,
    ) -> (Result<pipeline::Pipeline, String>, Vec<String>) {
        let root = self.deps.tools.workspace.root();
        let (pipelines, errors) = pipeline::discover(self.deps.config_dir.as_deref(), root, skills);
        let warnings = errors
            .iter()
            .map(|e| format!("pipeline not loaded: {e}"))
            .collect();
        let name = if self.deps.pipeline.name.is_empty() {
            "engineering"
        } else {
            self.deps.pipeline.name.as_str()
        };
        let def = pipelines.get(name).cloned().ok_or_else(|| {
            let known: Vec<&str> = pipelines.keys().map(String::as_str).collect();
            format!(
                "no pipeline named `{name}` ([pipeline] name); pipelines: {}",
                known.join(", ")
            )
        });
        (def, warnings)
    }

    /// In the pipeline gear before a run: the front end is shown the pipeline a prompt will
    /// start (not stored: it is what the files say now), with the skills found at start — not
    /// found a second time for a preview.
    pub(super) fn preview_pipeline(&self) {
        if self.state.gear != Gear::Pipeline || self.state.pipeline.is_some() {
            return;
        }
        let Ok(skills) = self.deps.tools.skills.read() else {
            return;
        };
        if let (Ok(pipeline), _) = self.configured_pipeline(&skills) {
            let _ = self.events.send(Event::PipelinePreview { pipeline });
        }
    }

    /// The first prompt in the pipeline gear: loads the pipeline and its skills, records them
    /// with the request, and starts the first stage.
    pub(super) fn start_pipeline(&mut self, request: &str) -> Vec<Effect> {
        // Found afresh: a skill edited since the session started is the one the run records.
        let root = self.deps.tools.workspace.root().to_path_buf();
        let found = pipeline::skill::discover(pipeline::skill::Roots {
            config_dir: self.deps.config_dir.as_deref(),
            home: self.deps.home_dir.as_deref(),
            workspace: &root,
        });
        let (def, pipeline_warnings) = self.configured_pipeline(&found.skills);
        for w in found.problems().into_iter().chain(pipeline_warnings) {
            self.warn(w);
        }
        let skills = found.skills;
        let def = match def {
            Ok(def) => def,
            Err(message) => {
                self.refuse(message, None);
                return Vec::new();
            }
        };
        let bodies = def
            .stages
            .iter()
            .filter_map(|s| {
                skills
                    .get(&s.skill)
                    .map(|k| (s.skill.clone(), k.body.clone()))
            })
            .collect();
        let Some(first) = def.stages.first().map(|s| s.name.clone()) else {
            return Vec::new();
        };
        let events = vec![
            Event::PipelineStarted {
                pipeline: def,
                skills: bodies,
                request: request.to_string(),
            },
            Event::Stage {
                event: StageEvent::Started { stage: first },
            },
        ];
        vec![Effect::Record(events), Effect::StartStage]
    }

    /// Runs a command the human typed with `!`, in the background: in the sandbox, with the
    /// scrubbed environment and the timeout of the model's commands (keys never reach it, and
    /// its output is redacted like theirs), but without asking — the human typed it.
    pub(super) fn run_shell(&mut self, command: String) {
        let root = self.deps.tools.workspace.root().to_path_buf();
        let timeout = self.deps.tools.limits.command_timeout;
        let keep = self.deps.tools.limits.output_keep_bytes;
        let runner = self.deps.tools.runner.clone();
        let line = command.clone();
        let task = tokio::spawn(async move {
            match runner.run(&line, &root, timeout, keep).await {
                Ok(out) => (runner.secrets.redact(&out.output), out.exit_code),
                Err(e) => (format!("cannot run it: {e}"), None),
            }
        });
        let id = format!("sh-{}", uuid::Uuid::new_v4().simple());
        let _ = self.events.send(Event::ShellStarted {
            id: id.clone(),
            command: command.clone(),
        });
        self.activity = Activity::Shell {
            id,
            command,
            task,
            started: Instant::now(),
        };
    }

    /// Runs the test command in the background: the model's code runs, so in the same sandbox
    /// and scrubbed environment as its commands, its writes held the same way. What it writes
    /// under ignored paths (build outputs) stays; anything else it wrote is not kept, and the
    /// verdict says which files those were.
    pub(super) fn run_verify(&mut self) {
        let root = self.deps.tools.workspace.root().to_path_buf();
        let command = self
            .deps
            .pipeline
            .test_command
            .clone()
            .or_else(|| pipeline::detect_test_command(&root));
        let allowed = self.deps.run_tests;
        let timeout = self.deps.tools.limits.command_timeout;
        let keep = self.deps.tools.limits.output_keep_bytes;
        let runner = self.deps.tools.runner.clone();
        let ws = self.deps.tools.workspace.clone();
        let task = tokio::spawn(async move {
            if !allowed {
                return (
                    false,
                    "the test command was not run: a replay runs commands only with \
                     --run-commands"
                        .to_string(),
                );
            }
            let Some(command) = command else {
                return (
                    false,
                    "no test command: set [pipeline] test_command (none was found in Cargo.toml, \
                     package.json, pyproject.toml or a Makefile)"
                        .to_string(),
                );
            };
            let (w, sb) = (ws.clone(), runner.sandbox.clone());
            let hold = match tokio::task::spawn_blocking(move || Hold::prepare(&w, &sb)).await {
                Ok(Ok(hold)) => hold,
                Ok(Err(why)) => return (false, format!("$ {command}\nnot run: {why}")),
                Err(e) => return (false, format!("$ {command}\ncannot run it: {e}")),
            };
            let io = tools::Io {
                overlay: hold.overlay(&ws),
                ..tools::Io::default()
            };
            let ran = runner.run_io(&command, &root, timeout, keep, io).await;
            let secrets = runner.secrets.clone();
            let dropped = tokio::task::spawn_blocking(move || {
                tools::writes::gather(&ws, hold, Writes::Propose, &secrets)
            })
            .await
            .unwrap_or_default();
            match ran {
                Ok(out) => {
                    let mut text = format!("$ {command}\n{}", out.output);
                    let files: Vec<&str> = dropped
                        .writes
                        .iter()
                        .map(|w| w.change.path.as_str())
                        .collect();
                    if !files.is_empty() {
                        text.push_str(&format!(
                            "\n[the test command also wrote {}; not kept: only its ignored build \
                             outputs are]",
                            files.join(", ")
                        ));
                    }
                    (out.exit_code == Some(0) && !out.timed_out, text)
                }
                Err(e) => (false, format!("$ {command}\ncannot run it: {e}")),
            }
        });
        self.activity = Activity::Verifying { task };
    }

    /// Commits the change with the ship artifact's commit message, in a git repository.
    pub(super) async fn ship(&mut self, stage: &pipeline::StageDef) {
        let root = self.deps.tools.workspace.root().to_path_buf();
        if !root.join(".git").exists() {
            self.refuse("not a git repository: nothing was committed", None);
            return;
        }
        let artifact = stage
            .artifact
            .as_deref()
            .and_then(|a| self.state.written(a))
            .unwrap_or_default()
            .to_string();
        // The gate holds without a message (see `machine::stage_gates::unfinished`); this is its
        // last check.
        let Some(message) = pipeline::commit_message(&artifact) else {
            self.refuse(
                "the ship artifact has no commit message: nothing was committed",
                None,
            );
            return;
        };
        // Only what this run wrote, never a secret file: not `git add -A`, which would take
        // along every untracked file in the tree (a `.env`, scratch files).
        let paths: Vec<String> = self
            .state
            .run_paths()
            .into_iter()
            .filter(|p| !is_env_file(p))
            .collect();
        let msg = message.clone();
        let done = tokio::task::spawn_blocking(move || commit_paths(&root, &paths, &msg))
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
        match done {
            Ok(commit) => {
                self.record(vec![Event::Shipped { commit, message }]).await;
            }
            Err(e) => self.refuse(format!("git commit failed: {e}"), None),
        }
    }
}

/// `.env`, `.env.local`…: never committed by gearshift.
fn is_env_file(path: &str) -> bool {
    Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == ".env" || n.starts_with(".env."))
}

/// Commits exactly `paths` (those of them git sees a change in) with `message`; returns the
/// new commit's hash.
fn commit_paths(root: &Path, paths: &[String], message: &str) -> Result<String, String> {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .map_err(|e| format!("cannot run git: {e}"))
            .and_then(|o| {
                if o.status.success() {
                    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
                } else {
                    Err(String::from_utf8_lossy(&o.stderr).trim().to_string())
                }
            })
    };
    if paths.is_empty() {
        return Err("the run changed no files".into());
    }
    let mut status = vec![
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--",
    ];
    status.extend(paths.iter().map(String::as_str));
    let listed = git(&status)?;
    // Records are `XY path`, and a rename's or copy's record is followed by its old path.
    let mut changed = Vec::new();
    let mut records = listed.split('\0').filter(|r| !r.is_empty());
    while let Some(record) = records.next() {
        let (code, path) = record.split_at(record.len().min(3));
        changed.push(path.to_string());
        if (code.contains('R') || code.contains('C'))
            && let Some(old) = records.next()
        {
            changed.push(old.to_string());
        }
    }
    if changed.is_empty() {
        return Err("the files the run wrote have no changes for git".into());
    }
    let mut add = vec!["add", "-A", "--"];
    add.extend(changed.iter().map(String::as_str));
    git(&add)?;
    let mut commit = vec!["commit", "-q", "-m", message, "--"];
    commit.extend(changed.iter().map(String::as_str));
    git(&commit)?;
    git(&["rev-parse", "HEAD"]).map(|h| h.trim().to_string())
}
