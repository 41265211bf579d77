"""The loopback-only network namespace that media tests run in.

`make test` runs pytest inside `unshare -n` after SETUP. libwebrtc gathers no ICE candidate
on loopback-type interfaces, so a veth pair that exists only inside the namespace carries
127.0.0.2/32: WebRTC gets a host candidate in the loopback range, and every packet stays on
127.0.0.0/8 inside the namespace.
"""

from __future__ import annotations

import socket

SETUP = (
    "ip link set lo up"
    " && ip link add vxr0 type veth peer name vxr1"
    " && ip addr add 127.0.0.2/32 dev vxr0"
    " && ip link set vxr1 up && ip link set vxr0 up"
)
INTERFACES = {"lo", "vxr0", "vxr1"}


def inside() -> bool:
    """True inside a namespace prepared with SETUP (no other interface exists)."""
    return {name for _, name in socket.if_nameindex()} == INTERFACES
