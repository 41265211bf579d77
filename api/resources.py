"""Long-lived resources built in the app's lifespan and shared by every request."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from cachetools import TTLCache
from livekit import api as livekit_api
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from api.capacity import WorkerRoom
from api.ratelimit import RateLimiter
from api.settings import ApiSettings
from api.tokens.signing import TokenSigner
from kb import KnowledgeStore

ROOM_SEEN_LOCAL_TTL_S = 2.0
"""How long this process trusts a room it confirmed (shorter than the shared Redis memo)."""


@dataclass
class Resources:
    settings: ApiSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    limiter: RateLimiter
    livekit: livekit_api.LiveKitAPI
    knowledge: KnowledgeStore
    signer: TokenSigner
    rooms_seen: TTLCache[str, bool] = field(
        default_factory=lambda: TTLCache(maxsize=10_000, ttl=ROOM_SEEN_LOCAL_TTL_S)
    )
    """Rooms this process confirmed lately (full names): spares Redis a call per token."""
    rooms_checking: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    """Rooms being confirmed right now (full names), so that each is checked once at a time."""
    worker_room: WorkerRoom = field(default_factory=WorkerRoom)
    """Free agent-worker slots as this process last counted them (api.capacity)."""
