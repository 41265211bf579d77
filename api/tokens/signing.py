"""Signing LiveKit access tokens (HS256 JWTs) on the hot path of `POST /token`."""

from __future__ import annotations

import hmac
from typing import Any

import msgspec
from jwt.utils import base64url_encode

_HEADER = base64url_encode(b'{"alg":"HS256","typ":"JWT"}')


class TokenSigner:
    """Signs claims as an HS256 JWS in compact serialization (`header.payload.signature`).

    `jwt.encode` re-checks the key's format and length and builds an HMAC object on every
    call, five times the cost of the signature itself; here the key is encoded once and the
    signature is the standard library's one-shot `hmac.digest`. The tests verify the tokens
    with PyJWT, and LiveKit verifies them on every join.
    """

    def __init__(self, api_key: str, api_secret: str) -> None:
        self.api_key = api_key
        self._key = api_secret.encode()

    def sign(self, claims: dict[str, Any]) -> str:
        signing_input = _HEADER + b"." + base64url_encode(msgspec.json.encode(claims))
        signature = base64url_encode(hmac.digest(self._key, signing_input, "sha256"))
        return (signing_input + b"." + signature).decode("ascii")
