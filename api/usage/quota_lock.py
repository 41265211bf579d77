"""Exact quotas: one short Redis lock per project and quota kind, held from the count until the
creating request has answered (its transaction committed by then).

Counting and creating in separate transactions let requests racing past the count all create;
under the lock each counts what the one before it created. Only creations of the same kind
in the same project wait for each other. The lock expires after `quota_lock_s`, so a process
that dies holding it holds up its project's creations of that kind no longer than that (a
request slower than that loses the exactness, nothing else). The lock is not reentrant: a
route declaring `quota(kind)` must not call a service that takes the same kind's lock.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from litestar.types import ASGIApp, Receive, Scope, Send
from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError

from api.errors import RateLimited
from api.usage.settings import UsageSettings

logger = logging.getLogger(__name__)

_HELD = "voxroom.quota_locks"
"""Key of the request's ASGI scope holding the quota locks it took (released after it)."""
_POLL_S = 0.01


async def acquire(redis: Redis, settings: UsageSettings, project_id: str, kind: str) -> Lock:
    """Take the project's lock for `kind`, waiting up to `quota_wait_s` for the request that
    holds it; refused with 429 RATE_LIMITED (retry in a second) if it is not freed by then."""
    lock = redis.lock(
        f"vx:quota:{project_id}:{kind}",
        timeout=settings.quota_lock_s,
        sleep=_POLL_S,
        blocking_timeout=settings.quota_wait_s,
    )
    if not await lock.acquire():
        raise RateLimited(
            "Too many concurrent creations of this kind; try again",
            details={"quota": kind},
            headers={"Retry-After": "1"},
        )
    return lock


async def release(lock: Lock) -> None:
    try:
        await lock.release()
    except LockError:
        logger.warning("a quota lock expired before its request answered", extra={"key": lock.name})


@asynccontextmanager
async def quota_lock(
    redis: Redis, settings: UsageSettings, project_id: str, kind: str
) -> AsyncIterator[None]:
    """Hold the project's lock for `kind` around a count and the creation it allows."""
    lock = await acquire(redis, settings, project_id, kind)
    try:
        yield
    finally:
        await release(lock)


def hold_until_answered(scope: Scope, lock: Lock) -> None:
    """Keep `lock` until the request has answered (`release_after_response` frees it)."""
    cast("dict[str, Any]", scope).setdefault(_HELD, []).append(lock)


def release_after_response(app: ASGIApp) -> ASGIApp:
    """Middleware of the public API: frees the quota locks a request took once it is handled
    (its response sent, or its error on the way out: nothing was created then)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await app(scope, receive, send)
        finally:
            for lock in cast("dict[str, Any]", scope).pop(_HELD, []):
                await release(lock)

    return middleware
