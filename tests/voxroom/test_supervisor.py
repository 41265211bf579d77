"""`voxroom up` as a user runs it: a SIGKILLed worker is restarted while the API keeps serving."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from tests.services import LIVEKIT_KEY, LIVEKIT_SECRET, free_port, livekit_config
from tests.stack import PROVIDER_KEYS
from voxroom.launcher import http_ok

pytestmark = pytest.mark.integration


@dataclass
class Up:
    process: subprocess.Popen[str]
    output: Path
    api_url: str
    worker_url: str

    def said(self, text: str) -> bool:
        return text in self.output.read_text()

    def wait_for(self, text: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.said(text):
            assert self.process.poll() is None, self.output.read_text()
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.output.read_text()}"
            time.sleep(0.2)

    def worker_pid(self) -> int:
        for child in psutil.Process(self.process.pid).children():
            if child.cmdline()[-3:] == ["-m", "voxroom", "worker"]:
                return child.pid
        raise AssertionError("no worker child")


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    """`voxroom up --workers 1` in an empty directory, on free ports."""
    redis_port, api_port, worker_port = free_port(), free_port(), free_port()
    gateway_port, inference_port = free_port(), free_port()
    lk_port, lk_tcp, lk_udp = free_port(), free_port(), free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    api_url = f"http://127.0.0.1:{api_port}"
    (tmp_path / "livekit.yaml").write_text(
        livekit_config(lk_port, lk_tcp, lk_udp, redis_url, f"{api_url}/internal/v1/livekit/webhook")
    )
    env = {k: v for k, v in os.environ.items() if k not in PROVIDER_KEYS}
    env |= {
        "HF_HUB_OFFLINE": "1",
        "REDIS_URL": redis_url,
        "LIVEKIT_URL": f"http://127.0.0.1:{lk_port}",
        "LIVEKIT_API_KEY": LIVEKIT_KEY,
        "LIVEKIT_API_SECRET": LIVEKIT_SECRET,
        "VOXROOM_API_PORT": str(api_port),
        "VOXROOM_GATEWAY_PORT": str(gateway_port),
        "VOXROOM_GATEWAY_PUBLIC_URL": f"ws://127.0.0.1:{gateway_port}",
        "VOXROOM_WORKER_INFERENCE_PORT": str(inference_port),
    }
    output = tmp_path / "up.out"
    argv = [sys.executable, "-m", "voxroom", "up", "--workers", "1"]
    with output.open("w") as out:
        process = subprocess.Popen(
            [*argv, "--worker-port", str(worker_port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    running = Up(process, output, api_url, f"http://127.0.0.1:{worker_port}/")
    try:
        running.wait_for("Voxroom is up", timeout_s=300)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_killed_worker_is_restarted_and_sigterm_then_stops_every_component(up: Up) -> None:
    # One `voxroom up` for both (each start loads the models: most of a minute here).
    first = up.worker_pid()
    os.kill(first, signal.SIGKILL)

    deadline = time.monotonic() + 120
    while not up.said("worker-1 is running again"):
        assert http_ok(f"{up.api_url}/healthz"), "the API went down with the worker"
        assert up.process.poll() is None, up.output.read_text()
        assert time.monotonic() < deadline, up.output.read_text()
        time.sleep(0.5)

    assert up.said("worker-1 exited (code -9); restarting it in 1 s")
    assert up.worker_pid() != first
    assert http_ok(up.worker_url), "the new worker is not registered with LiveKit"
    assert http_ok(f"{up.api_url}/healthz")

    children = psutil.Process(up.process.pid).children()
    assert len(children) == 6  # redis, livekit, api, gateway, inference, worker-1

    up.process.send_signal(signal.SIGTERM)

    assert up.process.wait(timeout=60) == 0
    assert up.said("Voxroom: stopped.")
    _, alive = psutil.wait_procs(children, timeout=5)
    assert alive == []


def test_children_do_not_outlive_a_killed_voxroom_up(up: Up) -> None:
    children = psutil.Process(up.process.pid).children()

    up.process.kill()
    up.process.wait()

    # SIGTERM from the kernel: workers drain, the others stop; nobody keeps the ports.
    _, alive = psutil.wait_procs(children, timeout=45)
    assert alive == []
