-- PostgreSQL twin of ../0003_encouragement_dms.sql
-- Notes of encouragement by DM can be paused (the button on every such DM, or /settings);
-- while off, notes wait as a private notice shown at the member's next command.
ALTER TABLE member_settings ADD COLUMN encouragement_dms BIGINT NOT NULL DEFAULT 1;
