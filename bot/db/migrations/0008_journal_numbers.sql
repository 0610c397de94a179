-- A member's rejections are numbered in their own journal: #1 is their first, whatever others
-- logged. Rows logged before numbers existed are numbered in date order (then as logged).
ALTER TABLE rejections ADD COLUMN number INTEGER;
UPDATE rejections SET number = (
    SELECT COUNT(*) FROM rejections AS earlier
    WHERE earlier.user_id = rejections.user_id
      AND (earlier.occurred_on < rejections.occurred_on
           OR (earlier.occurred_on = rejections.occurred_on AND earlier.id <= rejections.id))
);
CREATE UNIQUE INDEX ux_rejections_user_number ON rejections (user_id, number);
CREATE INDEX ix_rejections_user_day ON rejections (user_id, occurred_on DESC, id DESC);

-- A /rejection log that repeats an earlier one waits here for "Log it anyway" (kind
-- 'rejection'). SQLite can't change a CHECK, so the table is rebuilt; nothing references it.
CREATE TABLE pending_imports_new (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('import', 'log', 'rejection')),
    rows         TEXT NOT NULL,                 -- JSON list of the parsed rows
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    finished     TEXT                           -- 'imported', 'cancelled' once a button ran
);
INSERT INTO pending_imports_new (id, user_id, kind, rows, created_at, expires_at, finished)
    SELECT id, user_id, kind, rows, created_at, expires_at, finished FROM pending_imports;
DROP TABLE pending_imports;
ALTER TABLE pending_imports_new RENAME TO pending_imports;
CREATE INDEX ix_pending_imports_user ON pending_imports (user_id);

-- Good news shared with the group ("Share the good news" after /apply update to interviewing or
-- offer): named at once, or anonymous at a random moment 5-60 minutes later (a win_post timer).
CREATE TABLE win_shares (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL,
    guild_id        INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('interviewing', 'offer')),
    named           INTEGER NOT NULL DEFAULT 0,
    channel_id      INTEGER NOT NULL,
    message_id      INTEGER,
    post_at         TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (application_id, guild_id, status)
);
CREATE INDEX ix_win_shares_user ON win_shares (user_id);
CREATE INDEX ix_win_shares_guild ON win_shares (guild_id, created_at);
