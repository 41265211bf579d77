import signal
import urllib.request
from pathlib import Path

import pytest
import yaml

from api.settings import ApiSettings
from tests.services import LiveKit
from tests.sip.bridge import SipBridge, bridge_settings, give_namespace_a_self_address
from voxroom.launcher import Launcher
from voxroom.supervisor import components

pytestmark = pytest.mark.integration


def test_livekit_sip_comes_up_healthy_on_livekit_with_redis(sip_bridge: SipBridge) -> None:
    with urllib.request.urlopen(sip_bridge.health_url, timeout=2) as response:  # noqa: S310
        assert response.status == 200
        assert response.read() == b"OK"
    log = sip_bridge.log.read_text(errors="replace")
    # Signalling on loopback only, UDP and TCP, on the port our settings chose.
    for transport in ("UDP", "TCP"):
        assert f'"net": "{transport}", "addr": "127.0.0.1:{sip_bridge.sip_port}"' in log


def test_voxroom_up_with_sip_starts_livekit_sip_on_livekit_redis(
    livekit: LiveKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    give_namespace_a_self_address()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOXROOM_GATEWAY_SECRET", "gateway-secret-of-at-least-32-characters")
    Path("livekit.yaml").touch()  # voxroom up runs where livekit.yaml is
    settings = ApiSettings(
        livekit_url=livekit.url,
        livekit_api_key=livekit.api_key,
        livekit_api_secret=livekit.api_secret,
        redis_url=livekit.redis_url,
        state_dir=tmp_path / ".voxroom",
        sip=bridge_settings(),
    )

    platform = components(settings, workers=0, sip=True)

    names = [c.name for c in platform]
    assert names[:4] == ["redis", "livekit", "livekit-sip", "api"], names
    sip = platform[2]
    assert sip.restart  # it exits 0 on fatal errors: any exit is a crash
    config = settings.state_dir / "livekit-sip.yaml"
    assert config.stat().st_mode & 0o777 == 0o600
    assert yaml.safe_load(config.read_text())["redis"]["address"] in (livekit.redis_url or "")
    with Launcher(tmp_path / "logs") as children:
        running = children.start(sip)
        assert sip.healthy()
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(timeout=15) == 0
