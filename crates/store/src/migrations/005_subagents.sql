-- A subagent's session names the session whose model started it. Lists, search and
-- `--continue` show top-level sessions only; a subagent's is reached through its parent.
ALTER TABLE sessions ADD COLUMN parent TEXT;
CREATE INDEX sessions_parent ON sessions (parent) WHERE parent IS NOT NULL;
