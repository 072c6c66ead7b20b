//! Files the model wrote that changed behind its back: an undo, the human's own edit, a
//! command. Worked out before each request from what the model last knew of each file
//! ([`SessionState::known`]) and what is on disk now, so its history never claims a change
//! that is no longer there. Pure: the actor reads the files.

use std::collections::BTreeMap;

pub use crate::changes::Drift;
use crate::changes::hash;
use crate::changes::review::ChangeStatus;
use crate::core::SessionState;

/// Longest diff shown for one file, in lines; past it the model is told to read the file.
const MAX_DIFF_LINES: usize = 60;

/// What to tell the model, and what it will then know.
#[derive(Debug, Clone, PartialEq)]
pub struct Drifted {
    pub files: Vec<(String, Drift)>,
    /// Each drifted path with the hash of what is there now.
    pub known: BTreeMap<String, Option<String>>,
}

impl Drifted {
    /// The edits told as a diff, by path.
    #[must_use]
    pub fn edits(&self) -> BTreeMap<String, String> {
        self.files
            .iter()
            .filter_map(|(path, d)| match d {
                Drift::Edited { diff: Some(diff) } => Some((path.clone(), diff.clone())),
                _ => None,
            })
            .collect()
    }
}

/// Compares what the model knows with `now` (each known path's content; a path that could
/// not be read is absent and left for later).
#[must_use]
pub fn drift(state: &SessionState, now: &BTreeMap<String, Option<String>>) -> Option<Drifted> {
    let mut out = Drifted {
        files: Vec::new(),
        known: BTreeMap::new(),
    };
    for (path, known) in &state.known {
        let Some(content) = now.get(path) else {
            continue;
        };
        let current = content.as_deref().map(|c| hash(c.as_bytes()));
        if &current == known {
            continue;
        }
        let drift = match (known, content) {
            _ if let Some(undone) = undone(state, path, current.as_deref()) => undone,
            (_, None) => Drift::Deleted,
            (None, Some(_)) => Drift::Recreated,
            (Some(known), Some(now)) => Drift::Edited {
                diff: version(state, path, known).and_then(|was| diff(&was, now)),
            },
        };
        out.files.push((path.clone(), drift));
        out.known.insert(path.clone(), current);
    }
    // A move undone is told once, at its target: its source being back is part of it.
    let back: Vec<String> = out
        .files
        .iter()
        .filter_map(|(_, d)| match d {
            Drift::MovedBack { from } => Some(from.clone()),
            _ => None,
        })
        .collect();
    out.files
        .retain(|(p, d)| !(*d == Drift::Recreated && back.contains(p)));
    (!out.known.is_empty()).then_some(out)
}

/// The undo that left `path` as it is now, if the newest change to it was undone.
fn undone(state: &SessionState, path: &str, current: Option<&str>) -> Option<Drift> {
    let entry = state
        .changes
        .entries
        .iter()
        .rev()
        .find(|e| e.written.as_ref().is_some_and(|w| w.path == path))?;
    let written = entry.written.as_ref()?;
    if entry.status != ChangeStatus::Undone {
        return None;
    }
    if let Some(from) = &written.renamed_from {
        return current
            .is_none()
            .then(|| Drift::MovedBack { from: from.clone() });
    }
    let before = written.before.as_deref().map(|b| hash(b.as_bytes()));
    (before.as_deref() == current).then_some(Drift::Undone {
        created: current.is_none(),
    })
}

/// The text of a version of `path` the session saw, by its hash.
fn version(state: &SessionState, path: &str, wanted: &str) -> Option<String> {
    state
        .changes
        .entries
        .iter()
        .rev()
        .filter_map(|e| e.written.as_ref())
        .filter(|w| w.path == path)
        .flat_map(|w| [w.after.as_ref(), w.before.as_ref()])
        .flatten()
        .find(|text| hash(text.as_bytes()) == wanted)
        .cloned()
}

fn diff(was: &str, now: &str) -> Option<String> {
    let text = similar::TextDiff::from_lines(was, now)
        .unified_diff()
        .context_radius(2)
        .header("as you wrote it", "now")
        .to_string();
    (text.lines().count() <= MAX_DIFF_LINES).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::FileChange;
    use crate::protocol::Event;

    fn wrote(path: &str, before: Option<&str>, after: Option<&str>) -> Event {
        Event::FileChanged {
            id: format!("c-{path}"),
            change: FileChange::new(path.into(), before.map(Into::into), after.map(Into::into)),
        }
    }

    fn now(files: &[(&str, Option<&str>)]) -> BTreeMap<String, Option<String>> {
        files
            .iter()
            .map(|(p, c)| ((*p).to_string(), c.map(Into::into)))
            .collect()
    }

    #[test]
    fn nothing_when_the_disk_is_as_the_model_left_it() {
        let s = SessionState::fold(&[wrote("a.rs", Some("x\n"), Some("y\n"))]);
        assert_eq!(drift(&s, &now(&[("a.rs", Some("y\n"))])), None);
        assert_eq!(drift(&s, &now(&[])), None, "an unreadable file waits");
    }

    #[test]
    fn an_undo_a_deletion_and_an_edit_are_told_apart() {
        let mut events = vec![
            wrote("a.rs", Some("x\n"), Some("y\n")),
            wrote("new.rs", None, Some("n\n")),
            wrote("gone.rs", Some("g\n"), Some("h\n")),
            wrote("edited.rs", Some("1\n2\n3\n"), Some("1\n2\nthree\n")),
        ];
        events.push(Event::ChangeUndone {
            id: "c-a.rs".into(),
        });
        events.push(Event::ChangeUndone {
            id: "c-new.rs".into(),
        });
        let s = SessionState::fold(&events);
        let d = drift(
            &s,
            &now(&[
                ("a.rs", Some("x\n")),
                ("new.rs", None),
                ("gone.rs", None),
                ("edited.rs", Some("1\n2\nTHREE\n")),
            ]),
        )
        .unwrap();
        let kinds: BTreeMap<_, _> = d.files.iter().cloned().collect();
        assert_eq!(kinds["a.rs"], Drift::Undone { created: false });
        assert_eq!(kinds["new.rs"], Drift::Undone { created: true });
        assert_eq!(kinds["gone.rs"], Drift::Deleted);
        let Drift::Edited { diff: Some(diff) } = &kinds["edited.rs"] else {
            panic!("{kinds:?}");
        };
        assert!(diff.contains("-three\n+THREE"), "{diff}");
        assert_eq!(d.known["new.rs"], None);
        // Once told, the model knows: the same disk is not told again.
        events.push(Event::FilesSeen {
            files: d.known,
            edits: BTreeMap::new(),
        });
        let s = SessionState::fold(&events);
        let same = now(&[
            ("a.rs", Some("x\n")),
            ("new.rs", None),
            ("gone.rs", None),
            ("edited.rs", Some("1\n2\nTHREE\n")),
        ]);
        assert_eq!(drift(&s, &same), None);
    }

    #[test]
    fn a_long_edit_is_told_without_its_diff() {
        let long: String = (0..200).map(|i| format!("line {i}\n")).collect();
        let s = SessionState::fold(&[wrote("a.rs", None, Some("short\n"))]);
        let d = drift(&s, &now(&[("a.rs", Some(&long))])).unwrap();
        assert_eq!(d.files[0].1, Drift::Edited { diff: None });
    }
}
