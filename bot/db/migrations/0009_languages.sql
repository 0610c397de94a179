-- Languages. A server's group posts follow `language` (one of Onward's catalogs, e.g. "de",
-- "es_ES"); NULL follows the server's preferred locale in Discord.
ALTER TABLE guild_config ADD COLUMN language TEXT;

-- DMs and notices not tied to an interaction follow the member's last Discord locale.
ALTER TABLE member_settings ADD COLUMN locale TEXT;
