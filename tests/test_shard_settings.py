"""SHARD_COUNT and SHARD_IDS: what a process serves, its share of the rate limit, and the
sentences an operator reads when they don't fit together."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import Settings


def settings(**values) -> Settings:
    return Settings(_env_file=None, discord_token="t", **values)


def refusal(**values) -> str:
    with pytest.raises(ValidationError) as raised:
        settings(**values)
    return str(raised.value)


def test_unset_means_one_process_serving_every_shard():
    plain = settings()
    assert plain.shards() is None
    assert plain.serves_every_shard() and plain.processes() == 1 and plain.rate_share() == 1.0
    counted = settings(shard_count=4)
    assert counted.shards() is None and counted.serves_every_shard()


def test_shard_ids_split_the_bot_into_processes_each_with_its_share():
    half = settings(shard_count=4, shard_ids="2, 3")
    assert half.shards() == (2, 3)
    assert not half.serves_every_shard()
    assert half.processes() == 2 and half.rate_share() == 0.5
    # Uneven splits round up: 5 shards, 2 here, so at least 3 processes share the limit.
    assert settings(shard_count=5, shard_ids="0,1").processes() == 3
    # Every shard listed is one process after all.
    assert settings(shard_count=2, shard_ids="1,0").serves_every_shard()
    # Behind one proxy that keeps the bot under the limit, each process may use all of it.
    proxied = settings(shard_count=4, shard_ids="0", discord_global_rate_share=1)
    assert proxied.rate_share() == 1.0


def test_shard_ids_without_a_count_is_refused_with_what_to_set():
    text = refusal(shard_ids="0,1")
    assert "SHARD_IDS needs SHARD_COUNT" in text
    assert "SHARD_COUNT=4 with SHARD_IDS=0,1" in text


@pytest.mark.parametrize("ids", ["0;1", "one", "0,,1", "-1"])
def test_malformed_shard_ids_are_refused(ids):
    assert "SHARD_IDS must be shard numbers separated by commas, e.g. 0,1" in refusal(
        shard_count=4, shard_ids=ids)


def test_a_shard_past_the_count_or_named_twice_is_refused():
    assert ("SHARD_IDS names shard 4, but with SHARD_COUNT=4 shards are numbered 0 to 3"
            in refusal(shard_count=4, shard_ids="3,4"))
    assert "SHARD_IDS names shard 1 more than once" in refusal(shard_count=4, shard_ids="1,1")
    assert "shard_count" in refusal(shard_count=0)


def test_from_the_environment(monkeypatch):
    monkeypatch.setenv("SHARD_COUNT", "6")
    monkeypatch.setenv("SHARD_IDS", "4,5")
    from_env = Settings(_env_file=None, discord_token="t")
    assert from_env.shards() == (4, 5) and from_env.processes() == 3
