-- PostgreSQL twin of ../0006_delivery_retries.sql
-- A group post that failed is retried until it is posted or its grace window closes, also
-- across restarts. While status is 'sending':
--   payload         what the post says (JSON), so a retry posts exactly the same thing
--   deadline        when to stop trying (the slot plus its grace window); NULL on rows from
--                   before this migration, which are never retried
--   attempts        sends tried so far
--   next_attempt_at when to try again; NULL while a send is under way
--   maybe_posted    1 once an attempt ended without knowing whether Discord created the
--                   message (timeout, 5xx, dropped connection, or the bot stopped mid-send)
ALTER TABLE deliveries ADD COLUMN payload TEXT;
ALTER TABLE deliveries ADD COLUMN deadline TEXT;
ALTER TABLE deliveries ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN next_attempt_at TEXT;
ALTER TABLE deliveries ADD COLUMN maybe_posted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN finished_at TEXT;

CREATE INDEX deliveries_unfinished ON deliveries (deadline)
    WHERE status = 'sending' AND deadline IS NOT NULL;
