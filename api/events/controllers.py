"""`/ws/monitor`: live events of the key's project (API.md, "Monitoring WebSocket")."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from api.auth import READ, authenticate, check_scope, extract_api_key
from api.deps import resources_of
from api.errors import ApiError
from api.events.monitor import MonitorConnection, MonitorHub

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4001
CLOSE_FORBIDDEN = 4003
CLOSE_RATE_LIMITED = 4029
CLOSE_TOO_SLOW = 1013
"""Try again later: the connection fell more than a queue behind (reconnect with `since`)."""


async def _read_client(
    socket: WebSocket[Any, Any, Any], queue: asyncio.Queue[dict[str, Any]]
) -> None:
    try:
        while True:
            text = await socket.receive_text()
            try:
                message: object = json.loads(text)
            except ValueError:
                message = None
            await queue.put({"kind": "client", "message": message})
    except WebSocketDisconnect:
        pass
    except Exception:
        # Whatever broke the read (a binary frame, a protocol error) ends the connection
        # instead of leaving its writer waiting forever.
        logger.warning("monitor connection read failed", exc_info=True)
    await queue.put({"kind": "closed"})


@websocket("/ws/monitor", name="monitor")
async def monitor(socket: WebSocket[Any, Any, Any]) -> None:
    """Subscribe with `{"action": "subscribe", "channel": "rooms" | "room:<name>" |
    "session:<id>", "since": <seq>?}`; events arrive as `{"type", "channel", "seq", "data",
    "timestamp"}` (plus `subscribed`, `unsubscribed` and `error` notices)."""
    resources = resources_of(socket)
    raw_key = socket.query_params.get("api_key") or extract_api_key(socket.scope)
    client = socket.scope.get("client") or ("unknown", 0)
    principal, decision = await authenticate(resources, raw_key, client[0])
    await socket.accept()
    if not decision.allowed:
        await socket.close(CLOSE_RATE_LIMITED, "rate limit exceeded")
        return
    if principal is None:
        await socket.close(CLOSE_UNAUTHORIZED, "invalid or missing API key")
        return
    try:
        check_scope(principal, READ)
    except ApiError:
        await socket.close(CLOSE_FORBIDDEN, "the key lacks the read scope")
        return
    hub: MonitorHub = socket.app.state.monitor_hub
    queue = hub.register(principal.project_id)
    connection = MonitorConnection(
        project_id=principal.project_id,
        room_prefix=principal.room_prefix,
        sessions=resources.sessions,
        send=socket.send_json,
    )
    reader = asyncio.create_task(_read_client(socket, queue))
    try:
        while True:
            item = await queue.get()
            if item["kind"] == "event":
                await connection.handle_event(item["event"])
            elif item["kind"] == "client":
                await connection.handle_client(item["message"])
            elif item["kind"] == "overflow":
                await socket.close(CLOSE_TOO_SLOW, "fell behind; reconnect with since")
                break
            else:
                break
    except WebSocketDisconnect:
        pass
    finally:
        hub.unregister(principal.project_id, queue)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
            await reader
