"""With Redis, the per-user throttle is shared by every instance of the bot."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.throttle import RedisBuckets
from intake.core import Core


async def test_instances_share_one_bucket_per_person_under_a_blind_key(bot_settings, redis_url) -> None:  # type: ignore[no-untyped-def]
    core = Core(bot_settings(redis_url=redis_url))
    async with Redis.from_url(redis_url) as first, Redis.from_url(redis_url) as second:
        one = RedisBuckets(first, core, rate=0.01, burst=3)
        other = RedisBuckets(second, core, rate=0.01, burst=3)  # another instance of the bot
        taken = [await bucket.take(7701) for bucket in (one, other, one, other, one)]
        assert taken == [(True, False)] * 3 + [(False, True), (False, False)]  # warned once, in all
        assert await other.take(7702) == (True, False)  # per person

        key = one.key(7701)
        assert "7701" not in key and await first.exists(key)
        assert 0 < await first.pttl(key) <= (3 / 0.01 + 1) * 1000  # gone once it would be full again

        refilled = RedisBuckets(first, core, rate=1000.0, burst=3)
        await first.hset(key, "at", "0")  # as if the last update was long ago
        assert await refilled.take(7701) == (True, False)
    await core.close()


async def test_a_limiter_that_is_down_lets_people_through(bot_settings) -> None:  # type: ignore[no-untyped-def]
    core = Core(bot_settings())
    async with Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.5) as unreachable:
        buckets = RedisBuckets(unreachable, core, rate=0.01, burst=1)
        assert [await buckets.take(7703) for _ in range(3)] == [(True, False)] * 3
    await core.close()
