-- Notes of encouragement by DM can be paused (the button on every such DM, or /settings);
-- while off, notes wait as a private notice shown at the member's next command.
ALTER TABLE member_settings ADD COLUMN encouragement_dms INTEGER NOT NULL DEFAULT 1;
