from pathlib import Path

import pytest
import yaml

from sip import LiveKitEndpoint, SipSettings, render_bridge_config, write_bridge_config
from sip.errors import BridgeConfigError

pytestmark = pytest.mark.unit

LIVEKIT = LiveKitEndpoint(
    ws_url="ws://127.0.0.1:7880",
    api_key="key",
    api_secret="s" * 32,
    redis_url="redis://127.0.0.1:6390/2",
)


def test_config_keeps_livekit_sip_on_loopback_with_our_ports() -> None:
    settings = SipSettings(port=5070, rtp_port_start=20000, rtp_port_end=20100, health_port=5090)
    config = yaml.safe_load(render_bridge_config(settings, LIVEKIT))
    assert config["api_key"] == "key"
    assert config["ws_url"] == "ws://127.0.0.1:7880"
    assert config["redis"] == {"address": "127.0.0.1:6390", "db": 2}
    assert config["sip_port"] == 5070
    assert config["listen_ip"] == "127.0.0.1"
    assert config["nat_1_to_1_ip"] == "127.0.0.1"
    assert config["use_external_ip"] is False
    # livekit-sip reads the range only as a "start-end" string.
    assert config["rtp_port"] == "20000-20100"
    assert config["health_port"] == 5090
    assert config["max_cpu_utilization"] == 1.0


def test_settings_come_from_voxroom_sip_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXROOM_SIP_PORT", "5999")
    monkeypatch.setenv("VOXROOM_SIP_MAX_CONCURRENT_OUTBOUND_CALLS", "3")
    settings = SipSettings()
    assert settings.port == 5999
    assert settings.max_concurrent_outbound_calls == 3


def test_a_projects_caps_are_bounded_by_the_operators() -> None:
    settings = SipSettings(max_concurrent_outbound_calls=3, max_daily_outbound_minutes=100)
    policy = settings.dialling_policy(["+44"], max_concurrent_calls=10, max_daily_minutes=50)
    assert policy.allowed_prefixes == ("+44",)
    assert (policy.max_concurrent_calls, policy.max_daily_minutes) == (3, 50)
    assert settings.dialling_policy([]).max_concurrent_calls == 3


def test_default_sip_port_is_5060() -> None:
    assert SipSettings().port == 5060


def test_redis_credentials_and_tls_are_carried_over() -> None:
    endpoint = LiveKitEndpoint(
        ws_url="wss://lk.example", api_key="k", api_secret="s", redis_url="rediss://u:pw@r:6400"
    )
    redis = yaml.safe_load(render_bridge_config(SipSettings(), endpoint))["redis"]
    assert redis == {"address": "r:6400", "username": "u", "password": "pw", "use_tls": True}


@pytest.mark.parametrize(
    ("field", "value"), [("ws_url", "http://127.0.0.1:7880"), ("redis_url", "memory://")]
)
def test_unusable_endpoints_are_refused(field: str, value: str) -> None:
    endpoint = LiveKitEndpoint(**{**LIVEKIT.__dict__, field: value})
    with pytest.raises(BridgeConfigError) as caught:
        render_bridge_config(SipSettings(), endpoint)
    assert caught.value.details["field"] == field


def test_rtp_range_must_not_be_empty() -> None:
    with pytest.raises(ValueError, match="rtp_port_end"):
        SipSettings(rtp_port_start=20000, rtp_port_end=20000)


def test_written_config_is_private_to_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "livekit-sip.yaml"
    path.write_text("old")
    path.chmod(0o644)
    write_bridge_config(path, SipSettings(), LIVEKIT)
    assert path.stat().st_mode & 0o777 == 0o600
    assert yaml.safe_load(path.read_text())["api_secret"] == "s" * 32
