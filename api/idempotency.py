"""Idempotency-Key support: the first response to a key is stored and replayed for 24 h."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from litestar.enums import ParamType
from litestar.openapi.spec import Operation, Parameter, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.types import Scope
from pydantic import BaseModel
from redis.asyncio import Redis

from api.errors import Conflict, InvalidRequest
from api.requests import header

ResponseT = TypeVar("ResponseT")
_PENDING = "pending"
MAX_KEY_LENGTH = 255

IDEMPOTENCY_KEY_PARAMETER = Parameter(
    name="Idempotency-Key",
    param_in=ParamType.HEADER,
    required=False,
    schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=MAX_KEY_LENGTH),
    description="Retries with the same key and body replay the first response for 24 h; "
    "the same key with another body is 409.",
)


@dataclass
class IdempotentOperation(Operation):
    """The OpenAPI operation of a route that reads `Idempotency-Key` itself (`operation_class`).

    The handler takes the header with `idempotency_key()` instead of a declared parameter:
    Litestar's per-request parameter extraction was a measurable share of `POST /token`.
    """

    def __post_init__(self) -> None:
        self.parameters = [*(self.parameters or []), IDEMPOTENCY_KEY_PARAMETER]


def idempotency_key(scope: Scope) -> str | None:
    """The request's `Idempotency-Key` header, if it has one."""
    return header(scope, b"idempotency-key")


def _builtins(value: Any) -> Any:
    """A msgspec struct or pydantic model as plain JSON values."""
    return (
        value.model_dump(mode="json")
        if isinstance(value, BaseModel)
        else msgspec.to_builtins(value)
    )


def _fingerprint(body: msgspec.Struct | BaseModel) -> str:
    """A stable digest of a request body."""
    canonical = msgspec.json.encode(_builtins(body), order="sorted")
    return hashlib.sha256(canonical).hexdigest()


async def run_once(
    redis: Redis,
    *,
    project_id: str,
    operation: str,
    key: str | None,
    body: msgspec.Struct | BaseModel,
    ttl_s: int,
    response_type: type[ResponseT],
    action: Callable[[], Awaitable[ResponseT]],
) -> ResponseT:
    """Run `action` once per (project, operation, key); replay its response afterwards."""
    if key is None:
        return await action()
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidRequest(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters",
            details={"header": "Idempotency-Key"},
        )
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
        if issubclass(response_type, BaseModel):
            return response_type.model_validate(stored["response"])
        return msgspec.convert(stored["response"], response_type)
    try:
        response = await action()
    except Exception:
        # A failed attempt must not pin the key: the client may retry it.
        await redis.delete(name)
        raise
    stored_value = {"state": "done", "fp": fingerprint, "response": _builtins(response)}
    await redis.set(name, json.dumps(stored_value), ex=ttl_s)
    return response
