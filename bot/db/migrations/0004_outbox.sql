-- One DM policy: every direct message goes through the outbox.
--
-- Timers become the one engine's rows for any kind (DM kinds and others, such as a delayed
-- group post), so the kind is no longer a fixed list. `claimed` marks a row the engine took;
-- `attempts` spaces out retries of a handler that failed; `body` holds what a kind needs
-- beyond its subject (JSON).
CREATE TABLE timers_new (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    subject_id  INTEGER,
    due_at      TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'claimed', 'sent', 'cancelled', 'held')),
    created_at  TEXT NOT NULL,
    fired_at    TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    body        TEXT,
    outbox_id   INTEGER                       -- the DM that carried it
);
INSERT INTO timers_new (id, user_id, kind, subject_id, due_at, status, created_at, fired_at)
    SELECT id, user_id, kind, subject_id, due_at, status, created_at, fired_at FROM timers;
DROP TABLE timers;
ALTER TABLE timers_new RENAME TO timers;
CREATE INDEX ix_timers_due ON timers (status, due_at);
CREATE INDEX ix_timers_user ON timers (user_id, kind, subject_id);

-- One row per outgoing DM (one member, one batch), written before it is sent. A row still
-- 'claimed' may have reached them: it is sent again only with the same Discord nonce.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL,
    lane          TEXT NOT NULL,              -- pacing: 'onward', 'notes', 'other'
    nonce         TEXT NOT NULL UNIQUE,       -- at most 25 characters (Discord's limit)
    payload       TEXT NOT NULL,              -- JSON: content and buttons ({} once settled)
    status        TEXT NOT NULL DEFAULT 'claimed'
                  CHECK (status IN ('claimed', 'sent', 'notice')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_try_at   TEXT,                       -- while claimed: when to try (again)
    give_up_at    TEXT NOT NULL,              -- past it, an undelivered DM becomes a notice
    message_id    INTEGER,
    detail        TEXT,
    created_at    TEXT NOT NULL,
    sent_at       TEXT
);
CREATE INDEX ix_outbox_claimed ON outbox (status, next_try_at);
CREATE INDEX ix_outbox_user ON outbox (user_id);

-- Pacing and nudge variety, per member.
ALTER TABLE member_settings ADD COLUMN last_note_dm_at TEXT;
ALTER TABLE member_settings ADD COLUMN last_other_dm_at TEXT;
ALTER TABLE member_settings ADD COLUMN last_nudge_at TEXT;
ALTER TABLE member_settings ADD COLUMN last_nudge_text INTEGER;
-- When the member was first told a DM would come (with a "No DMs, thanks" button).
ALTER TABLE member_settings ADD COLUMN dm_consent_at TEXT;
