"""The whole platform for end-to-end tests and benchmarks: real Redis, livekit-server (with
webhooks to the control plane), the control plane and an agent worker, each its own process.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from api.bootstrap import create_project_key
from api.migrate import upgrade
from api.projects.schemas import Scope
from tests.services import LiveKit, free_port, http_ok, livekit_server, redis_server, running

PROVIDER_KEYS = ("OPENAI_API_KEY", "DEEPGRAM_API_KEY", "CARTESIA_API_KEY", "ELEVEN_API_KEY")


@dataclass(frozen=True)
class Stack:
    api_url: str
    livekit: LiveKit
    api_key: str
    project_id: str
    workdir: Path

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}


@contextmanager
def voxroom_stack(workdir: Path, worker_env: dict[str, str] | None = None) -> Iterator[Stack]:
    api_port = free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    database_url = f"sqlite+aiosqlite:///{workdir / 'voxroom.db'}"
    upgrade(database_url)
    project_id, api_key = asyncio.run(
        create_project_key(database_url, "e2e", Scope.ADMIN, plan="enterprise")
    )
    # Offline providers only: a developer's cloud keys must not leak into the tests.
    base_env = {k: v for k, v in os.environ.items() if k not in PROVIDER_KEYS}
    base_env["HF_HUB_OFFLINE"] = "1"
    with ExitStack() as stack:
        redis_url = stack.enter_context(redis_server(workdir))
        livekit = stack.enter_context(
            livekit_server(
                workdir, redis_url, webhook_url=f"{api_url}/internal/v1/livekit/webhook"
            )
        )
        shared = {
            **base_env,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "LIVEKIT_API_KEY": livekit.api_key,
            "LIVEKIT_API_SECRET": livekit.api_secret,
        }
        stack.enter_context(
            running(
                [sys.executable, "-m", "api", "api", "--port", str(api_port)],
                "control plane",
                http_ok(f"{api_url}/healthz"),
                workdir / "api.log",
                env={**shared, "LIVEKIT_URL": livekit.url, "VOXROOM_PUBLIC_API_URL": api_url},
                inherit_env=False,
            )
        )
        worker_port = free_port()
        worker_log = workdir / "worker.log"
        stack.enter_context(
            running(
                [sys.executable, "-m", "api", "worker"],
                "agent worker",
                # 200 once registered: LiveKit does not hold a dispatch for a later worker.
                http_ok(f"http://127.0.0.1:{worker_port}/"),
                worker_log,
                env={
                    **shared,
                    "LIVEKIT_URL": livekit.url.replace("http://", "ws://"),
                    "VOXROOM_WORKER_HTTP_PORT": str(worker_port),
                    **(worker_env or {}),
                },
                # The first start on a machine assembles the offline models.
                timeout_s=300,
                inherit_env=False,
            )
        )
        yield Stack(api_url, livekit, api_key, project_id, workdir)
