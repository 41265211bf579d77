"""The worker's health endpoint: 200 only once LiveKit has accepted the worker.

livekit-agents' own HTTP server answers `GET /` with 200 as soon as it listens, before the
worker has registered with LiveKit, and its `/worker` says nothing about registration. LiveKit
does not hold an explicit dispatch for a worker that registers later, so a launcher must wait
for registration: this endpoint is what it polls.
"""

from __future__ import annotations

import json

from aiohttp import web
from livekit.agents import AgentServer


class HealthEndpoint:
    """`GET /`: 503 `{"registered": false}` until LiveKit accepted the worker, then 200 with
    the worker id, active calls and capacity."""

    def __init__(self, server: AgentServer, capacity: int, host: str, port: int) -> None:
        self._server = server
        self._capacity = capacity
        self._host = host
        self._port = port
        self._worker_id: str | None = None
        self._runner: web.AppRunner | None = None
        server.on("worker_registered", self._on_registered)

    def _on_registered(self, worker_id: str, _server_info: object) -> None:
        self._worker_id = worker_id

    async def _health(self, _request: web.Request) -> web.Response:
        if self._worker_id is None:
            return web.json_response({"registered": False}, status=503)
        body = {
            "registered": True,
            "worker_id": self._worker_id,
            "active_jobs": len(self._server.active_jobs),
            "capacity": self._capacity,
        }
        return web.Response(text=json.dumps(body), content_type="application/json")

    async def start(self) -> None:
        app = web.Application()
        app.add_routes([web.get("/", self._health)])
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()

    async def aclose(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
