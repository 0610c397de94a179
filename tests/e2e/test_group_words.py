"""Group posts as the channel reads them: counts name their period, quiet weeks are warm."""

from __future__ import annotations

from tests.e2e.test_support import setup_support
from tests.e2e.test_wins import text_of


async def test_quiet_and_busy_group_posts_name_their_period_and_print_no_zeros(world):
    await setup_support(world)
    admin = world.actor(world.admin)
    for kind in ("keep-applying", "digest"):
        await (await admin.slash("support nudge-now", kind=kind)).reply()
    keep, digest = [text_of(m) for m in world.emu.channel_messages(world.support_id)]
    # Pinned at Tue 16 Jun 2026: this week is Mon 15 – Sun 21 Jun.
    assert "A new week (Mon 15 – Sun 21 Jun), and a clean slate." in keep
    assert "It's been a quiet week here (Wed 10 – Tue 16 Jun)" in digest
    for text in (keep, digest):
        assert "• 0" not in text and " 0 " not in text
    alice = world.actor(world.alice)
    await (await alice.slash("apply log", company="Acme")).reply()
    await (await admin.slash("support nudge-now", kind="keep-applying")).reply()
    busy = text_of(world.emu.channel_messages(world.support_id)[-1])
    assert ("So far this week (Mon 15 – Sun 21 Jun) the group has logged **1 application**."
            in busy)
