-- gearshift schema v1.
-- The `events` table is the source of truth; `sessions` and `messages` are summaries derived
-- from it in the same transaction as each append, so they can always be rebuilt by folding.

CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL DEFAULT '',
    workspace     TEXT NOT NULL,
    gear          TEXT NOT NULL,
    provider      TEXT NOT NULL,
    model         TEXT NOT NULL,
    created_at    INTEGER NOT NULL,          -- unix milliseconds
    updated_at    INTEGER NOT NULL,          -- unix milliseconds, last event
    input_tokens  INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cached_tokens INTEGER NOT NULL DEFAULT 0,
    cost          REAL    NOT NULL DEFAULT 0,
    message_count INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL DEFAULT 'active'
);

-- The session browser lists one workspace's sessions newest first, and `--continue` picks the
-- newest of a workspace: both are range scans on this index.
CREATE INDEX sessions_workspace_updated ON sessions (workspace, updated_at DESC);
-- `sessions list --all` lists every workspace's sessions newest first.
CREATE INDEX sessions_updated ON sessions (updated_at DESC);

-- Append-only: rows are never updated. (session_id, seq) is the natural key and the order of
-- replay, so the table is clustered on it.
CREATE TABLE events (
    session_id TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    ts         INTEGER NOT NULL,             -- unix milliseconds
    kind       TEXT    NOT NULL,
    payload    TEXT    NOT NULL,             -- the protocol::Event as JSON
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;

-- Message text for full-text search, one row per user or assistant message.
CREATE TABLE messages (
    id         INTEGER PRIMARY KEY,
    session_id TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    role       TEXT    NOT NULL,
    text       TEXT    NOT NULL
);
-- Deleting a session cascades here by session_id; a search hit is shown in session order.
CREATE INDEX messages_session ON messages (session_id, seq);

-- External-content FTS5 index over messages.text, kept in step by the triggers below.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    text,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
