"""Idempotency-Key support: the first response to a key is stored and replayed for 24 h."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel
from redis.asyncio import Redis

from api.errors import Conflict, InvalidRequest

ModelT = TypeVar("ModelT", bound=BaseModel)
_PENDING = "pending"


def _fingerprint(body: BaseModel) -> str:
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


async def run_once(
    redis: Redis,
    *,
    project_id: str,
    operation: str,
    key: str | None,
    body: BaseModel,
    ttl_s: int,
    response_type: type[ModelT],
    action: Callable[[], Awaitable[ModelT]],
) -> ModelT:
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
        return response_type.model_validate(stored["response"])
    try:
        response = await action()
    except Exception:
        # A failed attempt must not pin the key: the client may retry it.
        await redis.delete(name)
        raise
    stored_value = {
        "state": "done",
        "fp": fingerprint,
        "response": response.model_dump(mode="json"),
    }
    await redis.set(name, json.dumps(stored_value), ex=ttl_s)
    return response
