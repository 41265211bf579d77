"""One-time join tickets: what a `joinUrl` or a Twilio stream carries instead of an API key.

A ticket is 32 random bytes shown once; Redis holds only its SHA-256, for `ticket_ttl_s`, and
`GETDEL` redeems it, so a second use (on any replica) finds nothing. Redis rather than the
database: a ticket lives a minute and is read once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from redis.asyncio import Redis

PREFIX = "vxt_"
MAX_LENGTH = 100


def _key(ticket: str) -> str:
    return "vx:voiceticket:" + hashlib.sha256(ticket.encode()).hexdigest()


async def issue(redis: Redis, claims: dict[str, Any], ttl_s: int) -> str:
    ticket = PREFIX + secrets.token_urlsafe(32)
    await redis.set(_key(ticket), json.dumps(claims), ex=ttl_s)
    return ticket


async def redeem(redis: Redis, ticket: str) -> dict[str, Any] | None:
    """The ticket's claims, once; None for an unknown, used or expired ticket."""
    if not ticket.startswith(PREFIX) or len(ticket) > MAX_LENGTH:
        return None
    raw = await redis.getdel(_key(ticket))
    return json.loads(raw) if raw else None
