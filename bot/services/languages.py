"""Which language a text is made in when no interaction says: a server's group posts and a
member's DMs."""

from __future__ import annotations

import logging

from bot.clock import Clock, to_db
from bot.db.connection import Database, Transaction
from bot.db.repositories.guild_config import GuildConfigRepository
from bot.db.repositories.member_settings import MemberSettingsRepository
from bot.errors import NotFound
from bot.i18n import LOCALES, _, locale_of

log = logging.getLogger(__name__)


class Languages:
    """Remembers each member's last Discord locale (written only when it changes) and each
    server's chosen language. One per process (bot.languages)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.settings = MemberSettingsRepository(db)
        self.configs = GuildConfigRepository(db)
        self._members: dict[int, str] = {}

    def changed(self, user_id: int, locale: object | None) -> str | None:
        """The member's catalog if it differs from the one last seen for them (then remembered
        as seen), else None: only a change costs a write."""
        chosen = locale_of(locale)
        if self._members.get(user_id) == chosen:
            return None
        self._members[user_id] = chosen
        return chosen

    async def seen(self, user_id: int, locale: str) -> None:
        """Keep a changed locale for a member who has settings (never makes a row: one made
        later during their interaction takes it then; until a row exists, each interaction
        looks again, reading only)."""
        has_row, stored = await self.settings.stored_locale(user_id)
        if not has_row:
            self._members.pop(user_id, None)
        elif stored != locale:
            await self.settings.update_locale(user_id, locale)

    async def remember(self, tx: Transaction, user_id: int, locale: str) -> None:
        """Keep the member's locale with what is about to be sent to them (makes their row)."""
        await self.settings.remember_locale(tx, user_id, locale, to_db(self.clock.now()))

    async def member(self, user_id: int) -> str:
        """The language of a member's DMs: their last Discord locale, English if never seen."""
        return locale_of((await self.settings.get(user_id)).locale)

    async def server(self, guild_id: int, preferred: object | None = None) -> str:
        """The language of a server's group posts: the one set with /support setup, else the
        server's preferred locale in Discord (`preferred`), else English."""
        chosen = await self.configs.language_of(guild_id)
        return locale_of(chosen or preferred)

    async def set_server(self, guild_id: int, language: str | None) -> None:
        """Set (None: clear) the language of the server's group posts. Raises NotFound when
        the server has not been set up."""
        if language is not None and language not in LOCALES:
            language = locale_of(language)
        async with self.db.transaction() as tx:
            if await self.configs.get_in(tx, guild_id) is None:
                raise NotFound(_("Run /support setup first."))
            await self.configs.set_language(tx, guild_id, language, to_db(self.clock.now()))

