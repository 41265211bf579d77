"""Per-key request budgets, enforced by one atomic Lua script in Redis."""

from __future__ import annotations

import json
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
    def __init__(self, redis: Redis, plan_limits: dict[str, int], window_s: int = 60) -> None:
        self._script = redis.register_script(_SCRIPT)
        self._window_s = window_s
        self._plan_limits = json.dumps(plan_limits)

    @staticmethod
    def _decision(result: list[int]) -> RateDecision:
        allowed, remaining, reset_ms, retry_ms, limit = (int(value) for value in result[:5])
        return RateDecision(
            allowed=bool(allowed),
            limit=limit,
            remaining=max(remaining, 0),
            reset_epoch_s=math.ceil(reset_ms / 1000),
            retry_after_s=max(1, math.ceil(retry_ms / 1000)),
        )

    async def hit(self, bucket: str, limit: int) -> RateDecision:
        result = await self._script(keys=[f"vx:rl:{bucket}"], args=[self._window_s, limit, "{}"])
        return self._decision(result)

    async def hit_cached_key(
        self, bucket: str, cache_key: str, default_limit: int
    ) -> tuple[RateDecision, str] | None:
        """Charge an API key's budget in the same round trip that reads its cached principal.

        Returns None (and charges nothing) when the principal is not cached.
        """
        result = await self._script(
            keys=[f"vx:rl:{bucket}", cache_key],
            args=[self._window_s, default_limit, self._plan_limits],
        )
        if int(result[0]) == -1:
            return None
        return self._decision(result), str(result[5])
