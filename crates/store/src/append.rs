//! Appending events: each one written to the log and folded into the summary tables
//! (`sessions`, `messages`, `requests`, and through triggers the FTS index), in the caller's
//! transaction — the writer's batches and the maintenance jobs alike.

use rusqlite::{Transaction, params};

use gearshift_protocol::{Event, default_title};

/// An event over [`super::MAX_EVENT_BYTES`], refused.
#[derive(Debug, thiserror::Error)]
#[error("an event of {bytes} bytes ({kind}) is over the limit")]
pub(super) struct EventTooLarge {
    pub kind: &'static str,
    pub bytes: usize,
}

/// Appends events to one session and folds them into the summary tables. Returns their seqs.
/// A checkpoint of a streaming reply replaces the checkpoint just before it, so a long reply
/// keeps one row, not one per two seconds of its growing text.
pub(super) fn append_events(
    tx: &Transaction<'_>,
    session: &str,
    ts: i64,
    events: &[Event],
) -> rusqlite::Result<Vec<i64>> {
    let (last, last_kind): (i64, Option<String>) = tx
        .prepare_cached(
            "SELECT seq, kind FROM events WHERE session_id = ?1 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([session], |r| Ok((r.get(0)?, r.get(1)?)))
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok((0, None)),
            e => Err(e),
        })?;
    let (mut next, mut last_kind) = (last + 1, last_kind);
    let mut seqs = Vec::with_capacity(events.len());
    for event in events.iter().filter(|e| e.is_persisted()) {
        let payload = serde_json::to_string(event)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        if payload.len() > super::MAX_EVENT_BYTES {
            return Err(rusqlite::Error::ToSqlConversionFailure(Box::new(
                EventTooLarge {
                    kind: event.kind(),
                    bytes: payload.len(),
                },
            )));
        }
        let checkpoint = matches!(event, Event::AssistantCheckpoint { .. });
        if checkpoint && last_kind.as_deref() == Some("assistant_checkpoint") {
            tx.prepare_cached(
                "UPDATE events SET ts = ?3, payload = ?4 WHERE session_id = ?1 AND seq = ?2",
            )?
            .execute(params![session, next - 1, ts, payload])?;
            seqs.push(next - 1);
            continue;
        }
        // The session row must exist before its first event (foreign key).
        fold_before(tx, session, ts, event)?;
        tx.prepare_cached(
            "INSERT INTO events (session_id, seq, ts, kind, payload) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![session, next, ts, event.kind(), payload])?;
        fold_after(tx, session, next, ts, event)?;
        seqs.push(next);
        next += 1;
        last_kind = Some(event.kind().to_string());
    }
    Ok(seqs)
}

fn fold_before(
    tx: &Transaction<'_>,
    session: &str,
    ts: i64,
    event: &Event,
) -> rusqlite::Result<()> {
    if let Event::SessionOpened { meta } = event {
        tx.prepare_cached(
            "INSERT INTO sessions (id, workspace, gear, provider, model, created_at, updated_at,
                                   parent, agent)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            session,
            meta.workspace,
            meta.gear.as_str(),
            meta.provider,
            meta.model,
            meta.created_at,
            ts,
            meta.subagent.as_ref().map(|s| &s.parent),
            meta.subagent.as_ref().map(|s| &s.agent)
        ])?;
    }
    Ok(())
}

