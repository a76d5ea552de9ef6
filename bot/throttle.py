"""Token buckets for the per-user throttle: in this process, or shared in Redis when the
conversations are (several instances behind one webhook must count a person's updates
together, or each would grant the full rate)."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from intake import safe_log
from intake.core import Core

log = logging.getLogger("intake.bot")


class Buckets(Protocol):
    async def take(self, user_id: int) -> tuple[bool, bool]:
        """(allowed, warn now): warn once when a person first runs out, until allowed again."""
        ...


class LocalBuckets:
    MAX_USERS = 100_000

    def __init__(self, *, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._buckets: OrderedDict[int, list[float]] = OrderedDict()  # user -> [tokens, at, warned]

    async def take(self, user_id: int) -> tuple[bool, bool]:
        return self.take_now(user_id)

    def take_now(self, user_id: int) -> tuple[bool, bool]:
        now = time.monotonic()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = [self.burst, now, 0.0]
            if len(self._buckets) > self.MAX_USERS:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(user_id)
            bucket[0] = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
            bucket[1] = now
        if bucket[0] >= 1.0:
            bucket[0] -= 1.0
            bucket[2] = 0.0
            return True, False
        warn = not bucket[2]
        bucket[2] = 1.0
        return False, warn


# The same bucket as LocalBuckets, atomically in Redis, on Redis's clock (the instances'
# clocks may differ). A bucket left alone until it is full again is the same as none, so
# it expires then.
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local stored = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'warned')
local tokens, at, warned = tonumber(stored[1]), tonumber(stored[2]), tonumber(stored[3]) or 0
if tokens == nil then tokens, at = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed, warn = 0, 0
if tokens >= 1 then
  tokens, warned, allowed = tokens - 1, 0, 1
elseif warned == 0 then
  warned, warn = 1, 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now), 'warned', warned)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, warn}
"""


class RedisBuckets:
    """Keys are keyed hashes of the user id: Redis never holds a Telegram user id."""

    def __init__(
        self, redis: Redis, core: Core, *, rate: float, burst: int, prefix: str = "intake:throttle"
    ) -> None:
        self._take = redis.register_script(_TAKE)
        self._keyring = core.keyring
        self._prefix = prefix
        self.rate = rate
        self.burst = burst

    def key(self, user_id: int) -> str:
        return f"{self._prefix}:{self._keyring.blind_index('telegram-throttle', str(user_id))}"

    async def take(self, user_id: int) -> tuple[bool, bool]:
        try:
            allowed, warn = await self._take(keys=[self.key(user_id)], args=[self.rate, self.burst])
        except RedisError as exc:  # a limiter that is down lets people through rather than lock them out
            log.warning("throttle unavailable, update let through: %s", safe_log.failure(exc))
            return True, False
        return bool(allowed), bool(warn)
