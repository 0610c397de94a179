import pytest

from bot.errors import InvalidInput
from bot.services.member_settings import MemberSettingsService, parse_quiet_hours
from bot.services.privacy import DataDeleted

ALICE = 1001


async def test_nothing_given_changes_nothing_and_shows_defaults(db, clock):
    service = MemberSettingsService(db, clock)
    result = await service.update(ALICE)
    assert result.changed == ()
    s = result.settings
    assert (s.timezone, s.quiet_start, s.dm_prompts, s.personal_nudges,
            s.reflection_delay_hours) == (None, None, True, False, 24)
    assert await db.scalar("SELECT COUNT(*) FROM member_settings") == 0


async def test_all_options_are_stored(db, clock):
    service = MemberSettingsService(db, clock)
    result = await service.update(
        ALICE, timezone=" Europe/Berlin ", quiet_hours="22:30-7:00", dm_prompts=False,
        personal_nudges=True, reflection_delay_hours=0,
    )
    assert set(result.changed) == {"timezone", "quiet_start", "quiet_end", "dm_prompts",
                                   "personal_nudges", "reflection_delay_hours"}
    row = await db.fetchone("SELECT timezone, quiet_start, quiet_end, dm_prompts, personal_nudges,"
                            " reflection_delay_hours FROM member_settings WHERE user_id = ?",
                            (ALICE,))
    assert tuple(row) == ("Europe/Berlin", "22:30", "07:00", 0, 1, 0)
    await service.update(ALICE, quiet_hours="off")
    assert (await service.get(ALICE)).quiet_start is None
    assert (await service.get(ALICE)).timezone == "Europe/Berlin"


@pytest.mark.parametrize("kwargs, message", [
    ({"timezone": "Europe/Berln"}, "Did you mean Europe/Berlin"),
    ({"timezone": "Mars/Olympus"}, "not an IANA timezone"),
    ({"quiet_hours": "late"}, "HH:MM-HH:MM"),
    ({"quiet_hours": "25:00-08:00"}, "00 to 23"),
    ({"quiet_hours": "22:00-22:00"}, "different times"),
    ({"reflection_delay_hours": -1}, "0 \\(right away\\) to 168"),
    ({"reflection_delay_hours": 169}, "168"),
])
async def test_bad_values_are_refused_and_nothing_changes(db, clock, kwargs, message):
    service = MemberSettingsService(db, clock)
    with pytest.raises(InvalidInput, match=message):
        await service.update(ALICE, dm_prompts=False, **kwargs)
    assert await db.scalar("SELECT COUNT(*) FROM member_settings") == 0


def test_quiet_hours_forms():
    assert parse_quiet_hours("22:00-08:00") == ("22:00", "08:00")
    assert parse_quiet_hours(" 9:05 – 17:30 ") == ("09:05", "17:30")
    assert parse_quiet_hours("OFF") == (None, None)


async def test_opting_in_to_nudges_creates_one_evening_timer_and_opting_out_removes_it(db, clock):
    service = MemberSettingsService(db, clock)
    await service.update(ALICE, personal_nudges=True, timezone="America/New_York")
    await service.update(ALICE, personal_nudges=True)       # again: still one timer
    rows = await db.fetchall("SELECT due_at, status FROM timers WHERE kind = 'personal_nudge'")
    # 15:00 UTC is 10:00 in New York: the nudge is looked at 18:00 local = 23:00 UTC.
    assert [tuple(r) for r in rows] == [("2026-11-25T23:00:00+00:00", "pending")]
    await service.update(ALICE, timezone="Europe/London")   # the evening moves with the zone
    pending = await db.fetchall("SELECT due_at FROM timers WHERE status = 'pending'")
    assert [r[0] for r in pending] == ["2026-11-25T18:00:00+00:00"]
    await service.pause(ALICE, "personal_nudges")
    assert await db.scalar("SELECT COUNT(*) FROM timers WHERE status = 'pending'") == 0
    assert (await service.get(ALICE)).personal_nudges is False


async def test_pause_turns_dm_prompts_off(db, clock):
    service = MemberSettingsService(db, clock)
    await service.update(ALICE, timezone="Europe/Berlin")   # a member Onward knows
    result = await service.pause(ALICE, "dm_prompts")
    assert result.changed == ("dm_prompts",) and result.settings.dm_prompts is False
    with pytest.raises(InvalidInput):
        await service.pause(ALICE, "weekly_goal")


async def test_encouragement_dms_default_on_pause_and_turn_back_on(db, clock):
    service = MemberSettingsService(db, clock)
    assert (await service.get(ALICE)).encouragement_dms is True
    await service.update(ALICE, timezone="Europe/Berlin", dm_prompts=False)
    assert await db.scalar("SELECT encouragement_dms FROM member_settings WHERE user_id = ?",
                           (ALICE,)) == 1                   # other changes leave it on
    paused = await service.pause(ALICE, "encouragement_dms")
    assert paused.changed == ("encouragement_dms",)
    assert paused.settings.encouragement_dms is False
    assert (paused.settings.timezone, paused.settings.dm_prompts) == ("Europe/Berlin", False)
    assert (await service.pause(ALICE, "encouragement_dms")).changed == ()
    back = await service.update(ALICE, encouragement_dms=True)
    assert back.changed == ("encouragement_dms",) and back.settings.encouragement_dms is True
    assert await db.scalar("SELECT encouragement_dms FROM member_settings WHERE user_id = ?",
                           (ALICE,)) == 1


async def test_a_pause_for_a_member_who_deleted_their_data_writes_nothing(db, clock):
    service = MemberSettingsService(db, clock)
    with pytest.raises(DataDeleted, match="That was deleted."):
        await service.pause(ALICE, "dm_prompts")
    assert await db.scalar("SELECT COUNT(*) FROM member_settings") == 0