fn fold_after(
    tx: &Transaction<'_>,
    session: &str,
    seq: i64,
    ts: i64,
    event: &Event,
) -> rusqlite::Result<()> {
    if let Some((role, text)) = event.message_text() {
        tx.prepare_cached(
            "INSERT INTO messages (session_id, seq, role, text) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![session, seq, role.as_str(), text])?;
        tx.prepare_cached("UPDATE sessions SET message_count = message_count + 1 WHERE id = ?1")?
            .execute([session])?;
    }
    match event {
        Event::UserMessage { text, .. } => {
            tx.prepare_cached("UPDATE sessions SET title = ?2 WHERE id = ?1 AND title = ''")?
                .execute(params![session, default_title(text)])?;
        }
        Event::TitleChanged { title } => {
            tx.prepare_cached("UPDATE sessions SET title = ?2 WHERE id = ?1")?
                .execute(params![session, title])?;
        }
        Event::GearChanged { to, .. } => {
            tx.prepare_cached("UPDATE sessions SET gear = ?2 WHERE id = ?1")?
                .execute(params![session, to.as_str()])?;
        }
        Event::ModelChanged {
            provider, model, ..
        } => {
            tx.prepare_cached("UPDATE sessions SET provider = ?2, model = ?3 WHERE id = ?1")?
                .execute(params![session, provider, model])?;
        }
        Event::SessionResumed { provider, model } => {
            // Resumed by its ID: the human opened it, imported or not.
            tx.prepare_cached(
                "UPDATE sessions SET provider = ?2, model = ?3,
                 origin = CASE origin WHEN 'imported' THEN 'opened' ELSE origin END
                 WHERE id = ?1",
            )?
            .execute(params![session, provider, model])?;
        }
        Event::Usage { .. } => fold_usage(tx, session, (seq, ts), event)?,
        // What its subagents spent is the session's (their requests stay in their sessions).
        Event::AgentSpent {
            input,
            output,
            cached,
            cost,
            ..
        } => add_to_totals(tx, session, (*input, *output, *cached), *cost)?,
        _ => {}
    }
    tx.prepare_cached("UPDATE sessions SET updated_at = ?2 WHERE id = ?1")?
        .execute(params![session, ts])?;
    Ok(())
}

/// A model request's usage: its row in `requests` (one per request, for the figures), and the
/// session's totals.
fn fold_usage(
    tx: &Transaction<'_>,
    session: &str,
    (seq, ts): (i64, i64),
    event: &Event,
) -> rusqlite::Result<()> {
    let Event::Usage {
        input,
        output,
        cached,
        cache_write,
        reasoning,
        cost,
        request,
    } = event
    else {
        return Ok(());
    };
    if let Some(r) = request {
        tx.prepare_cached(
            "INSERT INTO requests (session_id, seq, ts, provider, model, gear, stage,
                 purpose, input, output, cached, cost, latency_ms, ttft_ms, error,
                 cache_write, retries, estimated, reasoning)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                         ?16, ?17, ?18, ?19)",
        )?
        .execute(params![
            session,
            seq,
            ts,
            r.provider,
            r.model,
            r.gear.as_str(),
            r.stage.as_deref().unwrap_or(""),
            r.purpose,
            i64::try_from(*input).unwrap_or(i64::MAX),
            i64::try_from(*output).unwrap_or(i64::MAX),
            i64::try_from(*cached).unwrap_or(i64::MAX),
            cost,
            i64::try_from(r.latency_ms).unwrap_or(i64::MAX),
            r.ttft_ms.map(|t| i64::try_from(t).unwrap_or(i64::MAX)),
            r.error.map(gearshift_protocol::ErrorKind::as_str),
            i64::try_from(*cache_write).unwrap_or(i64::MAX),
            r.retries,
            r.estimated,
            i64::try_from(*reasoning).unwrap_or(i64::MAX),
        ])?;
    } else {
        // Usage recorded without its request's facts (an older session imported):
        // the session's model and gear, as the migration attributes it.
        tx.prepare_cached(
            "INSERT INTO requests (session_id, seq, ts, provider, model, gear, input,
                 output, cached, cost, cache_write)
                 SELECT id, ?2, ?3, provider, model, gear, ?4, ?5, ?6, ?7, ?8
                 FROM sessions WHERE id = ?1",
        )?
        .execute(params![
            session,
            seq,
            ts,
            i64::try_from(*input).unwrap_or(i64::MAX),
            i64::try_from(*output).unwrap_or(i64::MAX),
            i64::try_from(*cached).unwrap_or(i64::MAX),
            cost,
            i64::try_from(*cache_write).unwrap_or(i64::MAX),
        ])?;
    }
    add_to_totals(tx, session, (*input, *output, *cached), *cost)
}

/// Adds tokens (input, output, cached) and a cost to the session's totals.
fn add_to_totals(
    tx: &Transaction<'_>,
    session: &str,
    (input, output, cached): (u64, u64, u64),
    cost: Option<f64>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE sessions SET input_tokens = input_tokens + ?2,
             output_tokens = output_tokens + ?3, cached_tokens = cached_tokens + ?4,
             cost = cost + ?5 WHERE id = ?1",
    )?
    .execute(params![
        session,
        i64::try_from(input).unwrap_or(i64::MAX),
        i64::try_from(output).unwrap_or(i64::MAX),
        i64::try_from(cached).unwrap_or(i64::MAX),
        cost.unwrap_or(0.0)
    ])?;
    Ok(())
}
