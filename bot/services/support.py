"""A server's support setup: the channel, the group's timezone and the nudge schedules."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock, to_db
from bot.db.connection import Database
from bot.db.repositories.guild_config import GuildConfig, GuildConfigRepository
from bot.db.repositories.note_safety import NoteSafetyRepository
from bot.db.repositories.schedules import NudgeSchedule, ScheduleRepository
from bot.errors import InvalidInput, NotFound
from bot.i18n import N_, _
from bot.services.dates import valid_timezone
from bot.services.nudges import DEFAULT_SCHEDULES, KINDS, Slot, next_slot, parse_days, parse_time

# Only admins reach the commands that raise this, so it speaks to the admin.
NOT_SET_UP = N_("This server has no support channel yet. Run /support setup to choose one; "
                "the schedules start from there.")


@dataclass(frozen=True, slots=True)
class SetupResult:
    config: GuildConfig
    schedules: list[NudgeSchedule]
    created: bool
    lifted_pause: str | None      # the reason nudges were paused, if setup lifted it


@dataclass(frozen=True, slots=True)
class KindStatus:
    schedule: NudgeSchedule
    next_run: Slot | None         # None when disabled or paused


@dataclass(frozen=True, slots=True)
class SupportStatus:
    config: GuildConfig
    kinds: list[KindStatus]


class SupportService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.configs = GuildConfigRepository(db)
        self.schedules = ScheduleRepository(db)
        self.safety = NoteSafetyRepository(db)

    async def config(self, guild_id: int) -> GuildConfig | None:
        return await self.configs.get(guild_id)

    async def setup(self, guild_id: int, channel_id: int, timezone: str | None,
                    reports_channel_id: int | None = None) -> SetupResult:
        """Channel and timezone; the reports channel only when given (else kept)."""
        existing = await self.configs.get(guild_id)
        if timezone is not None and timezone.strip():
            tz = valid_timezone(timezone)
        else:
            tz = existing.timezone if existing else "UTC"
        now = to_db(self.clock.now())
        async with self.db.transaction() as tx:
            await self.configs.save_setup(
                tx, guild_id=guild_id, channel_id=channel_id, timezone=tz, now=now
            )
            if reports_channel_id is not None:
                await self.configs.set_reports_channel(tx, guild_id, reports_channel_id, now)
            # Slots from before this moment (in the old or new timezone) are never caught up.
            await self.schedules.touch_all(tx, guild_id, now)
            for kind, (days, hhmm) in DEFAULT_SCHEDULES.items():
                await self.schedules.add_if_missing(tx, NudgeSchedule(
                    guild_id=guild_id, kind=kind, days=days, time=hhmm, enabled=True,
                    updated_at=now,
                ))
        config = await self.configs.get(guild_id)
        assert config is not None
        return SetupResult(
            config=config, schedules=await self.schedules.for_guild(guild_id),
            created=existing is None,
            lifted_pause=existing.paused_reason if existing else None,
        )

    async def set_schedule(
        self, guild_id: int, kind: str, *, days: str | None = None, time: str | None = None,
        enabled: bool | None = None,
    ) -> KindStatus:
        """Change what was given, keep the rest."""
        if kind not in KINDS:
            raise InvalidInput(_("Kind must be one of: {kinds}.").format(kinds=", ".join(KINDS)))
        config = await self.configs.get(guild_id)
        if config is None or config.support_channel_id is None:
            raise NotFound(_(NOT_SET_UP))
        current = await self.schedules.get(guild_id, kind)
        default_days, default_time = DEFAULT_SCHEDULES[kind]
        schedule = NudgeSchedule(
            guild_id=guild_id, kind=kind,
            days=parse_days(days) if days is not None else (
                current.days if current else default_days),
            time=parse_time(time) if time is not None else (
                current.time if current else default_time),
            enabled=enabled if enabled is not None else (current.enabled if current else True),
            updated_at=to_db(self.clock.now()),
        )
        async with self.db.transaction() as tx:
            await self.schedules.save(tx, schedule)
        return self._kind_status(config, schedule)

    async def status(self, guild_id: int) -> SupportStatus:
        config = await self.configs.get(guild_id)
        if config is None or config.support_channel_id is None:
            raise NotFound(_(NOT_SET_UP))
        by_kind = {s.kind: s for s in await self.schedules.for_guild(guild_id)}
        return SupportStatus(
            config=config,
            kinds=[self._kind_status(config, by_kind[k]) for k in KINDS if k in by_kind],
        )

    # Anonymous notes ---------------------------------------------------------------------------

    async def block(self, guild_id: int, member_id: int, admin_id: int) -> bool:
        """Stop a member sending anonymous notes in this server; False if already blocked."""
        async with self.db.transaction() as tx:
            return await self.safety.block(tx, guild_id, member_id, admin_id,
                                           to_db(self.clock.now()))

    async def unblock(self, guild_id: int, member_id: int) -> bool:
        """Lift a block; False if there was none."""
        async with self.db.transaction() as tx:
            return await self.safety.unblock(tx, guild_id, member_id)

    def _kind_status(self, config: GuildConfig, schedule: NudgeSchedule) -> KindStatus:
        upcoming = None
        if schedule.enabled and not config.paused_reason:
            upcoming = next_slot(schedule.days, schedule.time, config.timezone, self.clock.now())
        return KindStatus(schedule=schedule, next_run=upcoming)
