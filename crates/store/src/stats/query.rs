//! The stats queries over the `requests` table: rows folded as they are read.

use rusqlite::params;

use super::{Aggregator, By, Report, RequestRow, RowRef};
use crate::{Reader, StoreError};

/// A text column, borrowed (empty when it is not text).
fn text(v: rusqlite::types::ValueRef<'_>) -> &str {
    v.as_str().unwrap_or_default()
}

impl Reader {
    /// The requests since `since` (unix milliseconds), grouped by `by`: folded as they are
    /// read, without a copy of each row.
    pub fn report_since(&self, since: i64, by: By) -> Result<Report, StoreError> {
        // Only the text columns the grouping needs are read: each costs a decode per row.
        let key = match by {
            By::Model => "provider, model, '', '', ''",
            By::Provider => "provider, '', '', '', ''",
            By::Gear => "'', '', gear, '', ''",
            By::Stage => "'', '', '', stage, ''",
            By::Day => "'', '', '', '', ''",
            // A key lookup per row, for this grouping only.
            By::Agent => {
                "'', '', '', '', (SELECT coalesce(s.agent, '(subagent)') FROM sessions s
                                  WHERE s.id = requests.session_id AND s.parent IS NOT NULL)"
            }
        };
        let mut agg = Aggregator::new(by);
        self.scan(key, since, None, |row| agg.add(row))?;
        Ok(agg.finish())
    }

    /// Every request since `since` (unix milliseconds), in no particular order; only
    /// `session`'s (its subagents' included) when given.
    pub fn requests_since(
        &self,
        since: i64,
        session: Option<&str>,
    ) -> Result<Vec<RequestRow>, StoreError> {
        let mut out = Vec::new();
        self.scan("provider, model, gear, stage, ''", since, session, |row| {
            out.push(row.to_row());
        })?;
        Ok(out)
    }

    /// Calls `f` with each request since `since` (only `session`'s and its subagents' when
    /// given), `key` naming the five text columns read (provider, model, gear, stage, agent;
    /// `''` for one not needed).
    /// All of a session's rows by its key; a period's by a full scan, which beats the `ts`
    /// index (a lookup per row) once the period holds more than a few percent of the table —
    /// `+ts` keeps the planner off the index. Unordered: the aggregation does not need it.
    fn scan(
        &self,
        key: &str,
        since: i64,
        session: Option<&str>,
        mut f: impl FnMut(&RowRef<'_>),
    ) -> Result<(), StoreError> {
        let err = |e| self.err(e);
        let filter = if session.is_some() {
            "session_id IN (SELECT ?2 UNION ALL SELECT id FROM sessions WHERE parent = ?2)
             AND ts >= ?1"
        } else {
            "+ts >= ?1 AND ?2 IS NULL"
        };
        let sql = format!(
            "SELECT ts, {key}, input, output, cached, cost, latency_ms, ttft_ms,
                    error IS NOT NULL, cache_write, retries, estimated, reasoning
             FROM requests WHERE {filter}"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(err)?;
        let mut rows = stmt.query(params![since, session]).map_err(err)?;
        let count = |v: Option<i64>| v.map(|n| u64::try_from(n).unwrap_or(0));
        while let Some(r) = rows.next().map_err(err)? {
            f(&RowRef {
                ts: r.get(0).map_err(err)?,
                provider: text(r.get_ref(1).map_err(err)?),
                model: text(r.get_ref(2).map_err(err)?),
                gear: text(r.get_ref(3).map_err(err)?),
                stage: text(r.get_ref(4).map_err(err)?),
                agent: text(r.get_ref(5).map_err(err)?),
                input: count(r.get(6).map_err(err)?).unwrap_or(0),
                output: count(r.get(7).map_err(err)?).unwrap_or(0),
                cached: count(r.get(8).map_err(err)?).unwrap_or(0),
                cost: r.get(9).map_err(err)?,
                latency_ms: count(r.get(10).map_err(err)?),
                ttft_ms: count(r.get(11).map_err(err)?),
                failed: r.get(12).map_err(err)?,
                cache_write: count(r.get(13).map_err(err)?).unwrap_or(0),
                retries: u32::try_from(count(r.get(14).map_err(err)?).unwrap_or(0))
                    .unwrap_or(u32::MAX),
                estimated: r.get(15).map_err(err)?,
                reasoning: count(r.get(16).map_err(err)?).unwrap_or(0),
            });
        }
        Ok(())
    }
}
