-- One row per model request, folded from the `usage` events (see store::writer), so
-- `gearshift stats` reads a narrow table instead of every event's JSON.
CREATE TABLE requests (
    session_id TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    ts         INTEGER NOT NULL,             -- unix milliseconds
    provider   TEXT    NOT NULL,
    model      TEXT    NOT NULL,
    gear       TEXT    NOT NULL,
    stage      TEXT    NOT NULL DEFAULT '',
    purpose    TEXT    NOT NULL DEFAULT 'turn',
    input      INTEGER NOT NULL DEFAULT 0,
    output     INTEGER NOT NULL DEFAULT 0,
    cached     INTEGER NOT NULL DEFAULT 0,
    cost       REAL,                         -- NULL: no prices known
    latency_ms INTEGER,                      -- NULL: recorded before it was measured
    ttft_ms    INTEGER,
    error      TEXT,                         -- NULL: answered
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
-- No index on ts: a period's rows are read by a full scan of this narrow table, faster than a
-- lookup per row as soon as the period holds more than a few percent of it.

-- Usage recorded before requests were measured: its tokens and cost, attributed to the
-- session's last model and gear (what is known of it).
INSERT INTO requests (session_id, seq, ts, provider, model, gear, input, output, cached, cost)
SELECT e.session_id, e.seq, e.ts, s.provider, s.model, s.gear,
       COALESCE(json_extract(e.payload, '$.input'), 0),
       COALESCE(json_extract(e.payload, '$.output'), 0),
       COALESCE(json_extract(e.payload, '$.cached'), 0),
       json_extract(e.payload, '$.cost')
FROM events e JOIN sessions s ON s.id = e.session_id
WHERE e.kind = 'usage';
