"""Start the platform's components as child processes and wait until each is healthy.

`voxroom up`, the test fixtures and the benchmarks start Redis, livekit-server, the control
plane and agent workers through this module, so all of them run the same commands. A component
is a name, a command, an environment and a health check (a URL that answers 200, or a
callable); adding one (livekit-sip, the media gateway) is one more `Component`.
"""

from __future__ import annotations

import ctypes
import functools
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import psutil
from redis import Redis
from redis.exceptions import RedisError

AGENT_TARGET_LOAD = 1.0
"""livekit-server's `agents.target_load`: it offers a job only to workers whose load is below
it. Workers report load = active calls / capacity, so 1.0 means "has a free slot" (LiveKit's
default 0.7 would refuse a worker with 6 of 8 slots taken)."""

_PR_SET_PDEATHSIG = 1
"""prctl option: the signal a child gets when its parent dies (Linux)."""

INSTALL_HINT = {
    "redis-server": "install Redis (Debian: apt-get install redis-server), or run `make deps`",
    "livekit-server": (
        "install Go and run `make deps` (it builds livekit-server v1.13.5 with go install), "
        "or put a livekit-server binary on PATH"
    ),
    "livekit-sip": (
        "install Go and run `make livekit-sip` (it builds livekit-sip v1.8.0 from sip/build), "
        "or put a livekit-sip binary on PATH"
    ),
}


class LaunchError(RuntimeError):
    """A component could not be found or did not become healthy; the message says why."""


@dataclass
class Component:
    """One child process: what to run and how to know it serves."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    """Added to the parent's environment, or the whole environment if not `inherit_env`."""
    health_url: str | None = None
    """Healthy once a GET answers 200."""
    ready: Callable[[], bool] | None = None
    """Healthy once this returns True (for components without an HTTP endpoint)."""
    start_timeout_s: float = 60.0
    stop_timeout_s: float = 15.0
    """How long SIGTERM may take before SIGKILL."""
    restart: bool = False
    """`voxroom up` restarts it when it crashes; the others are essential and stop the platform."""
    inherit_env: bool = True

    def healthy(self) -> bool:
        if self.ready is not None:
            return self.ready()
        if self.health_url is not None:
            return http_ok(self.health_url)
        return True


@dataclass
class Running:
    component: Component
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def name(self) -> str:
        return self.component.name


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback URL
            return bool(response.status == 200)
    except OSError:
        return False


def redis_ok(url: str) -> bool:
    try:
        with Redis.from_url(url, socket_timeout=1) as client:
            return bool(client.ping())
    except (OSError, RedisError):
        return False


def find_binary(name: str, bin_dir: Path, hint: str | None = None) -> str:
    """`name` on PATH or in `bin_dir` (where `make deps` builds LiveKit's binaries)."""
    found = shutil.which(name) or shutil.which(name, path=str(bin_dir))
    if found is None:
        raise LaunchError(f"{name} was not found: {hint or INSTALL_HINT.get(name, '')}.")
    return found


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def spawn(
    component: Component, log_path: Path, *, append_log: bool = False, own_session: bool = False
) -> Running:
    """Start `component` with its output in `log_path`, without waiting for it.

    `own_session` puts the child in its own session, so a terminal's Ctrl-C reaches only the
    launcher, which then stops children in order; such a child also gets SIGTERM if the
    launcher dies without stopping it (killed), instead of holding its ports as an orphan.
    """
    env = {**os.environ, **component.env} if component.inherit_env else dict(component.env)
    # Linux delivers the death signal when the forking *thread* exits: only the supervisor's
    # children ask for it (it starts them from its main thread).
    die_with_parent = None
    if own_session and sys.platform == "linux":
        # Looked up here: the child, between fork and exec, only makes the call.
        die_with_parent = functools.partial(
            ctypes.CDLL(None).prctl, _PR_SET_PDEATHSIG, signal.SIGTERM
        )
    with log_path.open("ab" if append_log else "wb") as log:
        process = subprocess.Popen(  # noqa: S603 - argv built from found binaries
            component.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=own_session,
            preexec_fn=die_with_parent,
        )
    return Running(component, process, log_path)


def start(
    component: Component,
    log_path: Path,
    *,
    append_log: bool = False,
    own_session: bool = False,
    cancelled: Callable[[], bool] = lambda: False,
) -> Running:
    """Start `component` and wait until it is healthy.

    Stops the child and raises LaunchError if it exits or stays unhealthy; returns early,
    unhealthy, once `cancelled()` is true.
    """
    running = spawn(component, log_path, append_log=append_log, own_session=own_session)
    try:
        wait_healthy(running, cancelled)
    except BaseException:
        stop(running)
        raise
    return running


