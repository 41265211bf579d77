"""Telephony fixtures: livekit-server with its own Redis (LiveKit keeps SIP trunks and dispatch
rules there, and the API tests flush the control plane's Redis between tests), and the real
livekit-sip bridge on that Redis, inside the loopback-only namespace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import netns
from tests.services import LiveKit, livekit_server, redis_server
from tests.sip.bridge import SipBridge, bridge_settings, livekit_sip


@pytest.fixture(scope="session")
def livekit_redis_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("livekit-sip")


@pytest.fixture(scope="session")
def livekit(livekit_redis_dir: Path) -> Iterator[LiveKit]:
    """Overrides the shared fixture: LiveKit's SIP APIs exist only with Redis."""
    with (
        redis_server(livekit_redis_dir) as redis_url,
        livekit_server(livekit_redis_dir, redis_url=redis_url) as server,
    ):
        yield server


@pytest.fixture(scope="session")
def sip_bridge(livekit: LiveKit, livekit_redis_dir: Path) -> Iterator[SipBridge]:
    if not netns.inside():
        pytest.fail(
            "livekit-sip binds RTP on every interface and needs the test namespace's veth: "
            "run SIP tests with `make test`",
            pytrace=False,
        )
    with livekit_sip(livekit_redis_dir, livekit, bridge_settings()) as bridge:
        yield bridge
