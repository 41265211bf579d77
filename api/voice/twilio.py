"""Twilio's side of a phone call: its webhook's signature, and the TwiML that connects the
call's audio to the media gateway."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit, urlunsplit
from xml.sax.saxutils import escape

SIGNATURE_HEADER = b"x-twilio-signature"


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Twilio's `X-Twilio-Signature`: base64 HMAC-SHA1, keyed with the account's auth token,
    of the full URL Twilio requested followed by every POST parameter, sorted by name, as
    name then value (a repeated name's distinct values sorted too, as Twilio's libraries do).
    """
    values: dict[str, set[str]] = {}
    for name, value in params:
        values.setdefault(name, set()).add(value)
    payload = url + "".join(
        name + value for name in sorted(values) for value in sorted(values[name])
    )
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _with_and_without_port(url: str) -> list[str]:
    """Twilio signs the URL as it was configured; a proxy may add or drop the default port."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    if default is None or not host:
        return [url]
    bare = urlunsplit(parts._replace(netloc=host))
    ported = urlunsplit(parts._replace(netloc=f"{host}:{parts.port or default}"))
    return list(dict.fromkeys([url, bare, ported]))


def is_signed(
    auth_token: str, given: str | None, urls: Sequence[str], params: list[tuple[str, str]]
) -> bool:
    """Whether `given` is Twilio's signature of the request at any of `urls` (compared in
    constant time)."""
    if not given:
        return False
    candidates = [variant for url in urls for variant in _with_and_without_port(url)]
    expected = [signature(auth_token, url, params) for url in candidates]
    return any(hmac.compare_digest(given.encode(), candidate.encode()) for candidate in expected)


def connect_stream(stream_url: str, parameters: dict[str, str]) -> str:
    """TwiML that connects the call's audio, both ways, to a Media Streams WebSocket."""
    params = "".join(
        f'<Parameter name="{_attribute(name)}" value="{_attribute(value)}"/>'
        for name, value in parameters.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Response><Connect><Stream url="{_attribute(stream_url)}">{params}</Stream></Connect>'
        "</Response>"
    )


def _attribute(value: str) -> str:
    return escape(value, {'"': "&quot;"})
