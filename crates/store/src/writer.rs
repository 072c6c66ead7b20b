//! The writer thread: the only owner of the write connection.
//!
//! Requests arrive over a channel; everything queued is drained and committed in one
//! transaction, which keeps a fast stream of events cheap. Each append also updates the summary
//! tables (`sessions`, `messages` and through triggers the FTS index) in that transaction.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crossbeam_channel::{Receiver, Sender};
use rusqlite::Connection;
use tokio::sync::oneshot;

use super::StoreError;
use super::append::append_events;
use super::maintain::{Maintenance, maintain};
use gearshift_protocol::Event;

/// Upper bound on requests folded into one transaction, so one batch never holds the write lock
/// for long while another process waits.
const MAX_BATCH: usize = 512;

pub(super) type AppendReply = oneshot::Sender<Result<Vec<i64>, StoreError>>;

pub(super) enum Request {
    Append {
        session: String,
        ts: i64,
        events: Vec<Event>,
        reply: Option<AppendReply>,
    },
    /// Replies once everything sent before it is committed.
    Flush(oneshot::Sender<()>),
    /// Whole-session operations, each in one transaction.
    Maintain {
        job: Maintenance,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
}

/// Spawns the writer thread over an open connection.
pub(super) fn spawn(
    conn: Connection,
    path: PathBuf,
    last_error: Arc<Mutex<Option<String>>>,
) -> std::io::Result<Sender<Request>> {
    let (tx, rx) = crossbeam_channel::unbounded();
    // The thread ends when every sender is dropped; `Store::close` flushes before that.
    std::thread::Builder::new()
        .name("gearshift-store".into())
        .spawn(move || run(conn, &path, &rx, &last_error))?;
    Ok(tx)
}

fn run(
    mut conn: Connection,
    path: &Path,
    rx: &Receiver<Request>,
    last_error: &Mutex<Option<String>>,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let mut appends = Vec::new();
        let mut flushes = Vec::new();
        let mut jobs = Vec::new();
        for r in batch {
            match r {
                Request::Maintain { job, reply } => jobs.push((job, reply)),
                Request::Append {
                    session,
                    ts,
                    events,
                    reply,
                } => appends.push((session, ts, events, reply)),
                Request::Flush(reply) => flushes.push(reply),
            }
        }
        if !appends.is_empty() {
            commit_batch(&mut conn, path, appends, last_error);
        }
        for (job, reply) in jobs {
            let _ = reply.send(maintain(&mut conn, path, job));
        }
        for f in flushes {
            let _ = f.send(());
        }
    }
}

type Append = (String, i64, Vec<Event>, Option<AppendReply>);

fn commit_batch(
    conn: &mut Connection,
    path: &Path,
    appends: Vec<Append>,
    last_error: &Mutex<Option<String>>,
) {
    let batch_result = (|| {
        let tx = conn.transaction()?;
        let mut seqs = Vec::with_capacity(appends.len());
        for (session, ts, events, _) in &appends {
            seqs.push(append_events(&tx, session, *ts, events)?);
        }
        tx.commit()?;
        Ok::<_, rusqlite::Error>(seqs)
    })();
    match batch_result {
        Ok(seqs) => {
            for ((_, _, _, reply), seq) in appends.into_iter().zip(seqs) {
                if let Some(reply) = reply {
                    let _ = reply.send(Ok(seq));
                }
            }
        }
        // One bad request must not fail its neighbours: retry each alone to find it.
        Err(_) => {
            for (session, ts, events, reply) in appends {
                let result = (|| {
                    let tx = conn.transaction()?;
                    let seq = append_events(&tx, &session, ts, &events)?;
                    tx.commit()?;
                    Ok(seq)
                })()
                .map_err(|e| StoreError::from_sqlite(path, e));
                if let Err(e) = &result {
                    tracing::error!(error = %e, session, "store append failed");
                    if let Ok(mut slot) = last_error.lock() {
                        *slot = Some(e.to_string());
                    }
                }
                if let Some(reply) = reply {
                    let _ = reply.send(result);
                }
            }
        }
    }
}
