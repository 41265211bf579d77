"""Real backing services for tests: Redis, livekit-server and PostgreSQL on free loopback ports.

Redis and livekit-server start through `voxroom.launcher`, the same code as `voxroom up`.
A missing binary fails the run with what to install; nothing is skipped silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from litestar import Litestar

from voxroom import launcher
from voxroom.launcher import AGENT_TARGET_LOAD, Component, livekit_redis

BIN_DIR = Path(os.environ.get("VOXROOM_BIN_DIR", Path.home() / ".cache" / "voxroom" / "bin"))
PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
LIVEKIT_KEY = "testkey"
LIVEKIT_SECRET = "test-secret-that-is-at-least-32-characters-long"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_binary(name: str, hint: str, extra_dirs: tuple[Path, ...] = ()) -> str:
    for folder in (None, BIN_DIR, *extra_dirs):
        found = shutil.which(name, path=None if folder is None else str(folder))
        if found:
            return found
    pytest.fail(f"{name} is required for these tests but was not found: {hint}", pytrace=False)


def http_ok(url: str) -> Callable[[], bool]:
    return lambda: launcher.http_ok(url)


def port_open(port: int) -> Callable[[], bool]:
    def check() -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    return check


@contextmanager
def started(component: Component, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run `component` (healthy) until the block ends; its output goes to `log`."""
    child = launcher.start(component, log)
    try:
        yield child.process
    finally:
        launcher.stop(child, timeout_s=10)


def running(
    argv: list[str],
    what: str,
    ready: Callable[[], bool],
    log: Path,
    env: dict[str, str] | None = None,
    timeout_s: float = 30.0,
    *,
    inherit_env: bool = True,
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    """Run `argv` until the block ends; `env` adds to this process's environment unless
    `inherit_env` is False, when it is the whole environment."""
    component = Component(
        what, argv, dict(env or {}), ready=ready, start_timeout_s=timeout_s, inherit_env=inherit_env
    )
    return started(component, log)


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    binary = require_binary("redis-server", "apt-get install redis-server (or `make deps`)")
    port = free_port()
    server = launcher.redis_server(binary, port, workdir, persist=False)
    with started(server, workdir / "redis.log"):
        yield f"redis://127.0.0.1:{port}/0"


@dataclass(frozen=True)
class LiveKit:
    url: str
    api_key: str
    api_secret: str
    config_path: Path
    redis_url: str | None


def livekit_config(
    http_port: int,
    tcp_port: int,
    udp_port: int,
    redis_url: str | None,
    webhook_url: str | None = None,
) -> str:
    """A livekit-server config on loopback only, the same rules as the shipped livekit.yaml."""
    lines = [
        f"port: {http_port}",
        "bind_addresses: [127.0.0.1]",
        "rtc:",
        f"  tcp_port: {tcp_port}",
        f"  udp_port: {udp_port}",
        "  node_ip: 127.0.0.1",
        "  use_external_ip: false",
        "  enable_loopback_candidate: true",
        "  interfaces:",
        "    includes: [lo]",
        "room:",
        # As livekit.yaml: on, or livekit-sip cannot join an inbound call's room.
        "  auto_create: true",
        # As livekit.yaml: workers report load = calls / capacity, offered jobs below 1.0.
        "agents:",
        f"  target_load: {AGENT_TARGET_LOAD}",
        "logging:",
        "  level: warn",
    ]
    if redis_url:
        lines += ["redis:", *(f"  {k}: {v}" for k, v in livekit_redis(redis_url).items())]
    if webhook_url:
        lines += ["webhook:", f"  api_key: {LIVEKIT_KEY}", "  urls:", f"    - {webhook_url}"]
    return "\n".join(lines) + "\n"


@contextmanager
def livekit_server(
    workdir: Path, redis_url: str | None = None, webhook_url: str | None = None
) -> Iterator[LiveKit]:
    """A real livekit-server on free loopback ports, keys LIVEKIT_KEY / LIVEKIT_SECRET.

    `redis_url` (e.g. from `redis_server`): run it with that Redis as its message bus and room
    store, as `voxroom up` does and as livekit-sip needs (livekit-sip reaches livekit-server
    only through Redis: give it the same URL). Without it, livekit-server runs single-node.
    Never share that Redis with a fixture that flushes it between tests: LiveKit keeps its
    node and room state there. `webhook_url`: where LiveKit posts its webhooks.
    """
    binary = require_binary(
        "livekit-server",
        "run `make deps` (go install github.com/livekit/livekit-server/cmd/server@v1.13.5)",
    )
    http_port, tcp_port, udp_port = free_port(), free_port(), free_port()
    config = workdir / "livekit.yaml"
    config.write_text(livekit_config(http_port, tcp_port, udp_port, redis_url, webhook_url))
    url = f"http://127.0.0.1:{http_port}"
    server = launcher.livekit_server(
        binary, config, url, api_key=LIVEKIT_KEY, api_secret=LIVEKIT_SECRET, redis_url=redis_url
    )
    with started(server, workdir / "livekit.log"):
        yield LiveKit(url, LIVEKIT_KEY, LIVEKIT_SECRET, config, redis_url)


@contextmanager
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster; yields an admin URL (database `postgres`)."""
    hint = "apt-get install postgresql (or `make deps`)"
    initdb = require_binary("initdb", hint, tuple(PG_BIN_DIRS))
    pg_ctl = require_binary("pg_ctl", hint, tuple(PG_BIN_DIRS))
    workdir = Path(tempfile.mkdtemp(prefix="voxroom-pg-"))
    data = workdir / "data"
    # PostgreSQL refuses to run as root: run it as the `postgres` system user then.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(workdir, "postgres")
    port = free_port()
    subprocess.run(
        [
            *as_user,
            initdb,
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [
            *as_user,
            pg_ctl,
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(workdir / "pg.log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)


@asynccontextmanager
async def served(app: Litestar) -> AsyncIterator[str]:
    """The app behind a real uvicorn server in this event loop (the test client handles one
    request at a time, so concurrency needs a server)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(30):
        while not server.started:
            assert not task.done(), "uvicorn did not start"
            await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
