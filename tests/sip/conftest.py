"""Telephony fixtures: livekit-server with its own Redis (LiveKit keeps SIP trunks and dispatch
rules there, and the API tests flush the control plane's Redis between tests), and the real
livekit-sip bridge on that Redis, inside the loopback-only namespace."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import netns
from tests.services import LiveKit, livekit_server, redis_server
from tests.sip.bridge import SipBridge, bridge_settings, livekit_sip

SELF_ADDRESS = "192.0.2.1/32"
"""livekit-sip's SIP stack (sipgo) looks up "its own" address and refuses to start unless
some interface that is not loopback carries an IPv4 address outside 127.0.0.0/8 (127.0.0.2
on the namespace's veth does not count). A documentation address (RFC 5737) on the veth
satisfies it; the veth's both ends are in the namespace, so nothing can reach it or leave."""


def give_namespace_a_self_address() -> None:
    shown = subprocess.run(
        ["ip", "-4", "addr", "show", "dev", "vxr1"], check=True, capture_output=True, text=True
    )
    if SELF_ADDRESS.split("/")[0] not in shown.stdout:
        subprocess.run(["ip", "addr", "add", SELF_ADDRESS, "dev", "vxr1"], check=True)


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
    give_namespace_a_self_address()
    with livekit_sip(livekit_redis_dir, livekit, bridge_settings()) as bridge:
        yield bridge
