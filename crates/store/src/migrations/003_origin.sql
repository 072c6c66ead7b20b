-- Where a session came from: `local` (made on this machine), `imported` (read from an export
-- file, whose events are evidence, not authority), or `opened` (imported, then resumed by the
-- human by its ID). `--continue` never picks an imported session the human has not opened: a
-- forged file claiming a workspace and a future date must not be what the next run continues.
ALTER TABLE sessions ADD COLUMN origin TEXT NOT NULL DEFAULT 'local';
