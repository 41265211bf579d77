"""The request class of the API (`Litestar(request_class=...)`), and raw header lookup."""

from __future__ import annotations

import math
import re
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.exceptions import ClientException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import Empty, Scope

from api.errors import InvalidRequest, ValidationFailed

T = TypeVar("T")


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header `name` (lower case), read from the ASGI scope's raw headers.

    On the hot path this is cheaper than building Litestar's whole `Headers` for one lookup.
    """
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


class ApiRequest(Request[Any, Any, Any]):
    """Litestar's request, with a body read that costs little when the body is small.

    Litestar streams every body through an async generator and builds the whole `Headers`
    mapping to read Content-Length; on `POST /token` that was the largest single cost left
    after authentication. This reads the ASGI messages directly, with
    the same limit (`request_max_body_size`), the same early refusal of an announced size
    over it, and the same errors. Multipart forms still stream through `stream()`.
    """

    async def body(self) -> bytes:
        if self._body is not Empty:
            return self._body
        if (cached := self._connection_state.body) is not Empty:
            self._body = cached
            return cached
        limit = self.route_handler.resolve_request_max_body_size() or math.inf
        if (announced := _content_length(self.scope)) is not None and announced > limit:
            raise RequestEntityTooLarge
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self.receive()
            if message["type"] != "http.request":
                raise ClientException("client disconnected prematurely")
            chunk = message["body"]
            size += len(chunk)
            if size > limit:
                raise RequestEntityTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self._body = self._connection_state.body = body
        self.is_connected = False
        return body


def _content_length(scope: Scope) -> int | None:
    value = header(scope, b"content-length")
    try:
        return None if value is None else int(value)
    except ValueError:
        raise ClientException(f"Invalid content-length: {value!r}") from None


_PATH = re.compile(r" - at `\$\.?([^`]*)`$")
_NAMED = re.compile(r"(?:unknown|missing required) field `([^`]+)`")


def decode_body(body: bytes, body_type: type[T]) -> T:
    """A JSON body decoded exactly as its schema says (msgspec, strict: `0` is no boolean).

    Litestar converts `data` bodies leniently (`"600"` becomes 600, `0` becomes false), so a
    route whose body is a msgspec struct declares it with `api.openapi.reads_body` and decodes
    it here. The error names the field as the API's 422s do.
    """
    try:
        decoded = msgspec.json.decode(body, type=body_type)
    except msgspec.ValidationError as exc:
        message = str(exc)
        at = _PATH.search(message)
        path = at.group(1) if at else ""
        named = _NAMED.search(message)
        field = ".".join(part for part in (path, named.group(1) if named else "") if part)
        field = field or "body"
        reason = _PATH.sub("", message)
        raise ValidationFailed(f"Invalid value for '{field}': {reason}", field=field) from None
    except msgspec.DecodeError:
        raise InvalidRequest("Malformed request body") from None
    if b"\\u0000" in body and (culprit := _text_with_nul(decoded)):
        raise ValidationFailed(
            f"Invalid value for '{culprit}': must not contain a NUL character", field=culprit
        )
    return decoded


def _text_with_nul(value: Any, path: str = "") -> str | None:
    """The path of the first text field holding a NUL character (the document refuses it)."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, list):
        return next((found for item in value if (found := _text_with_nul(item, path))), None)
    if isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            child = f"{path}.{name}" if path else name
            if found := _text_with_nul(getattr(value, name), child):
                return found
    return None
