//! Editing a hunk in the user's `$EDITOR` (or `$VISUAL`, else `vi`): the screen is handed to
//! the editor and taken back afterwards, redrawn in full.

use std::io::Write as _;

use super::terminal::{self, TerminalGuard};

/// Writes `text` to a temporary file named with the file's extension (so the editor picks
/// its syntax), runs the editor on it, and returns what was saved.
pub async fn edit(
    guard: &mut TerminalGuard,
    text: &str,
    extension: &str,
) -> Result<String, String> {
    let suffix = if extension.is_empty() {
        String::new()
    } else {
        format!(".{extension}")
    };
    let path = std::env::temp_dir().join(format!(
        "gearshift-hunk-{}-{:08x}{suffix}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let set = |name: &str| std::env::var(name).ok().filter(|e| !e.trim().is_empty());
    let editor = set("VISUAL")
        .or_else(|| set("EDITOR"))
        .unwrap_or_else(|| "vi".into());
    tracing::info!(%editor, path = %path.display(), "editing a hunk");
    terminal::restore();
    // Through the shell, so EDITOR="code --wait" works.
    let status = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("gearshift-editor")
        .arg(&path)
        .status()
        .await;
    tracing::info!(?status, "editor returned");
    let resumed = guard.resume();
    let result = match status {
        Ok(s) if s.success() => std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read back the edited hunk: {e}")),
        Ok(s) => Err(format!(
            "`{editor}` exited with {s}; the hunk is left undecided"
        )),
        Err(e) => Err(format!("cannot run `{editor}`: {e}; set $EDITOR")),
    };
    let _ = std::fs::remove_file(&path);
    resumed.map_err(|e| format!("cannot take the terminal back: {e}"))?;
    let _ = std::io::stdout().flush();
    result
}
