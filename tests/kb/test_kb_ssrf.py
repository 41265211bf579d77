"""The SSRF corpus: every refused address family and spelling, plus redirects and limits
against a real HTTP server on 127.0.0.1 (reached only through the allowlist)."""

import pytest

from kb.errors import ContentTooLarge, FetchFailed, UnsafeUrl
from kb.fetch import UrlFetcher
from kb.netguard import check_url, vet_resolved
from kb.settings import KbSettings
from tests.kb.conftest import LocalHttpServer

pytestmark = pytest.mark.unit

REFUSED_URLS = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://localhost/",  # a name: refused at connect time, once resolved
    "http://10.0.0.5/",
    "http://172.16.3.4/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://2852039166/",  # 169.254.169.254, decimal
    "http://0251.0376.0251.0376/",  # octal
    "http://0xa9fea9fe/",  # hex
    "http://0xa9.0xfe.0xa9.0xfe/",
    "http://100.64.0.1/",  # CGNAT
    "http://0.0.0.0/",
    "http://224.0.0.1/",  # multicast
    "http://240.0.0.1/",  # reserved
    "http://[::1]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[fe80::1]/",
    "http://[::ffff:169.254.169.254]/",  # IPv4-mapped
    "http://[::ffff:127.0.0.1]/",
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64-embedded 169.254.169.254
    "http://[ff02::1]/",
]


@pytest.mark.parametrize("url", [u for u in REFUSED_URLS if "localhost" not in u])
def test_private_and_reserved_literals_are_refused_before_connecting(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(url, [])


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "file:///etc/passwd",
        "gopher://example.com/",
        "javascript:1",
        "http://user:pw@example.com/",
        "http:///nohost",
    ],
)
def test_non_http_schemes_credentials_and_hostless_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(url, [])


def test_public_literal_is_accepted() -> None:
    check_url("https://93.184.216.34/page", [])
    check_url("https://[2606:2800:220:1:248:1893:25c8:1946]/", [])


@pytest.mark.parametrize(
    "addresses",
    [["127.0.0.1"], ["93.184.216.34", "10.1.2.3"], ["::ffff:10.0.0.1"], ["169.254.169.254"], []],
)
def test_any_private_resolved_address_is_refused(addresses: list[str]) -> None:
    with pytest.raises(UnsafeUrl):
        vet_resolved("example.com", addresses)


@pytest.mark.parametrize("url", REFUSED_URLS)
async def test_fetcher_never_connects_to_refused_addresses(url: str) -> None:
    fetcher = UrlFetcher(KbSettings(fetch_timeout_s=2))
    try:
        with pytest.raises(UnsafeUrl):
            await fetcher.fetch(url)
    finally:
        await fetcher.aclose()


async def test_name_resolving_to_private_address_is_refused_at_connect_time() -> None:
    async def rebinding_resolver(host: str, port: int) -> list[str]:
        return ["10.0.0.7"]

    fetcher = UrlFetcher(KbSettings(), resolver=rebinding_resolver)
    try:
        with pytest.raises(UnsafeUrl):
            await fetcher.fetch("https://public.example.com/doc")
    finally:
        await fetcher.aclose()


def _settings(server: LocalHttpServer, **overrides: object) -> KbSettings:
    values: dict[str, object] = {"fetch_timeout_s": 2, **overrides}
    return KbSettings(url_allowlist=[f"127.0.0.1:{server.port}"], **values)  # type: ignore[arg-type]


async def test_allowlisted_local_server_is_fetched(http_server: LocalHttpServer) -> None:
    http_server.routes["/doc"] = (200, {"Content-Type": "text/plain"}, b"hello world")
    fetcher = UrlFetcher(_settings(http_server))
    try:
        fetched = await fetcher.fetch(f"{http_server.base}/doc")
    finally:
        await fetcher.aclose()
    assert fetched.content == b"hello world"
    assert fetched.content_type == "text/plain"
    assert len(fetched.content_hash) == 64


async def test_allowlist_is_per_host_and_port(http_server: LocalHttpServer) -> None:
    http_server.routes["/doc"] = (200, {}, b"hello")
    fetcher = UrlFetcher(_settings(http_server))
    try:
        # Same server, but by a name that resolves to loopback: not allowlisted.
        with pytest.raises(UnsafeUrl):
            await fetcher.fetch(f"http://localhost:{http_server.port}/doc")
    finally:
        await fetcher.aclose()
    assert http_server.hits == []


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/",
        "http://127.0.0.1:1/",
        "http://[::1]/",
        "ftp://example.com/file",
        "file:///etc/passwd",
    ],
)
async def test_every_redirect_hop_is_checked(http_server: LocalHttpServer, location: str) -> None:
    http_server.routes["/go"] = (302, {"Location": location}, b"")
    fetcher = UrlFetcher(_settings(http_server))
    try:
        with pytest.raises(UnsafeUrl):
            await fetcher.fetch(f"{http_server.base}/go")
    finally:
        await fetcher.aclose()


async def test_allowed_redirect_is_followed(http_server: LocalHttpServer) -> None:
    http_server.routes["/old"] = (301, {"Location": "/new"}, b"")
    http_server.routes["/new"] = (200, {}, b"moved here")
    fetcher = UrlFetcher(_settings(http_server))
    try:
        fetched = await fetcher.fetch(f"{http_server.base}/old")
    finally:
        await fetcher.aclose()
    assert fetched.content == b"moved here"
    assert fetched.final_url.endswith("/new")


async def test_redirect_loop_stops_at_the_limit(http_server: LocalHttpServer) -> None:
    http_server.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    fetcher = UrlFetcher(_settings(http_server, max_redirects=3))
    try:
        with pytest.raises(FetchFailed):
            await fetcher.fetch(f"{http_server.base}/loop")
    finally:
        await fetcher.aclose()
    assert len(http_server.hits) == 4


async def test_body_over_the_limit_is_refused(http_server: LocalHttpServer) -> None:
    http_server.routes["/big"] = (200, {}, b"a" * 5000)
    fetcher = UrlFetcher(_settings(http_server, fetch_max_bytes=1000))
    try:
        with pytest.raises(ContentTooLarge):
            await fetcher.fetch(f"{http_server.base}/big")
    finally:
        await fetcher.aclose()


async def test_slow_server_times_out(http_server: LocalHttpServer) -> None:
    http_server.routes["/slow"] = (200, {}, b"late")
    fetcher = UrlFetcher(_settings(http_server, fetch_timeout_s=0.5))
    try:
        with pytest.raises(FetchFailed):
            await fetcher.fetch(f"{http_server.base}/slow")
    finally:
        await fetcher.aclose()


async def test_unresolvable_host_is_a_fetch_failure() -> None:
    fetcher = UrlFetcher(KbSettings(fetch_timeout_s=2))
    try:
        with pytest.raises(FetchFailed):
            await fetcher.fetch("http://no-such-host.invalid/")
    finally:
        await fetcher.aclose()


async def test_error_status_is_reported(http_server: LocalHttpServer) -> None:
    fetcher = UrlFetcher(_settings(http_server))
    try:
        with pytest.raises(FetchFailed) as error:
            await fetcher.fetch(f"{http_server.base}/missing")
    finally:
        await fetcher.aclose()
    assert error.value.details["status"] == 404
