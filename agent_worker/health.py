"""The worker's health endpoint: 200 only once LiveKit has accepted the worker.

livekit-agents' own HTTP server answers `GET /` with 200 as soon as it listens, before the
worker has registered with LiveKit, and its `/worker` says nothing about registration. LiveKit
does not hold an explicit dispatch for a worker that registers later, so a launcher must wait
for registration: this endpoint is what it polls.
"""

from __future__ import annotations

from aiohttp import web

from .capacity import WorkerPresence


class HealthEndpoint:
    """`GET /`: 503 `{"registered": false}` until the worker is registered with LiveKit (and its
    first heartbeat written), then 200 with its id, active calls and capacity."""

    def __init__(self, presence: WorkerPresence, host: str, port: int) -> None:
        self._presence = presence
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None

    async def _health(self, _request: web.Request) -> web.Response:
        presence = self._presence
        if not presence.ready:
            return web.json_response({"registered": False}, status=503)
        beat = presence.heartbeat()
        return web.json_response(
            {
                "registered": True,
                "worker_id": presence.worker_id,
                "active_jobs": beat.active,
                "capacity": beat.capacity,
            }
        )

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
