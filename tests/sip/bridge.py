"""The real livekit-sip bridge for tests, next to a livekit-server that shares its Redis."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sip import LiveKitEndpoint, SipSettings, write_bridge_config
from tests import netns
from tests.services import LiveKit, free_port, require_binary, started
from voxroom import launcher

SELF_ADDRESS = "192.0.2.1/32"
"""livekit-sip's SIP stack (sipgo) looks up "its own" address and refuses to start unless
some interface that is not loopback carries an IPv4 address outside 127.0.0.0/8 (127.0.0.2
on the namespace's veth does not count). A documentation address (RFC 5737) on the veth
satisfies it; both ends of the veth are in the namespace, so nothing can reach it or leave."""


def give_namespace_a_self_address() -> None:
    shown = subprocess.run(
        ["ip", "-4", "addr", "show", "dev", "vxr1"], check=True, capture_output=True, text=True
    )
    if SELF_ADDRESS.split("/")[0] not in shown.stdout:
        subprocess.run(["ip", "addr", "add", SELF_ADDRESS, "dev", "vxr1"], check=True)


@dataclass(frozen=True)
class SipBridge:
    sip_port: int
    health_url: str
    settings: SipSettings
    log: Path


def bridge_settings(rtp_ports: int = 200) -> SipSettings:
    sip_port = free_port()
    rtp_start = free_port()
    # A free TCP port says little about the range after it; inside the test namespace
    # nothing else binds UDP there, and that is the only place the bridge runs.
    rtp_start = min(rtp_start, 65535 - rtp_ports)
    return SipSettings(
        port=sip_port,
        health_port=free_port(),
        rtp_port_start=rtp_start,
        rtp_port_end=rtp_start + rtp_ports,
        log_level="debug",
    )


@contextmanager
def livekit_sip(workdir: Path, livekit: LiveKit, settings: SipSettings) -> Iterator[SipBridge]:
    """Run livekit-sip until the block ends; ready once its health port answers 200 (it exits
    with 0 on fatal startup errors, so only the health port tells that it runs)."""
    if livekit.redis_url is None:
        raise ValueError("livekit-sip needs a livekit-server that runs with Redis")
    if not netns.inside():
        raise RuntimeError("livekit-sip binds RTP on every interface: run it in the test namespace")
    give_namespace_a_self_address()
    binary = require_binary("livekit-sip", "run `make livekit-sip` (built from sip/build)")
    endpoint = LiveKitEndpoint(
        ws_url=livekit.url.replace("http://", "ws://"),
        api_key=livekit.api_key,
        api_secret=livekit.api_secret,
        redis_url=livekit.redis_url,
    )
    config = write_bridge_config(workdir / "livekit-sip.yaml", settings, endpoint)
    component = launcher.livekit_sip(binary, config, settings.health_port)
    log = workdir / "livekit-sip.log"
    with started(component, log):
        yield SipBridge(settings.port, component.health_url or "", settings, log)
