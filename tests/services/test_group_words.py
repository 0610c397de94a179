"""Group posts: no zero lines, every count names its period, keep-applying wording that does
not repeat within four weeks (also across restarts), footers that vary."""

from __future__ import annotations

import random
from datetime import timedelta

from bot.services import nudge_lines
from bot.services.nudges import NudgeService
from tests.services.test_nudges import GUILD, Channel, add_application, configure


def wording(description: str) -> int:
    [index] = [i for i, line in enumerate(nudge_lines.KEEP_APPLYING_LINES) if line in description]
    return index


async def test_keep_applying_wording_does_not_repeat_within_four_weeks(db, clock):
    await configure(db, clock)
    seen = []
    for week in range(8):
        await add_application(db, 1001, GUILD, clock.now().date().isoformat())
        channel = Channel()
        # A new service each week, as after a restart: the choice is read from the posts.
        await NudgeService(db, clock, rng=random.Random(week)).post_now(
            GUILD, "keep-applying", channel)
        post = channel.posts[0][1]
        seen.append(wording(post.description))
        assert "this week (" in post.description
        clock.advance(timedelta(weeks=1))
    for i in range(len(seen)):
        assert seen[i] not in seen[max(0, i - 3):i], seen


async def test_quiet_digest_is_one_warm_sentence_and_busy_digest_has_no_zero_lines(db, clock):
    await configure(db, clock)
    channel = Channel()
    await NudgeService(db, clock).post_now(GUILD, "digest", channel)
    quiet = channel.posts[0][1].description
    assert quiet.startswith("It's been a quiet week here (Thu 19 – Wed 25 Nov)")
    assert "0" not in quiet and "•" not in quiet
    await add_application(db, 1001, GUILD, "2026-11-24")
    await NudgeService(db, clock).post_now(GUILD, "digest", channel)
    busy = channel.posts[1][1].description
    assert busy.splitlines()[:2] == [
        "Here's what the group did together in the last 7 days (Thu 19 – Wed 25 Nov):",
        "• 1 application sent"]
    assert "• 0" not in busy and "reflection" not in busy


def test_footers_vary_and_periods_read_across_months():
    from bot.services.nudges import encouragement_post
    footers = {encouragement_post(i).footer for i in range(len(nudge_lines.ENCOURAGEMENT_LINES))}
    assert len(footers) == len(nudge_lines.ENCOURAGEMENT_FOOTERS) > 1
    from datetime import date
    assert nudge_lines.week_period(date(2026, 6, 8), date(2026, 6, 14)) == (
        "this week (Mon 8 – Sun 14 Jun)")
    assert nudge_lines.day_range(date(2026, 6, 29), date(2026, 7, 5)) == (
        "Mon 29 Jun – Sun 5 Jul")
