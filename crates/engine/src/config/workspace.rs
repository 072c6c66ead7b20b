//! The workspace's layer: its `.gearshift/config.toml`, its Claude Code hooks and its
//! `.mcp.json`, read only inside the repository and applied as far as the user's trust in
//! them allows. Untrusted, a privileged setting is withheld and said; checkpoints only add up;
//! a workspace's hooks are kept apart and may only confine hooks more.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::Table;

use super::layer::{Flags, Layer};
use super::toml_file::merge;
use super::trust::{self, Privileged, TrustStore, WorkspaceConfig};
use super::validate::parse_layer;
use super::{ConfigError, Paths, validate};

/// What the workspace contributes besides its patch of the merged table.
#[derive(Default)]
pub(super) struct WorkspaceLayer {
    pub config: Option<WorkspaceConfig>,
    pub config_problems: Vec<String>,
    pub hook_problems: Vec<String>,
    /// The hooks of its `.gearshift/config.toml` (whose `allow` grants nothing).
    pub hooks: Option<crate::hooks::Source>,
    /// It asked for every hook to run in the sandbox.
    pub sandbox: bool,
    /// Its Claude Code hooks (none unless trusted).
    pub claude: Vec<crate::hooks::Source>,
    /// Its `.mcp.json`'s servers (none unless trusted).
    pub mcp: Option<BTreeMap<String, crate::mcp::McpServerConfig>>,
    pub mcp_problems: Vec<String>,
}

/// What was found in the workspace before trust is decided.
struct Found {
    project: PathBuf,
    /// The workspace config's text, when it exists and could be read.
    text: Option<String>,
    /// The privileged settings of its Claude Code hooks and its `.mcp.json`.
    privileged: Vec<Privileged>,
    mcp_fingerprint: String,
}

/// Reads the workspace's files and patches `merged` with what trust allows.
pub(super) fn apply(
    paths: &Paths,
    workspace: &Path,
    env: &BTreeMap<String, String>,
    flags: &Flags,
    merged: &mut Table,
    layers: &mut Vec<Layer>,
) -> Result<WorkspaceLayer, ConfigError> {
    let mut out = WorkspaceLayer::default();
    let found = read(workspace, env, &mut out);
    if found.text.is_none() && out.claude.is_empty() && out.mcp.is_none() {
        layers.push(Layer::File {
            path: found.project,
            found: false,
        });
        return Ok(out);
    }
    let text = found.text.clone().unwrap_or_default();
    let hooks_fingerprint = crate::hooks::claude::fingerprint(&out.claude);
    let hash = trust::config_hash(
        &text,
        &[
            ("claude-code-hooks", hooks_fingerprint),
            (".mcp.json", found.mcp_fingerprint),
        ],
    );
    let recorded = TrustStore::load(&paths.trust_file)?;
    let entry = recorded.get(workspace);
    let trusted = flags.trust_workspace || entry.is_some_and(|e| e.config_sha256 == hash);
    // A repository's config that does not parse is the repository's problem until the
    // user trusts it: said, and the rest of gearshift works there.
    let mut table = match parse_layer(&found.project, &text) {
        Ok(table) => table,
        Err(e) if !trusted => {
            out.config_problems
                .push(format!("{e} (the workspace's config is not applied)"));
            Table::new()
        }
        Err(e) => return Err(e),
    };
    if let Some(problem) = refuse_telemetry(&found.project, &text, &mut table) {
        out.config_problems.push(problem);
    }
    let (allowed, mut privileged) = trust::split(&text, &table, merged);
    privileged.extend(found.privileged);
    let mut patch = if trusted { table } else { allowed };
    // Checkpoints only add up, trusted or not: a workspace never removes the user's.
    if let Some(mine) = patch.get("checkpoints").cloned() {
        let all = trust::union(merged.get("checkpoints"), &mine);
        patch.insert("checkpoints".into(), all);
    }
    // Neither do a trusted workspace's hooks replace the user's: they are kept apart, as
    // the workspace's (whose `allow` grants nothing), and may only confine hooks more.
    if let Some(mine) = patch.remove("hooks") {
        let file = Table::from_iter([("hooks".to_string(), mine.clone())]);
        validate::check_merged(&found.project, &text, &file, merged)?;
        let mut mine: crate::hooks::HooksConfig = mine.try_into().map_err(|e| {
            ConfigError::Invalid(format!("{}: [hooks]: {e}", found.project.display()))
        })?;
        match mine.sandbox.take() {
            Some(true) => out.sandbox = true,
            Some(false) => out.config_problems.push(format!(
                "{}: `[hooks] sandbox = false` is not applied: only your own config may run \
                 every hook as you",
                crate::safe_text::visible(&found.project.display().to_string())
            )),
            None => {}
        }
        if !mine.events.is_empty() {
            out.hooks = Some(crate::hooks::Source {
                label: ".gearshift/config.toml".into(),
                block: mine.events,
                workspace: true,
            });
        }
    }
    let before = merged.clone();
    merge(merged, patch.clone());
    if let Err(e) = validate::check_merged(&found.project, &text, &patch, merged) {
        if trusted {
            return Err(e);
        }
        out.config_problems
            .push(format!("{e} (the workspace's config is not applied)"));
        *merged = before;
    }
    let config = WorkspaceConfig {
        path: found.project.clone(),
        hash,
        trusted,
        changed_since_trusted: entry.is_some() && !trusted,
        privileged,
    };
    if found.text.is_some() {
        layers.push(Layer::Workspace {
            path: found.project,
            trusted,
            withheld: config.withheld().len(),
        });
    } else {
        layers.push(Layer::File {
            path: found.project,
            found: false,
        });
    }
    if !trusted {
        out.claude.clear();
        out.mcp = None;
    }
    out.config = Some(config);
    Ok(out)
}

