"""`voxroom up`: start every component as a child, wait for health, keep them running, stop
all cleanly.

A crashed worker or livekit-sip is restarted with backoff (1, 2, 4, 8 s) and the platform keeps
serving; only
Ctrl-C/SIGTERM, an essential component's exit (Redis, LiveKit, the API), or a child that keeps
crashing (CRASH_LIMIT exits within CRASH_WINDOW_S) stops everything.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from urllib.parse import urlparse

from agent_worker.settings import WorkerSettings
from api.bootstrap import create_project_key, has_projects
from api.migrate import upgrade
from api.projects.schemas import Scope
from api.settings import SECRETS_FILE, ApiSettings
from gateway.contracts import SECRET_ENV as GATEWAY_SECRET_ENV
from gateway.settings import GatewaySettings
from sip import LiveKitEndpoint, SipError, write_bridge_config
from voxroom import launcher
from voxroom.launcher import Component, Launcher, LaunchError, Running

LIVEKIT_CONFIG = Path("livekit.yaml")
WORKER_HEALTH_PORT = 8081
"""The first worker's health port; the next workers take the following ports."""
CRASH_LIMIT = 5
CRASH_WINDOW_S = 60.0
BACKOFF_S = (1.0, 2.0, 4.0, 8.0)


def default_workers() -> int:
    """One worker per two cores, at least one: each worker process runs its own copy of the
    offline models and every call's audio path, which need a core between them."""
    return max(1, (os.cpu_count() or 1) // 2)


def ensure_secrets(state_dir: Path) -> None:
    """On first run, write strong secrets for this installation (kept out of git): LiveKit's,
    and the one the media gateway and the control plane share."""
    missing = []
    if not (
        os.environ.get("LIVEKIT_API_SECRET") or ApiSettings().livekit_api_secret.get_secret_value()
    ):
        missing.append("LIVEKIT_API_SECRET")
    if not GatewaySettings().secret.get_secret_value():
        missing.append(GATEWAY_SECRET_ENV)
    if not missing:
        return
    state_dir.mkdir(parents=True, exist_ok=True)
    SECRETS_FILE.touch(mode=0o600)
    with SECRETS_FILE.open("a") as handle:
        for name in missing:
            handle.write(f"{name}={secrets.token_urlsafe(36)}\n")


def sip_bridge(settings: ApiSettings, api_secret: str) -> Component:
    """livekit-sip on livekit-server's Redis, its config rendered from `settings.sip` into the
    state directory (private: it holds the API secret)."""
    launcher.require_sip_network(launcher.sip_self_addresses())
    binary = launcher.find_binary("livekit-sip", settings.bin_dir)
    endpoint = LiveKitEndpoint(
        # livekit-sip runs next to livekit-server: the local URL, not one given to clients.
        ws_url=settings.livekit_url.replace("https://", "wss://").replace("http://", "ws://"),
        api_key=settings.livekit_api_key,
        api_secret=api_secret,
        redis_url=settings.redis_url,
    )
    try:
        config = write_bridge_config(
            settings.state_dir / "livekit-sip.yaml", settings.sip, endpoint
        )
    except SipError as exc:
        raise LaunchError(f"livekit-sip's configuration: {exc}") from exc
    return launcher.livekit_sip(binary, config, settings.sip.health_port)


def components(
    settings: ApiSettings,
    *,
    workers: int = 1,
    worker_port: int = WORKER_HEALTH_PORT,
    sip: bool = False,
    inference: bool = True,
) -> list[Component]:
    """The platform as `voxroom up` runs it, in start order; livekit-sip with `sip` or
    `VOXROOM_SIP_ENABLED`; with `inference`, the offline models run in one inference service
    for every worker, and workers run each call in a process of its own."""
    if not LIVEKIT_CONFIG.is_file():
        raise LaunchError(
            f"{LIVEKIT_CONFIG} was not found in {Path.cwd()}: run `voxroom up` where it is "
            "(the repository's root) or copy it there."
        )
    secret = settings.require_livekit_secret()
    gateway = GatewaySettings()
    gateway_secret = gateway.require_secret()
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
    ]
    if sip or settings.sip.enabled:
        platform.append(sip_bridge(settings, secret))
    platform += [
        launcher.control_plane(
            settings.api_port,
            # Workers' heartbeats share this Redis: refuse calls no worker has room for
            # (unless the user turned the check off, as the README's fuzzing run does).
            {
                **shared_env,
                "VOXROOM_CHECK_WORKER_CAPACITY": os.environ.get(
                    "VOXROOM_CHECK_WORKER_CAPACITY", "true"
                ),
                GATEWAY_SECRET_ENV: gateway_secret,
            },
            host=settings.api_host,
        ),
    ]
    platform.append(
        launcher.media_gateway(
            gateway.port,
            {
                GATEWAY_SECRET_ENV: gateway_secret,
                "VOXROOM_GATEWAY_CONTROL_PLANE_URL": settings.api_base_url,
            },
        )
    )
    # Workers dial LiveKit over WebSocket.
    worker_env = {**shared_env, "LIVEKIT_URL": settings.client_ws_url}
    if inference and workers:
        port = WorkerSettings().inference_port
        platform.append(launcher.inference_service(port, {}))
        worker_env["VOXROOM_WORKER_INFERENCE_URL"] = launcher.inference_url(port)
        worker_env["VOXROOM_WORKER_JOB_EXECUTOR"] = "process"
    platform += [
        launcher.agent_worker(worker_port + index, worker_env, name=f"worker-{index + 1}")
        for index in range(workers)
    ]
    return platform


