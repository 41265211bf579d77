"""Which network addresses server-side fetches may reach (SSRF protection).

The check runs on the address actually connected to, after DNS resolution, so a public
name resolving to a private address (or re-resolving to one: DNS rebinding) is refused.
"""

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from kb.errors import UnsafeUrl

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT, also used by some clouds for internal services
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, home of cloud metadata endpoints
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, includes broadcast
        "::/128",
        "::1/128",
        "::ffff:0:0/96",  # IPv4-mapped: would reach the embedded IPv4 address
        "64:ff9b::/96",  # NAT64 well-known prefix: embeds an IPv4 address
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",  # IETF protocol assignments, includes Teredo (embeds IPv4)
        "2001:db8::/32",
        "2002::/16",  # 6to4: embeds an IPv4 address
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",
        "ff00::/8",  # multicast
    )
)
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.I)


def is_public_address(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses outside every refused range."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return False
    if any(address in net for net in _BLOCKED_NETWORKS):
        return False
    return address.is_global and not address.is_multicast


def parse_host_address(host: str) -> IPAddress | None:
    """The IP address a host string denotes, if it is an address literal in any spelling.

    C resolvers accept legacy IPv4 forms (decimal `2852039166`, octal `0251.0376.0251.0376`,
    hex `0xa9fea9fe`, short `127.1`), so these are decoded the same way here and checked
    like any address rather than being mistaken for host names.
    """
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError as exc:
            raise UnsafeUrl("The URL host is not a valid address", field="url") from exc
    return None


def host_is_allowlisted(host: str, port: int | None, allowlist: list[str]) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    entries = {entry.strip().lower() for entry in allowlist}
    return host in entries or (port is not None and f"{host}:{port}" in entries)


def check_url(url: str, allowlist: list[str]) -> None:
    """Refuse URLs that are unsafe before any connection: scheme, credentials, literal IPs."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl("The URL is malformed", field="url") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("Only http and https URLs can be fetched", field="url")
    if not parts.hostname:
        raise UnsafeUrl("The URL has no host", field="url")
    if parts.username or parts.password:
        raise UnsafeUrl("URLs with credentials are not accepted", field="url")
    if host_is_allowlisted(parts.hostname, port, allowlist):
        return
    address = parse_host_address(parts.hostname)
    if address is not None and not is_public_address(address):
        raise UnsafeUrl("The URL points to a private or reserved address", field="url")


def vet_resolved(host: str, addresses: list[str]) -> str:
    """Return the address to connect to, refusing if any resolved address is not public.

    Refusing on any bad record (not only the first) closes the trick of publishing one
    public and one private record and hoping the client picks the private one.
    """
    if not addresses:
        raise UnsafeUrl("The URL host does not resolve", field="url")
    for raw in addresses:
        if not is_public_address(ipaddress.ip_address(raw.split("%", 1)[0])):
            raise UnsafeUrl("The URL resolves to a private or reserved address", field="url")
    return addresses[0]