/// The workspace's config, Claude Code hooks and `.mcp.json`, as the repository's files.
fn read(workspace: &Path, env: &BTreeMap<String, String>, out: &mut WorkspaceLayer) -> Found {
    let project = Paths::project_config(workspace);
    // The workspace's Claude Code hooks are privileged like its config's, and trust covers
    // both (see `trust::config_hash`).
    let mut claude_privileged = Vec::new();
    for path in crate::hooks::claude::workspace_files(workspace) {
        let label = path
            .strip_prefix(workspace)
            .unwrap_or(&path)
            .display()
            .to_string();
        match crate::hooks::claude::read(
            &path,
            &label,
            crate::provided::Party::Repository(workspace),
        ) {
            Ok(Some((source, text))) => {
                claude_privileged.extend(trust::claude_hooks_privileged(&path, &text, &source));
                out.claude.push(source);
            }
            Ok(None) => {}
            Err(e) => out.hook_problems.push(e),
        }
    }
    // So are its `.mcp.json`'s servers (Claude Code's format), which start programs.
    let mcp_json = workspace.join(".mcp.json");
    let mut mcp_privileged = Vec::new();
    let mut mcp_fingerprint = String::new();
    match crate::mcp::config::read_mcp_json(
        &mcp_json,
        env,
        crate::provided::Party::Repository(workspace),
    ) {
        Ok(Some((servers, text))) if !servers.is_empty() => {
            (mcp_privileged, mcp_fingerprint) = trust::mcp_json_privileged(&mcp_json, &text);
            out.mcp = Some(servers);
        }
        Ok(_) => {}
        Err(e) => out.mcp_problems.push(e),
    }
    // The workspace's config is the repository's file: read only inside it.
    let project_text = match crate::provided::read(
        &project,
        crate::provided::Party::Repository(workspace),
        4 * 1024 * 1024,
    ) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        // The repository's file, unreadable (a link out of it, say): said, not fatal.
        Err(e) => {
            out.config_problems.push(format!(
                "{}: not applied: {e}",
                crate::safe_text::visible(&project.display().to_string())
            ));
            None
        }
    };
    let mut privileged = claude_privileged;
    privileged.extend(mcp_privileged);
    Found {
        project,
        text: project_text,
        privileged,
        mcp_fingerprint,
    }
}

/// A workspace's `[telemetry]`, removed whether the workspace is trusted or not: where a team's
/// usage goes is only ever the user's own config's to say, never a cloned repository's. Said
/// with the line that asks for it.
fn refuse_telemetry(project: &Path, text: &str, table: &mut Table) -> Option<String> {
    table.remove("telemetry")?;
    let offset = validate::key_offset(text, &["telemetry"]).unwrap_or(0);
    let (line, column) = super::toml_file::line_col(text, offset);
    Some(format!(
        "{}:{line}:{column}: telemetry: refused: only your own config may set telemetry, so a \
         repository cannot send your usage to a collector of its choosing",
        crate::safe_text::visible(&project.display().to_string())
    ))
}
