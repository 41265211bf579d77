from __future__ import annotations

import asyncio
from typing import Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from livekit import api as lk
from sqlalchemy import text

from api.resources import Resources


async def _check(name: str, probe: Any) -> tuple[str, str]:
    try:
        await asyncio.wait_for(probe, timeout=2.0)
    except Exception:
        return name, "unavailable"
    return name, "ok"


class HealthController(Controller):
    tags = ["health"]

    @get("/healthz", operation_id="healthz")
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", operation_id="readyz")
    async def readyz(self, resources: NamedDependency[Resources]) -> Response[dict[str, Any]]:
        async def database() -> None:
            async with resources.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))

        checks = dict(
            await asyncio.gather(
                _check("database", database()),
                _check("redis", resources.redis.ping()),
                _check("livekit", resources.livekit.room.list_rooms(lk.ListRoomsRequest())),
            )
        )
        ready = all(state == "ok" for state in checks.values())
        body: dict[str, Any] = {"status": "ready" if ready else "unavailable", "checks": checks}
        if not ready:
            body |= {"error": "A dependency is unavailable", "code": "UNAVAILABLE"}
        return Response(body, status_code=200 if ready else 503)
