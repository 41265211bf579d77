"""Per-key request budgets, enforced by one atomic Lua script in Redis."""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources

from redis.asyncio import Redis

_SCRIPT = resources.files("api").joinpath("ratelimit.lua").read_text()


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_epoch_s: int
    retry_after_s: int

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_epoch_s),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after_s)
        return headers


class RateLimiter:
    def __init__(self, redis: Redis, window_s: int = 60) -> None:
        self._script = redis.register_script(_SCRIPT)
        self._window_s = window_s

    async def hit(self, bucket: str, limit: int) -> RateDecision:
        allowed, remaining, reset_ms, retry_ms = await self._script(
            keys=[f"vx:rl:{bucket}"], args=[self._window_s, limit]
        )
        return RateDecision(
            allowed=bool(allowed),
            limit=limit,
            remaining=max(int(remaining), 0),
            reset_epoch_s=math.ceil(int(reset_ms) / 1000),
            retry_after_s=max(1, math.ceil(int(retry_ms) / 1000)),
        )
