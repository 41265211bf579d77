"""The `voxroom` command: `keys create` prints the key once as JSON; `api --processes`."""

import json
import os
import subprocess
import sys

import httpx
import psutil
import pytest

from api.migrate import upgrade
from tests.services import free_port, started
from voxroom import launcher

pytestmark = pytest.mark.integration


def test_keys_create_prints_project_and_key(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    run = [
        sys.executable,
        "-m",
        "voxroom",
        "keys",
        "create",
        "--project",
        "cli-test",
        "--scope",
        "read",
    ]
    first = json.loads(
        subprocess.run(
            run, env=env, capture_output=True, check=True, text=True, cwd=tmp_path
        ).stdout
    )
    second = json.loads(
        subprocess.run(
            run, env=env, capture_output=True, check=True, text=True, cwd=tmp_path
        ).stdout
    )
    assert first["project_id"] == second["project_id"]
    assert first["api_key"] != second["api_key"]
    assert first["api_key"].startswith("vxr_")


def test_api_processes_share_one_port_and_stop_together(tmp_path, redis_url):
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'api.db'}"
    upgrade(database_url)
    port = free_port()
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
    component = launcher.control_plane(port, env, processes=2)
    with started(component, tmp_path / "api.log") as process:
        children = psutil.Process(process.pid).children()
        servers = [child for child in children if "spawn_main" in " ".join(child.cmdline())]
        assert len(servers) == 2  # besides multiprocessing's resource tracker
        for _ in range(20):
            assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    # multiprocessing's resource tracker leaves when it reads its parent's pipe closing: soon
    # after the parent, not with it.
    _, alive = psutil.wait_procs(children, timeout=5)
    assert not [child for child in alive if child.status() != psutil.STATUS_ZOMBIE], alive
