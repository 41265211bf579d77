import urllib.request

import pytest

from tests.sip.bridge import SipBridge

pytestmark = pytest.mark.integration


def test_livekit_sip_comes_up_healthy_on_livekit_with_redis(sip_bridge: SipBridge) -> None:
    with urllib.request.urlopen(sip_bridge.health_url, timeout=2) as response:  # noqa: S310
        assert response.status == 200
        assert response.read() == b"OK"
    log = sip_bridge.log.read_text(errors="replace")
    # Signalling on loopback only, UDP and TCP, on the port our settings chose.
    for transport in ("UDP", "TCP"):
        assert f'"net": "{transport}", "addr": "127.0.0.1:{sip_bridge.sip_port}"' in log
