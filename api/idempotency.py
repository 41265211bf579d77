"""Idempotency-Key support: the first response to a key is stored and replayed for 24 h."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import TypeVar

import msgspec
from redis.asyncio import Redis

from api.errors import Conflict, InvalidRequest

ResponseT = TypeVar("ResponseT")
_PENDING = "pending"


def _fingerprint(body: msgspec.Struct) -> str:
    """A stable digest of a request body."""
    canonical = msgspec.json.encode(msgspec.to_builtins(body), order="sorted")
    return hashlib.sha256(canonical).hexdigest()


async def run_once(
    redis: Redis,
    *,
    project_id: str,
    operation: str,
    key: str | None,
    body: msgspec.Struct,
    ttl_s: int,
    response_type: type[ResponseT],
    action: Callable[[], Awaitable[ResponseT]],
) -> ResponseT:
    """Run `action` once per (project, operation, key); replay its response afterwards."""
    if key is None:
        return await action()
    if not 1 <= len(key) <= 255:
        raise InvalidRequest("Idempotency-Key must be 1 to 255 characters")
    name = f"vx:idem:{project_id}:{operation}:{hashlib.sha256(key.encode()).hexdigest()}"
    fingerprint = _fingerprint(body)
    claimed = await redis.set(
        name, json.dumps({"state": _PENDING, "fp": fingerprint}), nx=True, ex=ttl_s
    )
    if not claimed:
        stored = json.loads(await redis.get(name) or "{}")
        if stored.get("fp") != fingerprint:
            raise Conflict("Idempotency-Key was already used with a different request body")
        if stored.get("state") == _PENDING:
            raise Conflict("A request with this Idempotency-Key is still in progress")
        return msgspec.convert(stored["response"], response_type)
    try:
        response = await action()
    except Exception:
        # A failed attempt must not pin the key: the client may retry it.
        await redis.delete(name)
        raise
    stored_value = {"state": "done", "fp": fingerprint, "response": msgspec.to_builtins(response)}
    await redis.set(name, json.dumps(stored_value), ex=ttl_s)
    return response
