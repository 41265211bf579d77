"""`voxroom up`: start every component as a child, wait for health, stop all cleanly."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from urllib.parse import urlparse

from redis import Redis

from api.bootstrap import create_project_key, has_projects
from api.migrate import upgrade
from api.projects.schemas import Scope
from api.settings import SECRETS_FILE, ApiSettings
from voxroom.launcher import livekit_redis_env

LIVEKIT_CONFIG = Path("livekit.yaml")
WORKER_HEALTH_PORT = 8081
INSTALL_HINT = {
    "redis-server": "install Redis (Debian: apt-get install redis-server), or run `make run`",
    "livekit-server": (
        "install Go and run `make run` (it builds livekit-server v1.13.5 with go install), "
        "or put a livekit-server binary on PATH"
    ),
    "livekit-sip": "run `make sip` (needs Go, libopus-dev, libopusfile-dev, libsoxr-dev)",
}


class SupervisorError(Exception):
    """A component could not be found or started; the message says what to do."""


@dataclass
class Child:
    name: str
    argv: list[str]
    healthy: Callable[[], bool]
    env: dict[str, str] = field(default_factory=dict)
    start_timeout_s: float = 60.0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None


def ensure_secrets(state_dir: Path) -> None:
    """On first run, write a strong LiveKit secret for this installation (kept out of git)."""
    if os.environ.get("LIVEKIT_API_SECRET") or ApiSettings().livekit_api_secret.get_secret_value():
        return
    state_dir.mkdir(parents=True, exist_ok=True)
    SECRETS_FILE.touch(mode=0o600)
    with SECRETS_FILE.open("a") as handle:
        handle.write(f"LIVEKIT_API_SECRET={secrets.token_urlsafe(36)}\n")


def find_binary(name: str, bin_dir: Path) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(bin_dir))
    if found is None:
        raise SupervisorError(f"{name} was not found: {INSTALL_HINT[name]}.")
    return found


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - fixed local URL
            return bool(response.status == 200)
    except OSError:
        return False


def _redis_ok(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_timeout=1).ping())
    except OSError:
        return False
    except Exception:
        return False


class Supervisor:
    def __init__(self, *, with_worker: bool = True, with_sip: bool = False) -> None:
        self.with_worker = with_worker
        self.with_sip = with_sip
        self.children: list[Child] = []
        self.stopping = False

    def _children(self, settings: ApiSettings) -> list[Child]:
        logs = settings.state_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        redis_url = urlparse(settings.redis_url)
        secret = settings.require_livekit_secret()
        shared_env = {
            "LIVEKIT_URL": settings.livekit_url,
            "LIVEKIT_API_KEY": settings.livekit_api_key,
            "LIVEKIT_API_SECRET": secret,
            "REDIS_URL": settings.redis_url,
        }
        voxroom = [sys.executable, "-m", "api"]
        children = [
            Child(
                "redis",
                [
                    find_binary("redis-server", settings.bin_dir),
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(redis_url.port or 6379),
                    "--dir",
                    str((settings.state_dir).resolve()),
                    "--dbfilename",
                    "redis.rdb",
                    "--save",
                    "60 1",
                ],
                lambda: _redis_ok(settings.redis_url),
            ),
            Child(
                "livekit",
                [find_binary("livekit-server", settings.bin_dir), "--config", str(LIVEKIT_CONFIG)],
                lambda: _http_ok(settings.livekit_url),
                # Same Redis as the control plane (livekit-sip and other LiveKit nodes meet there);
                # the address in livekit.yaml is overridden by these.
                env={
                    "LIVEKIT_KEYS": f"{settings.livekit_api_key}: {secret}",
                    **livekit_redis_env(settings.redis_url),
                },
            ),
            Child("api", [*voxroom, "api"], lambda: _http_ok(f"{settings.api_base_url}/healthz")),
        ]
        if self.with_worker:
            children.append(
                Child(
                    "worker",
                    [*voxroom, "worker"],
                    # 200 only once LiveKit accepted the worker: only then are calls routed to it.
                    lambda: _http_ok(f"http://127.0.0.1:{WORKER_HEALTH_PORT}/"),
                    env={
                        "LIVEKIT_URL": settings.client_ws_url,
                        "VOXROOM_WORKER_HTTP_PORT": str(WORKER_HEALTH_PORT),
                    },
                    # First start assembles the offline models; later starts take seconds.
                    start_timeout_s=300.0,
                )
            )
        for child in children:
            # Child-specific values win over the shared ones (the worker's LiveKit URL is ws://).
            child.env = {**os.environ, **shared_env, **child.env}
            child.log_path = logs / f"{child.name}.log"
        return children

    def _start(self, child: Child) -> None:
        timeout_s = child.start_timeout_s
        log_path = child.log_path or Path(os.devnull)
        log = log_path.open("ab")
        print(f"  starting {child.name} ...", flush=True)
        # Own session: the terminal's Ctrl-C reaches only us, and we stop children in order.
        child.process = subprocess.Popen(  # noqa: S603 - argv built from found binaries
            child.argv, env=child.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.children.append(child)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not self.stopping:
            if child.process.poll() is not None:
                raise SupervisorError(
                    f"{child.name} exited with code {child.process.returncode}; "
                    f"see {log_path}:\n{_tail(log_path)}"
                )
            if child.healthy():
                return
            time.sleep(0.3)
        if not self.stopping:
            raise SupervisorError(
                f"{child.name} did not become healthy in {timeout_s:.0f} s; see {child.log_path}"
            )

    def _stop_all(self) -> None:
        for child in reversed(self.children):
            if child.process and child.process.poll() is None:
                child.process.terminate()
        for child in reversed(self.children):
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
        self.children.clear()

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
        try:
            for child in self._children(settings):
                self._start(child)
                if self.stopping:
                    return 0
            self._first_run(settings)
            self._print_urls(settings)
            while not self.stopping:
                for child in self.children:
                    if child.process is not None and child.process.poll() is not None:
                        print(f"{child.name} exited unexpectedly; see {child.log_path}", flush=True)
                        return 1
                time.sleep(0.5)
            return 0
        finally:
            print("Voxroom: stopping ...", flush=True)
            self._stop_all()
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


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
