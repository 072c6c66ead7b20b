-- What a request's row also says: input written to the prompt cache (billed above the input
-- price), output spent reasoning, attempts the provider refused before it answered, and
-- whether the tokens are gearshift's estimate (a reply cut off before the provider reported
-- its usage).
ALTER TABLE requests ADD COLUMN cache_write INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN estimated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN reasoning INTEGER NOT NULL DEFAULT 0;
UPDATE requests SET cache_write = COALESCE(
    (SELECT json_extract(e.payload, '$.cache_write') FROM events e
     WHERE e.session_id = requests.session_id AND e.seq = requests.seq), 0);
