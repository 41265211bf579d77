"""Correct `Allow` headers on OPTIONS responses.

Litestar 2's automatic OPTIONS handler lists the methods of the route as it was when the
path's first handler was registered, so `OPTIONS /agents` says `OPTIONS, POST` and omits GET
(litestar#4169, fixed only in Litestar 3). This before_send hook rewrites the header from the
app's final routes. Remove it when Litestar is upgraded to 3.
"""

from __future__ import annotations

from litestar.routes import HTTPRoute
from litestar.types import Message, Scope


class OptionsAllowHeader:
    def __init__(self) -> None:
        self._allow_by_path: dict[str, bytes] | None = None

    def _allow(self, scope: Scope) -> bytes | None:
        if self._allow_by_path is None:
            self._allow_by_path = {
                route.path_format: ", ".join(sorted(route.methods)).encode()
                for route in scope["app"].routes
                if isinstance(route, HTTPRoute)
            }
        return self._allow_by_path.get(scope.get("path_template", ""))

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
            return
        if (allow := self._allow(scope)) is not None:
            headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"allow"]
            message["headers"] = [*headers, (b"allow", allow)]
