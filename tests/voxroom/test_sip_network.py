"""`voxroom up --sip` on a host where livekit-sip cannot run says so and names the fix."""

import pytest

from voxroom.launcher import LaunchError, require_sip_network

pytestmark = pytest.mark.unit


def test_a_loopback_only_host_is_refused_with_the_fix_instead_of_a_crash_loop() -> None:
    with pytest.raises(LaunchError, match=r"IPv4 address outside 127\.0\.0\.0/8") as refused:
        require_sip_network([])
    assert "ip addr add 192.0.2.1/32" in str(refused.value)


def test_one_non_loopback_address_is_enough() -> None:
    require_sip_network(["192.0.2.1"])
