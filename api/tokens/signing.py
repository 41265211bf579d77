"""Signing LiveKit access tokens (HS256 JWTs) on the hot path of `POST /token`."""

from __future__ import annotations

from typing import Any

import msgspec
from jwt.algorithms import HMACAlgorithm
from jwt.utils import base64url_encode

_HEADER = base64url_encode(b'{"alg":"HS256","typ":"JWT"}')


class TokenSigner:
    """Signs claims with PyJWT's HS256 algorithm and a key prepared once.

    `jwt.encode` re-checks the key's format and length on every call, which costs five times
    the signature itself; the compact serialization around the signature is the standard
    `header.payload.signature` and is verified by PyJWT and LiveKit alike.
    """

    def __init__(self, api_key: str, api_secret: str) -> None:
        self.api_key = api_key
        self._algorithm = HMACAlgorithm(HMACAlgorithm.SHA256)
        self._key = self._algorithm.prepare_key(api_secret)

    def sign(self, claims: dict[str, Any]) -> str:
        signing_input = _HEADER + b"." + base64url_encode(msgspec.json.encode(claims))
        signature = base64url_encode(self._algorithm.sign(signing_input, self._key))
        return (signing_input + b"." + signature).decode("ascii")
