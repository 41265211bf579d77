"""Start the platform's components as child processes and wait until each is healthy."""

from __future__ import annotations

from urllib.parse import unquote, urlparse

AGENT_TARGET_LOAD = 1.0
"""livekit-server's `agents.target_load`: it offers a job only to workers whose load is below
it. Workers report load = active calls / capacity, so 1.0 means "has a free slot" (LiveKit's
default 0.7 would refuse a worker with 6 of 8 slots taken)."""


def livekit_redis(redis_url: str) -> dict[str, str]:
    """The `redis:` section of a livekit-server config for `redis_url`."""
    parsed = urlparse(redis_url)
    section = {"address": f"{parsed.hostname or '127.0.0.1'}:{parsed.port or 6379}"}
    db = parsed.path.lstrip("/")
    if db:
        section["db"] = db
    if parsed.username:
        section["username"] = unquote(parsed.username)
    if parsed.password:
        section["password"] = unquote(parsed.password)
    return section


def livekit_redis_env(redis_url: str) -> dict[str, str]:
    """livekit-server's environment for `redis_url`: REDIS_HOST and REDIS_PASSWORD override the
    `redis:` section of its config file (its keys stay in that file's db, 0 by default)."""
    section = livekit_redis(redis_url)
    env = {"REDIS_HOST": section["address"]}
    if "password" in section:
        env["REDIS_PASSWORD"] = section["password"]
    return env
