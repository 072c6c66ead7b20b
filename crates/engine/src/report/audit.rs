//! Audits of a stored session: which change and decision wrote each file, and every stop at a
//! checkpoint with its decision (`gearshift sessions show ID --changes | --checkpoints`).

use std::fmt::Write as _;

use crate::changes::review::{ChangeLog, ChangeStatus};
use crate::protocol::{CommandDecision, Event, Verdict};
use crate::store::SessionExport;

use super::time;

/// Which session, plan step and decision wrote each file: one line per change, for
/// `gearshift sessions show ID --changes`.
#[must_use]
pub fn change_audit(export: &SessionExport) -> String {
    let mut changes = ChangeLog::default();
    let mut when = std::collections::HashMap::new();
    // The plan as it stood, to name the step that was running when a change was made.
    let mut plan: Option<crate::plan::Plan> = None;
    let mut step_of = std::collections::HashMap::new();
    for e in &export.events {
        match &e.event {
            Event::FileChanged { id, .. } | Event::ChangeProposed { id, .. } => {
                when.insert(id.clone(), e.ts);
                let running = plan.as_ref().and_then(|p| p.number(&p.running()?.id));
                if let Some(number) = running {
                    step_of.insert(id.clone(), number);
                }
            }
            _ => {
                crate::plan::fold(&mut plan, &e.event);
            }
        }
        changes.apply(&e.event);
    }
    let short = &export.session.id[..export.session.id.len().min(8)];
    if changes.entries.is_empty() {
        return format!("session {short} changed no files\n");
    }
    let mut out = String::new();
    // The file column is as wide as its longest path: a path never runs into its decision.
    let file_width = changes
        .entries
        .iter()
        .map(|e| e.change.path.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let _ = writeln!(
        out,
        "{:<20} {:<9} {:<14} {:<6} {:<file_width$}  DECISION",
        "WHEN", "SESSION", "CHANGE", "STEP", "FILE"
    );
    for e in &changes.entries {
        let (added, removed) = e.counts();
        let decision = match &e.status {
            ChangeStatus::Applied => "applied at once (vibe)".to_string(),
            ChangeStatus::Undone => "applied, then undone".to_string(),
            ChangeStatus::Pending => format!("awaiting review ({} undecided)", e.undecided()),
            ChangeStatus::Conflicted { .. } => "conflict: file changed on disk".to_string(),
            ChangeStatus::Withdrawn { reason } => format!("withdrawn: {reason}"),
            ChangeStatus::Reviewed { written } => {
                let parts: Vec<String> = e
                    .hunks
                    .iter()
                    .map(|h| {
                        let verdict = e.verdicts.get(&h.id).map_or("undecided", Verdict::label);
                        match e.comments.get(&h.id) {
                            Some(c) => format!("{} {verdict} (\"{c}\")", h.id),
                            None => format!("{} {verdict}", h.id),
                        }
                    })
                    .collect();
                let head = if *written {
                    "written"
                } else {
                    "nothing written"
                };
                format!("{head}: {}", parts.join("; "))
            }
        };
        let _ = writeln!(
            out,
            "{:<20} {:<9} {:<14} {:<6} {:<file_width$}  {decision} [+{added} −{removed}]",
            time(when.get(&e.id).copied().unwrap_or(0)),
            short,
            &e.id[..e.id.len().min(14)],
            step_of.get(&e.id).map_or("-", String::as_str),
            e.change.path,
        );
    }
    out
}

/// Every stop at a checkpoint (a `[[checkpoints]]` rule or a path only a human writes) and how
/// it was decided: one line each, for `gearshift sessions show ID --checkpoints`.
#[must_use]
pub fn checkpoint_audit(export: &SessionExport) -> String {
    // (when, what, why, the call or change it stopped)
    let mut hits: Vec<(i64, String, String, String)> = Vec::new();
    let mut changes = ChangeLog::default();
    let mut decided: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for e in &export.events {
        match &e.event {
            Event::ChangeProposed {
                id,
                change,
                checkpoint: Some(why),
                ..
            } => hits.push((
                e.ts,
                format!("write {}", change.path),
                why.clone(),
                id.clone(),
            )),
            Event::CommandApprovalRequested {
                id,
                command,
                checkpoint: Some(why),
            } => hits.push((
                e.ts,
                format!("run `{}`", crate::safe_text::command(command).0),
                why.clone(),
                id.clone(),
            )),
            Event::CommandDecided { id, decision, .. } => {
                let text = match decision {
                    CommandDecision::Denied { reason } => format!(
                        "denied{}",
                        reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default()
                    ),
                    _ => "approved".to_string(),
                };
                decided.insert(id.clone(), text);
            }
            _ => {}
        }
        changes.apply(&e.event);
    }
    let short = &export.session.id[..export.session.id.len().min(8)];
    if hits.is_empty() {
        return format!("session {short} stopped at no checkpoint\n");
    }
    let mut out = String::new();
    for (ts, what, why, id) in hits {
        let decision = match changes.get(&id) {
            Some(entry) => match &entry.status {
                ChangeStatus::Reviewed { written: true } => "accepted and written".to_string(),
                ChangeStatus::Reviewed { written: false } => "rejected".to_string(),
                ChangeStatus::Pending => "awaiting review".to_string(),
                ChangeStatus::Withdrawn { reason } => format!("withdrawn: {reason}"),
                other => format!("{other:?}").to_lowercase(),
            },
            None => decided
                .get(&id)
                .cloned()
                .unwrap_or_else(|| "awaiting a decision".into()),
        };
        let _ = writeln!(out, "{}  {what}\n    {why}\n    → {decision}", time(ts));
    }
    out
}
