"""SQL for a member's preferences (one row per member, shared across servers)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from bot import i18n
from bot.db.connection import Database, SyncTransaction, Transaction


@dataclass(frozen=True, slots=True)
class MemberSettings:
    user_id: int
    timezone: str | None = None
    quiet_start: str | None = None
    quiet_end: str | None = None
    dm_prompts: bool = True
    personal_nudges: bool = False
    encouragement_dms: bool = True          # off: notes wait as a notice for the next command
    anonymous_notes: bool = True            # off: anonymous notes to them are refused
    reflection_delay_hours: int = 24
    weekly_goal: int | None = None
    last_reframe: int | None = None
    last_personal_dm_at: str | None = None
    updated_at: str = ""
    last_note_dm_at: str | None = None      # notes from people: one DM every 3 hours
    last_other_dm_at: str | None = None
    last_nudge_at: str | None = None        # personal nudges: one a week …
    last_nudge_text: int | None = None      # … never the same wording twice in a row
    dm_consent_at: str | None = None        # first told a DM would come
    locale: str | None = None               # last Discord locale: the language of their DMs
    goal_set_at: str | None = None          # when weekly_goal was last set; NULL: not known

    def last_dm_at(self, lane: str) -> str | None:
        """When the member last got a DM of this pacing lane."""
        return {"onward": self.last_personal_dm_at, "notes": self.last_note_dm_at,
                "other": self.last_other_dm_at}[lane]

    def with_changes(self, **changes) -> MemberSettings:
        return replace(self, **changes)


_FIELDS = [f.name for f in fields(MemberSettings)]
# Written only by their own mark_* methods, never by a save of the preferences.
_WRITTEN_APART = (
    "user_id", "last_personal_dm_at", "last_note_dm_at", "last_other_dm_at", "last_nudge_at",
    "last_nudge_text", "dm_consent_at", "locale",
)
_LANE_COLUMN = {"onward": "last_personal_dm_at", "notes": "last_note_dm_at",
                "other": "last_other_dm_at"}
_GET = f"SELECT {', '.join(_FIELDS)} FROM member_settings WHERE user_id = ?"
_MARK_REFRAME = (
    "INSERT INTO member_settings (user_id, last_reframe, updated_at, locale) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (user_id) DO UPDATE SET last_reframe = excluded.last_reframe"
)


def _their_locale(user_id: int) -> str | None:
    """For a row made while the member's own interaction is handled: its locale, so the DMs
    that row's member gets later are in their language (later changes: update_locale)."""
    return i18n.current() if i18n.member() == user_id else None


def _settings(user_id: int, row) -> MemberSettings:
    if row is None:
        return MemberSettings(user_id=user_id)
    data = dict(row)
    data["dm_prompts"] = bool(data["dm_prompts"])
    data["personal_nudges"] = bool(data["personal_nudges"])
    data["encouragement_dms"] = bool(data["encouragement_dms"])
    data["anonymous_notes"] = bool(data["anonymous_notes"])
    return MemberSettings(**data)


class MemberSettingsRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, user_id: int) -> MemberSettings:
        """Stored preferences, or the defaults for a member who never set any."""
        return _settings(user_id, await self.db.fetchone(_GET, (user_id,)))

    @staticmethod
    def get_sync(tx: SyncTransaction, user_id: int) -> MemberSettings:
        """`get` inside `Database.run`."""
        return _settings(user_id, tx.fetchone(_GET, (user_id,)))

    async def save(self, tx: Transaction, settings: MemberSettings) -> None:
        """Write every preference (a row is made if needed). Without a weekly goal, when it
        was set is cleared too."""
        if settings.weekly_goal is None:
            settings = replace(settings, goal_set_at=None)
        columns = ", ".join(_FIELDS)
        marks = ", ".join("?" for _ in _FIELDS)
        # last_personal_dm_at is written only by mark_personal_dm: a save built from a row read
        # a moment earlier must not undo a DM recorded in between (that would allow a second
        # personal DM the same day).
        updates = ", ".join(
            f"{f} = excluded.{f}" for f in _FIELDS if f not in _WRITTEN_APART
        )
        await tx.execute(
            f"INSERT INTO member_settings ({columns}) VALUES ({marks}) "
            f"ON CONFLICT (user_id) DO UPDATE SET {updates}",
            [settings.locale or _their_locale(settings.user_id) if f == "locale"
             else getattr(settings, f) for f in _FIELDS],
        )

    async def mark_personal_dm(self, tx: Transaction, user_id: int, at: str) -> None:
        """Remember when the member last got a personal DM (one a day at most)."""
        await tx.execute(
            "INSERT INTO member_settings (user_id, last_personal_dm_at, updated_at)"
            " VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
            " last_personal_dm_at = excluded.last_personal_dm_at",
            (user_id, at, at),
        )

    async def mark_dm(self, tx: Transaction, user_id: int, lane: str, at: str) -> None:
        """Remember when the member last got a DM of this pacing lane."""
        column = _LANE_COLUMN[lane]
        await tx.execute(
            f"INSERT INTO member_settings (user_id, {column}, updated_at) VALUES (?, ?, ?)"
            f" ON CONFLICT (user_id) DO UPDATE SET {column} = excluded.{column}",
            (user_id, at, at),
        )

    async def mark_nudge(self, tx: Transaction, user_id: int, text_index: int, at: str) -> None:
        """Remember the nudge just sent (once a week, never the same wording twice)."""
        await tx.execute(
            "INSERT INTO member_settings (user_id, last_nudge_at, last_nudge_text, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
            " last_nudge_at = excluded.last_nudge_at,"
            " last_nudge_text = excluded.last_nudge_text",
            (user_id, at, text_index, at),
        )

    async def remember_locale(self, tx: Transaction, user_id: int, locale: str, at: str) -> None:
        """The member's Discord locale, for the DMs made later (a row is made if needed)."""
        await tx.execute(
            "INSERT INTO member_settings (user_id, locale, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET locale = excluded.locale"
            " WHERE member_settings.locale IS NULL OR member_settings.locale <> excluded.locale",
            (user_id, locale, at),
        )

    async def stored_locale(self, user_id: int) -> tuple[bool, str | None]:
        """(whether the member has a settings row, the locale kept in it)."""
        row = await self.db.fetchone(
            "SELECT locale FROM member_settings WHERE user_id = ?", (user_id,))
        return (row is not None, row["locale"] if row is not None else None)

    async def update_locale(self, user_id: int, locale: str) -> None:
        """The member's Discord locale changed: keep it, if they have settings at all (never
        makes a row, so a member who keeps nothing here keeps nothing; a row made later during
        their interaction takes the locale then)."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE member_settings SET locale = ? WHERE user_id = ?"
                " AND (locale IS NULL OR locale <> ?)",
                (locale, user_id, locale),
            )

    async def mark_consent_shown(self, tx: Transaction, user_id: int, at: str) -> bool:
        """Record that the member was told DMs would come; True only the first time."""
        cur = await tx.execute(
            "INSERT INTO member_settings (user_id, dm_consent_at, updated_at, locale)"
            " VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET dm_consent_at = excluded.dm_consent_at"
            " WHERE member_settings.dm_consent_at IS NULL",
            (user_id, at, at, _their_locale(user_id)),
        )
        return cur.rowcount > 0

    async def mark_reframe(self, tx: Transaction, user_id: int, index: int, at: str) -> None:
        """Remember the reframe line just shown, touching nothing else the member set."""
        await tx.execute(_MARK_REFRAME, (user_id, index, at, _their_locale(user_id)))

    @staticmethod
    def mark_reframe_sync(tx: SyncTransaction, user_id: int, index: int, at: str) -> None:
        """`mark_reframe` inside `Database.run`."""
        tx.execute(_MARK_REFRAME, (user_id, index, at, _their_locale(user_id)))
