"""The livekit-sip configuration, rendered from our settings.

livekit-sip reads YAML (`--config FILE` or `SIP_CONFIG_BODY`). Its traps on a loopback-only
install shape what we write: its local-address lookup skips loopback, so `listen_ip` and
`nat_1_to_1_ip` are always set; STUN is off; `rtp_port` must be a "start-end" string (a
start/end mapping is silently ignored and the 10000-20000 default used).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from sip.errors import BridgeConfigError
from sip.settings import SipSettings


@dataclass(frozen=True)
class LiveKitEndpoint:
    """Where livekit-sip finds LiveKit: the server's WebSocket URL, keys, and its Redis."""

    ws_url: str
    api_key: str
    api_secret: str
    redis_url: str


def redis_section(redis_url: str) -> dict[str, Any]:
    """livekit-sip's `redis:` block from a `redis://[user:password@]host:port/db` URL; it must
    be the same Redis livekit-server uses (the two talk over it)."""
    parts = urlsplit(redis_url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise BridgeConfigError("livekit-sip needs a redis:// URL", field="redis_url")
    section: dict[str, Any] = {"address": f"{parts.hostname}:{parts.port or 6379}"}
    database = parts.path.strip("/")
    if database:
        if not database.isdigit():
            raise BridgeConfigError("Redis database must be a number", field="redis_url")
        section["db"] = int(database)
    if parts.username:
        section["username"] = parts.username
    if parts.password:
        section["password"] = parts.password
    if parts.scheme == "rediss":
        section["use_tls"] = True
    return section


def bridge_config(settings: SipSettings, livekit: LiveKitEndpoint) -> dict[str, Any]:
    if not livekit.ws_url.startswith(("ws://", "wss://")):
        raise BridgeConfigError("livekit-sip needs LiveKit's ws:// URL", field="ws_url")
    config: dict[str, Any] = {
        "api_key": livekit.api_key,
        "api_secret": livekit.api_secret,
        "ws_url": livekit.ws_url,
        "redis": redis_section(livekit.redis_url),
        "sip_port": settings.port,
        "listen_ip": settings.listen_ip,
        "nat_1_to_1_ip": settings.public_ip,
        "use_external_ip": False,
        "rtp_port": f"{settings.rtp_port_start}-{settings.rtp_port_end}",
        "health_port": settings.health_port,
        "max_cpu_utilization": settings.max_cpu_utilization,
        "logging": {"level": settings.log_level},
    }
    if settings.max_active_calls:
        config["max_active_calls"] = settings.max_active_calls
    return config


def render_bridge_config(settings: SipSettings, livekit: LiveKitEndpoint) -> str:
    """The YAML livekit-sip reads; holds the API secret, so write it to a private file."""
    return yaml.safe_dump(bridge_config(settings, livekit), sort_keys=False)


def write_bridge_config(path: Path, settings: SipSettings, livekit: LiveKitEndpoint) -> Path:
    """Write livekit-sip's config to `path`, readable by its owner only (it holds the API
    secret and any Redis password); run `livekit-sip --config <path>` and supervise it through
    `http://127.0.0.1:<health_port>/`: it exits with status 0 even on a fatal startup error."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as config:
        config.write(render_bridge_config(settings, livekit))
    return path
