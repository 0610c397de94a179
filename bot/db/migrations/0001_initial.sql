-- Times are UTC ISO-8601 text ("2026-11-25T22:57:26+00:00"); dates are local "YYYY-MM-DD".
-- Every table holding a member's data has a user-id column so export and delete can find it.

CREATE TABLE member_settings (
    user_id                 INTEGER PRIMARY KEY,
    timezone                TEXT,
    quiet_start             TEXT,             -- "HH:MM" local, NULL = no quiet hours
    quiet_end               TEXT,
    dm_prompts              INTEGER NOT NULL DEFAULT 1,
    personal_nudges         INTEGER NOT NULL DEFAULT 0,
    reflection_delay_hours  INTEGER NOT NULL DEFAULT 24,
    weekly_goal             INTEGER,
    last_reframe            INTEGER,          -- index of the last reframe line shown
    last_personal_dm_at     TEXT,
    updated_at              TEXT NOT NULL
);

CREATE TABLE rejections (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL,
    guild_id     INTEGER,                     -- where it was logged; NULL in DMs
    company      TEXT NOT NULL,
    role         TEXT,
    stage        TEXT,
    occurred_on  TEXT NOT NULL,
    note         TEXT,
    share        TEXT NOT NULL DEFAULT 'private'
                 CHECK (share IN ('private', 'anonymous', 'named')),
    created_at   TEXT NOT NULL
);
CREATE INDEX ix_rejections_user ON rejections (user_id, id DESC);
CREATE INDEX ix_rejections_guild ON rejections (guild_id, created_at);

CREATE TABLE reflections (
    id             INTEGER PRIMARY KEY,
    rejection_id   INTEGER NOT NULL UNIQUE REFERENCES rejections (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL,
    struggled      TEXT NOT NULL DEFAULT '',
    unprepared     TEXT NOT NULL DEFAULT '',
    differently    TEXT NOT NULL DEFAULT '',
    went_well      TEXT NOT NULL DEFAULT '',
    practise       TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX ix_reflections_user ON reflections (user_id, created_at);

-- Reflecting again edits the reflection; the earlier text is kept here.
CREATE TABLE reflection_history (
    id             INTEGER PRIMARY KEY,
    reflection_id  INTEGER NOT NULL REFERENCES reflections (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL,
    struggled      TEXT NOT NULL,
    unprepared     TEXT NOT NULL,
    differently    TEXT NOT NULL,
    went_well      TEXT NOT NULL,
    practise       TEXT NOT NULL,
    written_at     TEXT NOT NULL,
    replaced_at    TEXT NOT NULL
);
CREATE INDEX ix_reflection_history_user ON reflection_history (user_id);

CREATE TABLE feedback_requests (
    id             INTEGER PRIMARY KEY,
    rejection_id   INTEGER NOT NULL UNIQUE REFERENCES rejections (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL,
    interviewer    TEXT,
    tone           TEXT NOT NULL DEFAULT 'warm',
    sent_at        TEXT,                      -- "I sent it"
    received_at    TEXT,
    feedback_text  TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX ix_feedback_user ON feedback_requests (user_id);

CREATE TABLE applications (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL,
    guild_id     INTEGER,
    company      TEXT NOT NULL,
    role         TEXT,
    link         TEXT,
    applied_on   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX ix_applications_user ON applications (user_id, applied_on);
CREATE INDEX ix_applications_guild ON applications (guild_id, applied_on);

-- A rejection posted to a server's support channel.
CREATE TABLE shares (
    id            INTEGER PRIMARY KEY,
    rejection_id  INTEGER NOT NULL REFERENCES rejections (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL,
    guild_id      INTEGER NOT NULL,
    channel_id    INTEGER,
    message_id    INTEGER,
    named         INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    UNIQUE (rejection_id, guild_id)
);
CREATE INDEX ix_shares_user ON shares (user_id);
CREATE INDEX ix_shares_guild ON shares (guild_id, created_at);

CREATE TABLE encouragements (
    id            INTEGER PRIMARY KEY,
    sender_id     INTEGER NOT NULL,
    recipient_id  INTEGER NOT NULL,
    guild_id      INTEGER,
    share_id      INTEGER REFERENCES shares (id) ON DELETE SET NULL,
    message       TEXT NOT NULL,
    anonymous     INTEGER NOT NULL DEFAULT 0,
    delivered_at  TEXT,                       -- NULL while waiting (DMs closed)
    created_at    TEXT NOT NULL
);
CREATE INDEX ix_encouragements_sender ON encouragements (sender_id);
CREATE INDEX ix_encouragements_recipient ON encouragements (recipient_id, delivered_at);

-- Personal timers: reflection prompts, feedback follow-ups, personal nudges.
CREATE TABLE timers (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    kind        TEXT NOT NULL
                CHECK (kind IN ('reflection_prompt', 'feedback_followup', 'personal_nudge')),
    subject_id  INTEGER,                      -- the rejection it is about, if any
    due_at      TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'cancelled', 'held')),
    created_at  TEXT NOT NULL,
    fired_at    TEXT
);
CREATE INDEX ix_timers_due ON timers (status, due_at);
CREATE INDEX ix_timers_user ON timers (user_id, kind, subject_id);

-- Something a member must still see because a DM could not reach them.
CREATE TABLE pending_notices (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    subject_id  INTEGER,
    body        TEXT NOT NULL,                -- JSON: what to show
    created_at  TEXT NOT NULL,
    shown_at    TEXT
);
CREATE INDEX ix_pending_notices_user ON pending_notices (user_id, shown_at);

CREATE TABLE guild_config (
    guild_id            INTEGER PRIMARY KEY,
    support_channel_id  INTEGER,
    timezone            TEXT NOT NULL DEFAULT 'UTC',
    paused_reason       TEXT,                 -- set when posting failed for good
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);

CREATE TABLE nudge_schedules (
    guild_id    INTEGER NOT NULL REFERENCES guild_config (guild_id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('encouragement', 'keep-applying', 'digest')),
    days        TEXT NOT NULL,                -- "mon,thu" (always expanded, never "daily")
    time        TEXT NOT NULL,                -- "HH:MM" in the guild's timezone
    enabled     INTEGER NOT NULL DEFAULT 1,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, kind)
);

-- One row per slot: the unique key is what makes a post happen at most once.
CREATE TABLE deliveries (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    slot        TEXT NOT NULL,                -- local "YYYY-MM-DDTHH:MM" in the guild's timezone
    status      TEXT NOT NULL CHECK (status IN ('sending', 'posted', 'skipped', 'failed')),
    message_id  INTEGER,
    detail      TEXT,
    created_at  TEXT NOT NULL,
    UNIQUE (guild_id, kind, slot)
);

-- Encouragement lines already used in a server since the pool was last exhausted.
CREATE TABLE encouragement_rotation (
    guild_id    INTEGER NOT NULL,
    line_index  INTEGER NOT NULL,
    used_at     TEXT NOT NULL,
    PRIMARY KEY (guild_id, line_index)
);

CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
