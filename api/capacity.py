"""Live worker capacity, from the heartbeats agent workers keep in Redis.

A call that needs an agent is refused with 503 when no worker has a free slot, instead of
leaving the caller in a silent room (self-hosted LiveKit drops a job that no worker accepts).
Each process re-counts at most every REFRESH_S, so the token hot path rarely touches Redis.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field

from redis.asyncio import Redis

from agent_worker.capacity import HEARTBEAT_PREFIX, Heartbeat
from api.errors import Unavailable

REFRESH_S = 1.0
RETRY_AFTER_S = 5
"""Calls last minutes, but workers restart and new ones join within seconds."""


class NoWorkerRoom(Unavailable):
    def __init__(self, needed: int, free: int) -> None:
        super().__init__(
            "No agent worker can take this call now; retry later",
            details={"needed": needed, "free": free},
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )


@dataclass
class WorkerRoom:
    """This process's view of the free worker slots (refreshed at most every REFRESH_S)."""

    free: int = 0
    counted_at: float = -math.inf
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


async def count_free_slots(redis: Redis) -> int:
    keys = [key async for key in redis.scan_iter(match=f"{HEARTBEAT_PREFIX}*", count=1000)]
    if not keys:
        return 0
    beats = await redis.mget(keys)
    # A key may expire between SCAN and MGET.
    return sum(Heartbeat.decode(raw).free for raw in beats if raw is not None)


async def free_slots(redis: Redis, room: WorkerRoom) -> int:
    if time.monotonic() - room.counted_at < REFRESH_S:
        return room.free
    async with room.lock:
        # Callers that waited for the lock use the count the first one made.
        if time.monotonic() - room.counted_at >= REFRESH_S:
            room.free = await count_free_slots(redis)
            room.counted_at = time.monotonic()
        return room.free


async def require_worker_room(
    redis: Redis, room: WorkerRoom, needed: int, *, wait_s: float = 0.0
) -> None:
    """Raise NoWorkerRoom unless the workers have `needed` free slots between them, counting
    again for up to `wait_s` (a phone caller rings meanwhile: a slot frees as soon as a call
    that just ended has closed); the slots then count as taken here until the next count
    (callers arriving together do not all get the last slot)."""
    deadline = time.monotonic() + wait_s
    while (free := await free_slots(redis, room)) < needed:
        if time.monotonic() >= deadline:
            raise NoWorkerRoom(needed, free)
        await asyncio.sleep(REFRESH_S)
    room.free -= needed
