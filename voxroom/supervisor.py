"""`voxroom up`: start every component as a child, wait for health, stop all cleanly."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import time
from pathlib import Path
from types import FrameType
from urllib.parse import urlparse

from api.bootstrap import create_project_key, has_projects
from api.migrate import upgrade
from api.projects.schemas import Scope
from api.settings import SECRETS_FILE, ApiSettings
from voxroom import launcher
from voxroom.launcher import Component, Launcher

LIVEKIT_CONFIG = Path("livekit.yaml")
WORKER_HEALTH_PORT = 8081


def ensure_secrets(state_dir: Path) -> None:
    """On first run, write a strong LiveKit secret for this installation (kept out of git)."""
    if os.environ.get("LIVEKIT_API_SECRET") or ApiSettings().livekit_api_secret.get_secret_value():
        return
    state_dir.mkdir(parents=True, exist_ok=True)
    SECRETS_FILE.touch(mode=0o600)
    with SECRETS_FILE.open("a") as handle:
        handle.write(f"LIVEKIT_API_SECRET={secrets.token_urlsafe(36)}\n")


def components(settings: ApiSettings, *, with_worker: bool = True) -> list[Component]:
    """The platform as `voxroom up` runs it, in start order."""
    secret = settings.require_livekit_secret()
    shared_env = {
        "LIVEKIT_URL": settings.livekit_url,
        "LIVEKIT_API_KEY": settings.livekit_api_key,
        "LIVEKIT_API_SECRET": secret,
        "REDIS_URL": settings.redis_url,
    }
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    platform = [
        launcher.redis_server(
            launcher.find_binary("redis-server", settings.bin_dir),
            urlparse(settings.redis_url).port or 6379,
            settings.state_dir,
            persist=True,
        ),
        launcher.livekit_server(
            launcher.find_binary("livekit-server", settings.bin_dir),
            LIVEKIT_CONFIG,
            settings.livekit_url,
            api_key=settings.livekit_api_key,
            api_secret=secret,
            redis_url=settings.redis_url,
        ),
        launcher.control_plane(settings.api_port, shared_env, host=settings.api_host),
    ]
    if with_worker:
        # Workers dial LiveKit over WebSocket.
        worker_env = {**shared_env, "LIVEKIT_URL": settings.client_ws_url}
        platform.append(launcher.agent_worker(WORKER_HEALTH_PORT, worker_env))
    return platform


class Supervisor:
    def __init__(self, *, with_worker: bool = True) -> None:
        self.with_worker = with_worker
        self.stopping = False

    def _on_signal(self, signum: int, _: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        settings = ApiSettings()
        ensure_secrets(settings.state_dir)
        settings = ApiSettings()
        print("Voxroom: migrating database ...", flush=True)
        upgrade(settings.database_url)
        platform = components(settings, with_worker=self.with_worker)
        children = Launcher(
            settings.state_dir / "logs",
            append_logs=True,
            own_session=True,
            cancelled=lambda: self.stopping,
        )
        try:
            for component in platform:
                print(f"  starting {component.name} ...", flush=True)
                children.start(component)
                if self.stopping:
                    return 0
            self._first_run(settings)
            self._print_urls(settings)
            while not self.stopping:
                for child in children.running:
                    if child.process.poll() is not None:
                        print(f"{child.name} exited unexpectedly; see {child.log_path}", flush=True)
                        return 1
                time.sleep(0.5)
            return 0
        finally:
            print("Voxroom: stopping ...", flush=True)
            children.stop_all()
            print("Voxroom: stopped.", flush=True)

    def _first_run(self, settings: ApiSettings) -> None:
        if asyncio.run(has_projects(settings.database_url)):
            return
        project_id, api_key = asyncio.run(
            create_project_key(settings.database_url, "default", Scope.ADMIN, "first key")
        )
        print(
            "\nFirst run: created project 'default' "
            f"({project_id}) and an admin API key. It is shown only now:\n\n    {api_key}\n",
            flush=True,
        )

    def _print_urls(self, settings: ApiSettings) -> None:
        base = settings.api_base_url
        print(
            "\nVoxroom is up:\n"
            f"  API       {base}/api/v1\n"
            f"  API docs  {base}/schema\n"
            f"  OpenAPI   {base}/schema/openapi.json\n"
            f"  LiveKit   {settings.client_ws_url}\n"
            f"  Logs      {settings.state_dir / 'logs'}/\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
