"""Long-lived resources built in the app's lifespan and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass

from livekit import api as livekit_api
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from api.ratelimit import RateLimiter
from api.settings import ApiSettings
from kb import KnowledgeStore


@dataclass
class Resources:
    settings: ApiSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    limiter: RateLimiter
    livekit: livekit_api.LiveKitAPI
    knowledge: KnowledgeStore
