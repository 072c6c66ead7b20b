-- A subagent's session names its agent, so spend can be told by agent (`stats --by agent`).
-- Sessions recorded before this learn it from their first event.
ALTER TABLE sessions ADD COLUMN agent TEXT;
UPDATE sessions SET agent = (
    SELECT json_extract(e.payload, '$.meta.subagent.agent')
    FROM events e WHERE e.session_id = sessions.id AND e.seq = (
        SELECT min(seq) FROM events WHERE session_id = sessions.id)
) WHERE parent IS NOT NULL;
