"""The whole platform for end-to-end tests and benchmarks: real Redis, livekit-server (on that
Redis, with webhooks to the control plane), the control plane and an agent worker, each its own
process, started by `voxroom.launcher` as `voxroom up` starts them.
"""

from __future__ import annotations

import asyncio
import functools
import os
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from api.bootstrap import create_project_key
from api.migrate import upgrade
from api.projects.schemas import Scope
from tests.services import LiveKit, free_port, livekit_server, redis_server, started
from voxroom import launcher

PROVIDER_KEYS = ("OPENAI_API_KEY", "DEEPGRAM_API_KEY", "CARTESIA_API_KEY", "ELEVEN_API_KEY")


@dataclass(frozen=True)
class Stack:
    api_url: str
    livekit: LiveKit
    api_key: str
    project_id: str
    workdir: Path
    worker_pid: int
    gateway_url: str = ""
    """The media gateway's base URL (http://...); its WebSocket routes are under ws://."""
    gateway_secret: str = ""
    """The secret the gateway and the control plane share (for a test's own gateway)."""
    inference_pid: int | None = None
    """The inference service's process, when the stack runs one (`inference=True`)."""
    inference_url: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}


def _answers(url: str) -> bool:
    """The gateway serves HTTP: its health says 503 until the control plane has ended its
    previous calls, which tests wait for themselves (`gateway_ready`)."""
    try:
        with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback URL
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


@contextmanager
def voxroom_stack(
    workdir: Path, worker_env: dict[str, str] | None = None, *, inference: bool = True
) -> Iterator[Stack]:
    """`inference` (as `voxroom up`): the models run in the machine's inference service,
    started here, and the worker runs each call in a process of its own; `inference=False`:
    the worker loads the models and runs its calls as threads."""
    api_port = free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    gateway_port = free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    gateway_secret = secrets.token_urlsafe(36)
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
            livekit_server(workdir, redis_url, webhook_url=f"{api_url}/internal/v1/livekit/webhook")
        )
        shared = {
            **base_env,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "LIVEKIT_API_KEY": livekit.api_key,
            "LIVEKIT_API_SECRET": livekit.api_secret,
        }
        api = launcher.control_plane(
            api_port,
            {
                **shared,
                "LIVEKIT_URL": livekit.url,
                "VOXROOM_PUBLIC_API_URL": api_url,
                "VOXROOM_RECORDINGS_DIR": str(workdir / "recordings"),
                # As `voxroom up`: a call needs a worker heartbeat with a free slot.
                "VOXROOM_CHECK_WORKER_CAPACITY": "true",
                "VOXROOM_GATEWAY_SECRET": gateway_secret,
                "VOXROOM_GATEWAY_PUBLIC_URL": gateway_url.replace("http://", "ws://"),
            },
            inherit_env=False,
        )
        stack.enter_context(started(api, workdir / "api.log"))
        gateway = launcher.media_gateway(
            gateway_port,
            {
                **base_env,
                "VOXROOM_GATEWAY_SECRET": gateway_secret,
                "VOXROOM_GATEWAY_CONTROL_PLANE_URL": api_url,
            },
            inherit_env=False,
        )
        gateway.ready = functools.partial(_answers, f"{gateway_url}/healthz")
        stack.enter_context(started(gateway, workdir / "gateway.log"))
        inference_pid, inference_url = None, ""
        if inference:
            port = free_port()
            service = launcher.inference_service(port, base_env, inherit_env=False)
            inference_pid = stack.enter_context(started(service, workdir / "inference.log")).pid
            inference_url = launcher.inference_url(port)
        worker_env = {**inference_worker_env(inference_url), **(worker_env or {})}
        worker = launcher.agent_worker(
            free_port(),
            {
                **shared,
                "LIVEKIT_URL": livekit.url.replace("http://", "ws://"),
                **worker_env,
            },
            inherit_env=False,
        )
        worker_process = stack.enter_context(started(worker, workdir / "worker.log"))
        yield Stack(
            api_url,
            livekit,
            api_key,
            project_id,
            workdir,
            worker_process.pid,
            gateway_url,
            gateway_secret,
            inference_pid,
            inference_url,
        )


def inference_worker_env(inference_url: str) -> dict[str, str]:
    """A worker's settings for the stack's inference service: each call in a process."""
    if not inference_url:
        return {}
    return {"VOXROOM_WORKER_INFERENCE_URL": inference_url, "VOXROOM_WORKER_JOB_EXECUTOR": "process"}
