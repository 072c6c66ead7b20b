//! Claude Code's `settings.json` files, of which only the `hooks` block is read — unchanged.
//!
//! The user's `~/.claude/settings.json` is the user's own. A workspace's
//! `.claude/settings.json` and `.claude/settings.local.json` are anyone's who can commit to
//! the repository (or the model's, through a command): their hooks run only in a trusted
//! workspace, and trust covers them (see `config::trust`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{HooksBlock, Source};

/// The settings files of a workspace, in the order Claude Code layers them.
#[must_use]
pub fn workspace_files(workspace: &Path) -> [PathBuf; 2] {
    let dir = workspace.join(".claude");
    [dir.join("settings.json"), dir.join("settings.local.json")]
}

/// The user's own settings file.
#[must_use]
pub fn user_file(home: &Path) -> PathBuf {
    home.join(".claude").join("settings.json")
}

#[derive(Deserialize)]
struct Settings {
    #[serde(default)]
    hooks: HooksBlock,
}

/// The `hooks` block of one settings file, with the file's text (for the lines trust shows):
/// `Ok(None)` when the file does not exist or has no hooks, an error (with the file's name and
/// the JSON's line) when it cannot be read.
pub fn read(
    path: &Path,
    label: &str,
    party: crate::provided::Party<'_>,
) -> Result<Option<(Source, String)>, String> {
    let text = match crate::provided::read(path, party, 4 * 1024 * 1024) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let settings: Settings = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: its hooks are not run: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    let workspace = matches!(party, crate::provided::Party::Repository(_));
    Ok((!settings.hooks.is_empty()).then(|| {
        let source = Source {
            label: label.to_string(),
            block: settings.hooks,
            workspace,
        };
        (source, text)
    }))
}

/// The hooks of several files as one canonical text, which workspace trust is bound to:
/// the same hooks give the same text whatever else the files say (Claude Code rewrites
/// `settings.local.json` as you grant permissions there; that does not untrust the workspace).
#[must_use]
pub fn fingerprint(sources: &[Source]) -> String {
    sources
        .iter()
        .map(|s| {
            format!(
                "{}\n{}\n",
                s.label,
                serde_json::to_string(&s.block).unwrap_or_default()
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A settings file as Claude Code writes one, permissions and all: the hooks load as they
    /// are, and the rest is left alone.
    #[test]
    fn a_claude_code_settings_file_loads_its_hooks_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        let text = r#"{
  "$schema": "https://json.schemastore.org/claude-code-settings.json",
  "permissions": {"allow": ["Bash(npm run lint)"], "deny": ["Read(./.env)"]},
  "env": {"FOO": "bar"},
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Edit|MultiEdit|Write",
        "hooks": [
          {"type": "command", "command": "\"$CLAUDE_PROJECT_DIR\"/.claude/hooks/guard.sh", "timeout": 30}
        ]
      }
    ],
    "PostToolUse": [
      {"matcher": "Write|Edit", "hooks": [{"type": "command", "command": "npx prettier --write \"$(jq -r .tool_input.file_path)\""}]}
    ],
    "Stop": [{"hooks": [{"type": "command", "command": "afplay /System/Library/Sounds/Glass.aiff"}]}],
    "Notification": [{"matcher": "", "hooks": [{"type": "command", "command": "notify-send done"}]}]
  }
}"#;
        std::fs::write(&path, text).unwrap();
        let (source, read_text) =
            read(&path, ".claude/settings.json", crate::provided::Party::User)
                .unwrap()
                .unwrap();
        assert_eq!(read_text, text);
        let json: serde_json::Value = serde_json::from_str(text).unwrap();
        // The block read is the block written, field for field.
        assert_eq!(
            serde_json::to_value(&source.block).unwrap(),
            json["hooks"],
            "the hooks block loads unchanged"
        );
        let hooks = super::super::Hooks::new(&[source], None);
        let guard = hooks.matching(super::super::HookEvent::PreToolUse, Some("write_file"));
        assert_eq!(guard.len(), 1);
        assert_eq!(guard[0].timeout, std::time::Duration::from_secs(30));
        assert_eq!(
            hooks
                .matching(super::super::HookEvent::PostToolUse, Some("edit_file"))
                .len(),
            1
        );
        // `Notification` runs when gearshift waits for the human; nothing is left out. The
        // guard script and the prettier hook (`npx`) may run code the model wrote: they run
        // confined, said once each; the notifiers run as the user.
        assert_eq!(hooks.problems.len(), 2, "{:?}", hooks.problems);
        assert!(
            hooks
                .problems
                .iter()
                .all(|p| p.contains("runs in the sandbox")),
            "{:?}",
            hooks.problems
        );
        assert!(
            hooks.problems.iter().any(|p| p.contains("`npx`")),
            "{:?}",
            hooks.problems
        );
        assert_eq!(
            hooks
                .matching(
                    super::super::HookEvent::Notification,
                    Some("permission_prompt")
                )
                .len(),
            1
        );

        assert!(
            read(
                &dir.path().join("none.json"),
                "x",
                crate::provided::Party::User
            )
            .unwrap()
            .is_none()
        );
        std::fs::write(&path, "{\n  \"hooks\": [\n").unwrap();
        let e = read(&path, "x", crate::provided::Party::User).unwrap_err();
        assert!(
            e.contains("settings.json:2") && e.contains("expected a map"),
            "{e}"
        );
    }
}
