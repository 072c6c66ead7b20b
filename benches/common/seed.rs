//! A database of many sessions written through the real store (writer thread, summaries, the
//! FTS5 index), for the harnesses that measure at the sizes users have.

use gearshift::protocol::{Event, Gear, SessionMeta};
use gearshift::store::Store;

/// Writes `sessions` sessions of `messages` messages each — a prompt, a reply, a prompt … —
/// over `workspaces` workspaces; message `m` of session `s` says `text(s, m)`.
pub fn sessions(
    store: &Store,
    sessions: usize,
    messages: usize,
    workspaces: usize,
    mut text: impl FnMut(usize, usize) -> String,
) {
    for s in 0..sessions {
        let id = format!("{s:032x}");
        let mut events = vec![Event::SessionOpened {
            meta: SessionMeta {
                id: id.clone(),
                workspace: format!("/home/dev/project{}", s % workspaces),
                gear: Gear::Vibe,
                provider: "openai".into(),
                model: "gpt-4.1".into(),
                created_at: s as i64,
                subagent: None,
            },
        }];
        for m in 0..messages {
            let text = text(s, m);
            events.push(if m % 2 == 0 {
                Event::UserMessage {
                    text,
                    attachments: vec![],
                }
            } else {
                Event::AssistantMessage {
                    text,
                    interrupted: false,
                }
            });
        }
        store.append_acked(&id, events);
        if s % 500 == 499 {
            store.flush_blocking();
        }
    }
    store.flush_blocking();
}
