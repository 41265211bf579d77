"""API-key authentication, per-key rate limiting and scope checks.

Each route declares the scope it needs in its `opt` (`opt=WRITE`); the hook that resolves the
key also checks it, before the body is read. (Litestar guards would do the same, but copy
the route handler on every call, a measurable share of the token endpoint's budget.)
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from litestar import Request
from litestar.types import Message, Scope

from api.errors import Forbidden, RateLimited, Unauthorized
from api.projects.schemas import Principal
from api.projects.schemas import Scope as KeyScope
from api.projects.services import ProjectService, hash_key, key_cache_name
from api.ratelimit import RateDecision
from api.requests import header
from api.resources import Resources

RATE_LIMIT_STATE = "rate_limit"


def extract_api_key(scope: Scope) -> str | None:
    """The key of `Authorization: Bearer ...` or else `X-API-Key`."""
    authorization = header(scope, b"authorization") or ""
    bearer = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
    return bearer or header(scope, b"x-api-key") or None


@lru_cache(maxsize=4096)
def _principal_from_cache(cached: str) -> Principal:
    """Parse a cached principal once per distinct entry (revoking a key deletes the entry)."""
    return Principal.model_validate_json(cached)


async def _load_principal(resources: Resources, key_hash: str) -> Principal | None:
    async with resources.sessions() as session:
        principal = await ProjectService(session).principal_for(key_hash)
    if principal is not None:
        await resources.redis.set(
            key_cache_name(key_hash),
            principal.model_dump_json(),
            ex=resources.settings.api_key_cache_ttl_s,
        )
    return principal


async def authenticate(
    resources: Resources, raw_key: str | None, client_host: str
) -> tuple[Principal | None, RateDecision]:
    """Resolve the key and charge its budget; unknown callers are charged per address."""
    settings = resources.settings
    if raw_key:
        key_hash = hash_key(raw_key)
        bucket = f"key:{key_hash[:32]}"
        default_limit = settings.rate_limits[settings.default_plan]
        # One round trip on the hot path: cached principal and budget together.
        hit = await resources.limiter.hit_cached_key(
            bucket, key_cache_name(key_hash), default_limit
        )
        if hit is None and await _load_principal(resources, key_hash) is not None:
            hit = await resources.limiter.hit_cached_key(
                bucket, key_cache_name(key_hash), default_limit
            )
        if hit is not None:
            decision, cached = hit
            return _principal_from_cache(cached), decision
    decision = await resources.limiter.hit(f"anon:{client_host}", settings.anonymous_rate_limit)
    return None, decision


async def authenticate_request(
    request: Request[Any, Any, Any], fallback_key: str | None = None
) -> None:
    """before_request hook of the public API: resolve the key, charge its rate budget, check
    the route's scope, and refuse what fails any of them. `fallback_key`: a key given another
    way (a query parameter), used when no header carries one.

    A hook rather than a middleware: it runs before the body is read all the same, and a
    middleware would make Litestar wrap every route in a second exception-handling layer.
    """
    scope = request.scope
    resources: Resources = request.app.state.resources
    raw_key = extract_api_key(scope) or fallback_key
    client = scope.get("client") or ("unknown", 0)
    principal, decision = await authenticate(resources, raw_key, client[0])
    scope.setdefault("state", {})[RATE_LIMIT_STATE] = decision
    if not decision.allowed:
        raise RateLimited(
            "Rate limit exceeded",
            details={"limit": decision.limit, "retry_after": decision.retry_after_s},
        )
    if principal is None:
        message = "Invalid or revoked API key" if raw_key else "Missing API key"
        raise Unauthorized(message)
    check_scope(principal, request.route_handler.opt)
    scope["auth"] = principal


async def add_rate_limit_headers(message: Message, scope: Scope) -> None:
    """before_send hook: every response to a limited request carries the budget headers
    (`Retry-After` too, on a 429)."""
    if message["type"] != "http.response.start":
        return
    decision: RateDecision | None = scope.get("state", {}).get(RATE_LIMIT_STATE)
    if decision is not None:
        message["headers"] = [*message.get("headers", ()), *decision.raw_headers()]


REQUIRED_SCOPE = "required_scope"


def requires(scope_needed: KeyScope) -> dict[str, KeyScope]:
    """A route's `opt`: the scope an API key needs to call it."""
    return {REQUIRED_SCOPE: scope_needed}


def check_scope(principal: Principal, handler_opt: dict[str, Any]) -> None:
    needed: KeyScope | None = handler_opt.get(REQUIRED_SCOPE)
    if needed is not None and not principal.allows(needed):
        raise Forbidden(
            f"This API key lacks the '{needed.value}' scope",
            details={"required_scope": needed.value},
        )


READ = requires(KeyScope.READ)
WRITE = requires(KeyScope.WRITE)
ADMIN = requires(KeyScope.ADMIN)
