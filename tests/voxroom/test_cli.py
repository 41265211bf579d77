"""The `voxroom` command: `keys create` prints the key once as JSON."""

import json
import os
import subprocess
import sys

import pytest

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
