//! Review at the gates: what a reviewing agent is asked about a change (what it was for and
//! its diff, hunk by hunk — never the conversation that wrote it), and its answer read back
//! as findings on those hunks. Pure.
//!
//! The answer is free text from a model: each line of the form `SEVERITY where — text` (the
//! built-in reviewers' form; `[SEVERITY] where: text` too) is a finding, SEVERITY being
//! `blocker`, `major` or `minor` (or `high`, `medium`, `low`), `where` a hunk's name (`h2`),
//! a line of the new file (`src/a.rs:42`) or anything else (the change as a whole). A line
//! that does not match is prose, and is left out. The reader is a regular expression per
//! line, because the format is a line convention, not a grammar.

use std::sync::LazyLock;

use regex::Regex;

use crate::changes::review::ChangeEntry;
use crate::protocol::{Finding, Severity};

/// At most this many findings are kept from one answer.
const MAX_FINDINGS: usize = 50;
/// A finding's text is cut at this many characters.
const MAX_TEXT: usize = 500;

/// What the reviewing agent is asked: `purpose` (the plan step, the stage's requirement or
/// the prompt the change answers) and the change, its hunks named.
#[must_use]
pub fn prompt(purpose: &str, entry: &ChangeEntry) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "Review this change before a human decides on it.\n\nWhat it is for:\n{}\n\nThe change to \
         `{}`, hunk by hunk:\n",
        purpose.trim(),
        entry.change.path
    );
    for (n, hunk) in entry.hunks.iter().enumerate() {
        let _ = write!(out, "\n### hunk h{} {}\n```diff\n", n + 1, hunk.header());
        for line in &hunk.lines {
            let mark = match line.tag {
                crate::changes::hunks::LineTag::Added => '+',
                crate::changes::hunks::LineTag::Removed => '-',
                crate::changes::hunks::LineTag::Context => ' ',
            };
            let _ = writeln!(out, "{mark}{}", line.content());
        }
        out.push_str("```\n");
    }
    out.push_str(
        "\nAnswer with findings only, one per line, as `SEVERITY WHERE — what is wrong, and \
         what would fix it`, SEVERITY being blocker, major or minor and WHERE the hunk's name \
         (h2) or `general`. Say `No findings.` when there are none.\n",
    );
    out
}

/// The findings of `agent`'s `answer` about `entry`, each on the hunk it names (by name or by
/// a line of the new file it covers).
#[must_use]
pub fn findings(agent: &str, answer: &str, entry: &ChangeEntry) -> Vec<Finding> {
    static LINE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^\s*(?:[-*•]\s*|\d+[.)]\s*)?[*`\[]*(blocker|critical|high|major|medium|moderate|minor|low|info)[*`\]]*:?\s+`?([^\s`—–]+?)`?:?\s+(?:[—–-]\s+)?(\S.*)$",
        )
        .unwrap_or_else(|_| unreachable!("a constant pattern"))
    });
    answer
        .lines()
        .filter_map(|line| {
            let caps = LINE.captures(line)?;
            let severity = match caps[1].to_ascii_lowercase().as_str() {
                "blocker" | "critical" | "high" => Severity::High,
                "major" | "medium" | "moderate" => Severity::Medium,
                _ => Severity::Low,
            };
            let text: String = caps[3].trim().chars().take(MAX_TEXT).collect();
            Some(Finding {
                agent: agent.to_string(),
                severity,
                hunk: hunk_of(&caps[2], entry),
                text,
            })
        })
        .take(MAX_FINDINGS)
        .collect()
}

/// The hunk `place` names: `h2`, or a line of the new file (`src/a.rs:42`, `42`).
fn hunk_of(place: &str, entry: &ChangeEntry) -> Option<String> {
    let place = place.trim();
    if let Some(n) = place
        .strip_prefix(['h', 'H'])
        .and_then(|n| n.parse::<usize>().ok())
    {
        return entry.hunks.get(n.checked_sub(1)?).map(|h| h.id.clone());
    }
    let line = place.rsplit(':').next()?.parse::<usize>().ok()?;
    let at = line.checked_sub(1)?;
    entry
        .hunks
        .iter()
        .find(|h| h.new.contains(&at))
        .map(|h| h.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::review::ChangeLog;
    use crate::protocol::{Event, FileChange};

    fn entry() -> ChangeEntry {
        let before: String = (1..=40).map(|i| format!("line {i}\n")).collect();
        let after = before
            .replace("line 5\n", "line five\n")
            .replace("line 30\n", "line thirty\n");
        let mut log = ChangeLog::new(3);
        log.apply(&Event::ChangeProposed {
            id: "c1".into(),
            change: FileChange::new("src/a.rs".into(), Some(before), Some(after)),
            context: 3,
            checkpoint: None,
        });
        log.get("c1").unwrap().clone()
    }

    #[test]
    fn the_reviewer_reads_what_the_change_is_for_and_each_hunk_by_name() {
        let e = entry();
        let text = prompt("Step 2: rename the fifth line", &e);
        assert!(text.contains("Step 2: rename the fifth line"));
        assert!(text.contains("### hunk h1 @@ -2,7 +2,7 @@"), "{text}");
        assert!(text.contains("-line 5\n+line five\n"), "{text}");
        assert!(text.contains("### hunk h2"), "{text}");
    }

    #[test]
    fn findings_land_on_the_hunks_they_name_and_prose_is_left_out() {
        let e = entry();
        let answer = "Overall fine, but:\n\
                      - [high] h2: `thirty` breaks the numbering\n\
                      2. **major** src/a.rs:5 — the word form is inconsistent\n\
                      `minor` general — no tests\n\
                      [info] src/a.rs:99: a line no hunk covers\n\
                      urgent h1: not a severity\n\
                      The minor details aside, it reads well.\n";
        let found = findings("reviewer", answer, &e);
        let got: Vec<(Severity, Option<&str>, &str)> = found
            .iter()
            .map(|f| (f.severity, f.hunk.as_deref(), f.text.as_str()))
            .collect();
        let (h1, h2) = (e.hunks[0].id.as_str(), e.hunks[1].id.as_str());
        assert_eq!(
            got,
            [
                (Severity::High, Some(h2), "`thirty` breaks the numbering"),
                (Severity::Medium, Some(h1), "the word form is inconsistent"),
                (Severity::Low, None, "no tests"),
                (Severity::Low, None, "a line no hunk covers"),
            ]
        );
        assert!(found.iter().all(|f| f.agent == "reviewer"));
        assert!(findings("reviewer", "no findings", &e).is_empty());
    }
}
