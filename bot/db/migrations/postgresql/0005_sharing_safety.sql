-- PostgreSQL twin of ../0005_sharing_safety.sql
-- Sharing with the group and notes between members, made safe.

-- An anonymous share is posted at a random moment 5-60 minutes after Post it: a timer row of
-- kind share_post (subject_id = the share), run by the one timer engine.

-- A share is 'scheduled' (anonymous, waiting for its moment), 'posting' (claimed by the one
-- run that posts it) or 'posted' (message_id set). The company shows only when ticked.
ALTER TABLE shares ADD COLUMN show_company BIGINT NOT NULL DEFAULT 1;
ALTER TABLE shares ADD COLUMN status TEXT NOT NULL DEFAULT 'posted';
ALTER TABLE shares ADD COLUMN post_at TEXT;

-- A member may refuse anonymous notes (the sender is told they take signed notes only).
ALTER TABLE member_settings ADD COLUMN anonymous_notes BIGINT NOT NULL DEFAULT 1;

-- Where reports of anonymous notes go; without one, the server owner gets them by DM.
ALTER TABLE guild_config ADD COLUMN reports_channel_id BIGINT;

-- Members an admin stopped from sending anonymous notes in their server.
CREATE TABLE note_blocks (
    guild_id    BIGINT NOT NULL,
    member_id   BIGINT NOT NULL,
    blocked_by  BIGINT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, member_id)
);

-- Anonymous notes are counted per sender and per (sender, recipient) over the last day.
CREATE INDEX ix_encouragements_anonymous ON encouragements (sender_id, anonymous, created_at);

-- Digests that thanked members by name: the message, what it says, and whom it thanks, so a
-- member who deletes their data can have their name taken out of past digests.
CREATE TABLE digest_posts (
    message_id   BIGINT PRIMARY KEY,
    guild_id     BIGINT NOT NULL,
    channel_id   BIGINT NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL,
    footer       TEXT,
    created_at   TEXT NOT NULL
);
CREATE TABLE digest_thanks (
    message_id  BIGINT NOT NULL REFERENCES digest_posts (message_id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL,
    PRIMARY KEY (message_id, user_id)
);
CREATE INDEX ix_digest_thanks_user ON digest_thanks (user_id);