def wait_healthy(running: Running, cancelled: Callable[[], bool] = lambda: False) -> None:
    component = running.component
    deadline = time.monotonic() + component.start_timeout_s
    while time.monotonic() < deadline and not cancelled():
        if running.process.poll() is not None:
            raise LaunchError(
                f"{component.name} exited with code {running.process.returncode}; "
                f"see {running.log_path}:\n{tail(running.log_path)}"
            )
        if component.healthy():
            return
        time.sleep(0.2)
    if not cancelled():
        raise LaunchError(
            f"{component.name} did not become healthy in {component.start_timeout_s:.0f} s; "
            f"see {running.log_path}:\n{tail(running.log_path)}"
        )


def stop(running: Running, timeout_s: float = 15.0) -> None:
    """SIGTERM, then SIGKILL after `timeout_s`."""
    process = running.process
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Launcher:
    """Components started in order, stopped in reverse order."""

    def __init__(
        self,
        log_dir: Path,
        *,
        append_logs: bool = False,
        own_session: bool = False,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> None:
        self.log_dir = log_dir
        self.running: list[Running] = []
        self._append_logs = append_logs
        self._own_session = own_session
        self._cancelled = cancelled

    def start(self, component: Component) -> Running:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        running = start(
            component,
            self.log_dir / f"{component.name}.log",
            append_log=self._append_logs,
            own_session=self._own_session,
            cancelled=self._cancelled,
        )
        self.running.append(running)
        return running

    def respawn(self, running: Running) -> Running:
        """Start an exited component again in its place, its log continuing; returns at once
        (poll `component.healthy()` to know when it serves again)."""
        stop(running)
        fresh = spawn(
            running.component, running.log_path, append_log=True, own_session=self._own_session
        )
        self.running[self.running.index(running)] = fresh
        return fresh

    def stop_all(self) -> None:
        """One at a time, last started first: workers drain their calls while LiveKit, the
        API and Redis still serve them."""
        for running in reversed(self.running):
            stop(running, running.component.stop_timeout_s)
        self.running.clear()

    def __enter__(self) -> Launcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()


# The platform's components. Each takes what differs between `voxroom up` and tests.


def redis_server(binary: str, port: int, data_dir: Path, *, persist: bool) -> Component:
    """Redis on loopback; `persist` keeps a dump in `data_dir` (`voxroom up`), tests keep none."""
    argv = [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(data_dir.resolve())]
    if persist:
        argv += ["--dbfilename", "redis.rdb", "--save", "60 1"]
    else:
        argv += ["--save", "", "--appendonly", "no"]
    return Component("redis", argv, ready=lambda: redis_ok(f"redis://127.0.0.1:{port}/0"))


def livekit_server(
    binary: str,
    config: Path,
    url: str,
    *,
    api_key: str,
    api_secret: str,
    redis_url: str | None,
) -> Component:
    """livekit-server with `config`; with `redis_url`, that Redis is its bus and room store
    (the address in the config file is overridden)."""
    env = {"LIVEKIT_KEYS": f"{api_key}: {api_secret}"}
    if redis_url is not None:
        env.update(livekit_redis_env(redis_url))
    return Component("livekit", [binary, "--config", str(config)], env, health_url=url)


def control_plane(
    port: int,
    env: Mapping[str, str],
    *,
    host: str = "127.0.0.1",
    processes: int | None = None,
    inherit_env: bool = True,
) -> Component:
    """The control plane; `processes` None leaves it to VOXROOM_API_PROCESSES (default 1)."""
    argv = [sys.executable, "-m", "voxroom", "api", "--host", host, "--port", str(port)]
    if processes is not None:
        argv += ["--processes", str(processes)]
    return Component(
        "api",
        argv,
        dict(env),
        health_url=f"http://{host}:{port}/healthz",
        inherit_env=inherit_env,
    )


def agent_worker(
    health_port: int, env: Mapping[str, str], *, name: str = "worker", inherit_env: bool = True
) -> Component:
    """An agent worker; healthy once LiveKit accepted it (its health endpoint answers 200 only
    then, and LiveKit does not hold a dispatch for a worker that registers later)."""
    return Component(
        name,
        [sys.executable, "-m", "voxroom", "worker"],
        {**env, "VOXROOM_WORKER_HTTP_PORT": str(health_port)},
        health_url=f"http://127.0.0.1:{health_port}/",
        # The first start on a machine assembles the offline models; later ones take seconds.
        start_timeout_s=300.0,
        # SIGTERM drains: calls in progress get this long to finish.
        stop_timeout_s=30.0,
        restart=True,
        inherit_env=inherit_env,
    )


def inference_service(port: int, env: Mapping[str, str], *, inherit_env: bool = True) -> Component:
    """The machine's inference service (Whisper, Piper, local LLM loaded once for every
    worker); workers reach it at `inference_url(port)`. A crash fails the calls' model requests
    until it is back: it is restarted like a worker."""
    return Component(
        "inference",
        [sys.executable, "-m", "voxroom", "inference"],
        {**env, "VOXROOM_WORKER_INFERENCE_PORT": str(port)},
        health_url=f"{inference_url(port)}/healthz",
        # The first start on a machine assembles the offline models.
        start_timeout_s=300.0,
        restart=True,
        inherit_env=inherit_env,
    )


def inference_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def livekit_sip(binary: str, config: Path, health_port: int) -> Component:
    """livekit-sip with the config `sip.write_bridge_config` wrote, healthy once its health
    port answers 200. It exits with status 0 even on a fatal error (Redis gone, port taken), so
    any exit is a crash: it is restarted with backoff like a worker, calls in progress are lost.
    Its environment is only PATH: it reads `SIP_CONFIG_BODY` and LiveKit's variables too,
    which would override the file."""
    return Component(
        "livekit-sip",
        [binary, "--config", str(config)],
        {"PATH": os.environ.get("PATH", "")},
        health_url=f"http://127.0.0.1:{health_port}/",
        # SIGTERM: it stops taking calls and hangs up those in progress.
        stop_timeout_s=10.0,
        restart=True,
        inherit_env=False,
    )


def sip_self_addresses() -> list[str]:
    """IPv4 addresses outside 127.0.0.0/8 on interfaces that are up and not loopback: the
    addresses livekit-sip's SIP stack (sipgo's ResolveSelfIP) accepts as its own."""
    stats = psutil.net_if_stats()
    found = []
    for name, addresses in psutil.net_if_addrs().items():
        stat = stats.get(name)
        if stat is None or not stat.isup or "loopback" in stat.flags.split(","):
            continue
        found += [
            a.address
            for a in addresses
            if a.family == socket.AF_INET and not ipaddress.ip_address(a.address).is_loopback
        ]
    return found


def require_sip_network(self_addresses: list[str]) -> None:
    """livekit-sip on a loopback-only host would print "server not connected to any network"
    and exit 0, again and again: say so before starting anything, with the fix."""
    if self_addresses:
        return
    raise LaunchError(
        "livekit-sip cannot start on this host: its SIP stack needs an IPv4 address outside "
        "127.0.0.0/8 on an interface that is up and not loopback, and this host has none "
        "(it still listens on 127.0.0.1 only). Fix: add one that goes nowhere, e.g. as root "
        "`ip link add vxsip0 type veth peer name vxsip1 && ip addr add 192.0.2.1/32 dev "
        "vxsip0 && ip link set vxsip0 up && ip link set vxsip1 up` (192.0.2.0/24 is reserved "
        "for documentation), or run without --sip / VOXROOM_SIP_ENABLED."
    )


def media_gateway(port: int, env: Mapping[str, str], *, inherit_env: bool = True) -> Component:
    """The media gateway (plain WebSocket and Twilio clients); healthy once the control plane
    has ended the calls its previous run left (it takes no call before). `env` carries
    `VOXROOM_GATEWAY_SECRET` and `VOXROOM_GATEWAY_CONTROL_PLANE_URL`."""
    return Component(
        "gateway",
        [sys.executable, "-m", "voxroom", "gateway", "--port", str(port)],
        dict(env),
        health_url=f"http://127.0.0.1:{port}/healthz",
        # A restarted gateway ends its lost calls as failed and serves new ones.
        restart=True,
        inherit_env=inherit_env,
    )


def livekit_redis(redis_url: str) -> dict[str, str]:
    """The `redis:` section of a livekit-server config for `redis_url`."""
    parsed = urlparse(redis_url)
    section = {"address": f"{parsed.hostname or '127.0.0.1'}:{parsed.port or 6379}"}
    db = parsed.path.lstrip("/")
    if db:
        section["db"] = db
    if parsed.username:
        section["username"] = unquote(parsed.username)
    if parsed.password:
        section["password"] = unquote(parsed.password)
    return section


def livekit_redis_env(redis_url: str) -> dict[str, str]:
    """livekit-server's environment for `redis_url`: REDIS_HOST and REDIS_PASSWORD override the
    `redis:` section of its config file (its keys stay in that file's db, 0 by default)."""
    section = livekit_redis(redis_url)
    env = {"REDIS_HOST": section["address"]}
    if "password" in section:
        env["REDIS_PASSWORD"] = section["password"]
    return env