@dataclass
class Watch:
    """What the supervisor knows of one child between polls."""

    crashes: deque[float] = field(default_factory=deque)
    restart_at: float | None = None
    recovering_until: float | None = None


class Supervisor:
    def __init__(
        self,
        *,
        workers: int = 1,
        worker_port: int = WORKER_HEALTH_PORT,
        sip: bool = False,
        inference: bool = True,
    ) -> None:
        self.workers = workers
        self.worker_port = worker_port
        self.sip = sip
        self.inference = inference
        self.stopping = False

    def _on_signal(self, signum: int, _: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        settings = ApiSettings()
        ensure_secrets(settings.state_dir)
        settings = ApiSettings()
        platform = components(
            settings,
            workers=self.workers,
            worker_port=self.worker_port,
            sip=self.sip,
            inference=self.inference,
        )
        print("Voxroom: migrating database ...", flush=True)
        upgrade(settings.database_url)
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
            return self._watch(children)
        finally:
            print("Voxroom: stopping ...", flush=True)
            children.stop_all()
            print("Voxroom: stopped.", flush=True)

    def _watch(self, children: Launcher) -> int:
        """Keep children running until a signal; 1 if the platform cannot go on."""
        watches = {child.name: Watch() for child in children.running}
        while not self.stopping:
            now = time.monotonic()
            for child in list(children.running):
                if not self._check(children, child, watches[child.name], now):
                    return 1
            time.sleep(0.5)
        return 0

    def _check(self, children: Launcher, child: Running, watch: Watch, now: float) -> bool:
        """Restart `child` if it is due; notice if it crashed or came back. False: give up."""
        if watch.restart_at is not None:
            if now >= watch.restart_at:
                watch.restart_at = None
                children.respawn(child)
                watch.recovering_until = now + child.component.start_timeout_s
            return True
        if child.process.poll() is None:
            if watch.recovering_until is not None:
                if child.component.healthy():
                    watch.recovering_until = None
                    say(f"{child.name} is running again.")
                elif now > watch.recovering_until:
                    say(f"{child.name} did not become healthy after its restart.")
                    child.process.kill()
            return True
        watch.recovering_until = None
        code = child.process.returncode
        if not child.component.restart:
            say(
                f"{child.name} exited (code {code}); Voxroom cannot run without it. "
                f"See {child.log_path}"
            )
            return False
        watch.crashes.append(now)
        while watch.crashes and now - watch.crashes[0] > CRASH_WINDOW_S:
            watch.crashes.popleft()
        if len(watch.crashes) >= CRASH_LIMIT:
            say(
                f"{child.name} crashed {len(watch.crashes)} times in {CRASH_WINDOW_S:.0f} s; "
                f"giving up. See {child.log_path}"
            )
            return False
        delay = BACKOFF_S[min(len(watch.crashes), len(BACKOFF_S)) - 1]
        say(
            f"{child.name} exited (code {code}); restarting it in {delay:.0f} s. "
            f"See {child.log_path}"
        )
        watch.restart_at = now + delay
        return True

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
        sip = settings.sip
        print(
            "\nVoxroom is up:\n"
            f"  API       {base}/api/v1\n"
            f"  API docs  {base}/schema\n"
            f"  OpenAPI   {base}/schema/openapi.json\n"
            f"  LiveKit   {settings.client_ws_url}\n"
            f"  Voice WS  {settings.gateway_public_url.rstrip('/')}/ws/voice\n"
            + (
                f"  SIP       {sip.listen_ip}:{sip.port} (UDP and TCP)\n"
                if self.sip or sip.enabled
                else ""
            )
            + f"  Logs      {settings.state_dir / 'logs'}/\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )


def say(message: str) -> None:
    print(f"Voxroom: {message}", flush=True)
