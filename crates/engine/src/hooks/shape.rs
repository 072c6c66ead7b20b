//! What a hook reads, in Claude Code's shape, so a script written for Claude Code works
//! unchanged: its tool names (`Bash`, `Write`, `Edit`, `Read`, `Glob`, `Grep`), its field
//! names with absolute `file_path`s, a `tool_response` with the fields its hooks reference
//! documents per tool, and a `permission_mode` Claude Code knows. gearshift's own names stay
//! beside them (`path`, `old_text`, `gear`), so a hook written for gearshift works too. Pure.

use std::path::Path;

use serde_json::{Value, json};

use crate::tools;

/// The tool's name as Claude Code's hooks see it (an MCP tool's `mcp__server__tool` is the
/// same in both).
#[must_use]
pub fn tool_name(tool: &str) -> String {
    super::claude_name(tool).map_or_else(|| tool.to_string(), str::to_string)
}

/// The absolute form of a path the model gave relative to the workspace, with `.` and `..`
/// folded (`src/../migrations/x` is `migrations/x`: a guard's prefix check sees where it
/// leads).
fn absolute(workspace: &Path, path: &str) -> String {
    use std::path::Component;
    let joined = workspace.join(path);
    let mut out = std::path::PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.display().to_string()
}

/// A call's arguments as Claude Code's hooks read them: gearshift's fields, and Claude Code's
/// beside them — `file_path` (absolute) for `path`, `old_string`/`new_string` for
/// `old_text`/`new_text`, `replace_all` for an edit; the search tools' `path` absolute.
#[must_use]
pub fn tool_input(tool: &str, arguments: &str, workspace: &Path) -> Value {
    let mut v: Value =
        serde_json::from_str(arguments).unwrap_or_else(|_| json!({ "raw": arguments }));
    let Some(map) = v.as_object_mut() else {
        return v;
    };
    let path = map.get("path").and_then(Value::as_str).map(str::to_string);
    match tool {
        tools::READ_FILE
        | tools::WRITE_FILE
        | tools::EDIT_FILE
        | tools::DELETE_FILE
        | tools::MOVE_FILE => {
            if let Some(p) = &path {
                map.insert("file_path".into(), json!(absolute(workspace, p)));
            }
        }
        tools::GLOB | tools::GREP | tools::LIST_DIR => {
            let p = path.as_deref().unwrap_or(".");
            map.insert("path".into(), json!(absolute(workspace, p)));
        }
        _ => {}
    }
    if tool == tools::EDIT_FILE {
        for (ours, theirs) in [("old_text", "old_string"), ("new_text", "new_string")] {
            if let Some(value) = map.get(ours).cloned() {
                map.entry(theirs).or_insert(value);
            }
        }
        map.entry("replace_all").or_insert(json!(false));
    }
    v
}

/// What a tool returned, as Claude Code's hooks read it: `Bash` gives `stdout`, `stderr`
/// and `interrupted`; `Write` and `Edit` give `filePath` and `success`; `Read` gives
/// `file.filePath` and `file.content`; every tool also `success` and gearshift's
/// `content`/`ok`.
#[must_use]
pub fn tool_response(
    tool: &str,
    arguments: &str,
    ok: bool,
    content: &str,
    workspace: &Path,
) -> Value {
    let input = tool_input(tool, arguments, workspace);
    let file = input
        .get("file_path")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut out = match tool {
        tools::RUN_COMMAND => json!({
            "stdout": content,
            "stderr": "",
            "interrupted": false,
            "isImage": false,
        }),
        tools::WRITE_FILE | tools::EDIT_FILE => json!({ "filePath": file }),
        tools::READ_FILE => {
            json!({ "type": "text", "file": { "filePath": file, "content": content } })
        }
        _ => json!({}),
    };
    if let Some(map) = out.as_object_mut() {
        map.insert("success".into(), json!(ok));
        map.insert("ok".into(), json!(ok));
        map.insert("content".into(), json!(content));
    }
    out
}

/// Claude Code's `permission_mode` for where gearshift stands: planning in the plan gear is
/// `plan`; the vibe gear, whose edits are written at once, `acceptEdits`; everything else,
/// where each change waits for review, `default`.
#[must_use]
pub fn permission_mode(
    gear: crate::protocol::Gear,
    planning: bool,
    vibe_writes: bool,
) -> &'static str {
    use crate::protocol::Gear;
    match gear {
        Gear::Plan if planning => "plan",
        Gear::Vibe if vibe_writes => "acceptEdits",
        _ => "default",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_and_fields_read_as_claude_codes() {
        let ws = Path::new("/home/dev/proj");
        assert_eq!(tool_name(tools::RUN_COMMAND), "Bash");
        assert_eq!(tool_name(tools::WRITE_FILE), "Write");
        assert_eq!(tool_name("mcp__db__query"), "mcp__db__query");
        let edit = tool_input(
            tools::EDIT_FILE,
            r#"{"path": "src/a.rs", "old_text": "x", "new_text": "y"}"#,
            ws,
        );
        assert_eq!(edit["file_path"], "/home/dev/proj/src/a.rs");
        assert_eq!(edit["old_string"], "x");
        assert_eq!(edit["new_string"], "y");
        assert_eq!(edit["replace_all"], false);
        assert_eq!(edit["path"], "src/a.rs", "gearshift's own field stays");
        let bash = tool_input(tools::RUN_COMMAND, r#"{"command": "cargo test"}"#, ws);
        assert_eq!(bash["command"], "cargo test");
        let grep = tool_input(tools::GREP, r#"{"pattern": "fn main"}"#, ws);
        assert_eq!(grep["path"], "/home/dev/proj");
        let sly = tool_input(
            tools::WRITE_FILE,
            r#"{"path": "src/../migrations/./1.sql"}"#,
            ws,
        );
        assert_eq!(sly["file_path"], "/home/dev/proj/migrations/1.sql");
        let gone = tool_input(tools::DELETE_FILE, r#"{"path": "a.txt"}"#, ws);
        assert_eq!(gone["file_path"], "/home/dev/proj/a.txt");
        let wrote = tool_response(
            tools::WRITE_FILE,
            r#"{"path": "a.txt", "content": "a"}"#,
            true,
            "wrote a.txt",
            ws,
        );
        assert_eq!(wrote["filePath"], "/home/dev/proj/a.txt");
        assert_eq!(wrote["success"], true);
        let ran = tool_response(
            tools::RUN_COMMAND,
            r#"{"command": "ls"}"#,
            true,
            "a.txt\n",
            ws,
        );
        assert_eq!(ran["stdout"], "a.txt\n");
        assert_eq!(ran["interrupted"], false);
        use crate::protocol::Gear;
        assert_eq!(permission_mode(Gear::Plan, true, true), "plan");
        assert_eq!(permission_mode(Gear::Vibe, false, true), "acceptEdits");
        assert_eq!(permission_mode(Gear::Vibe, false, false), "default");
        assert_eq!(permission_mode(Gear::Pipeline, false, true), "default");
    }
}
