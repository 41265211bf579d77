"""The `voxroom` command: `keys create` prints the key once as JSON; unsupported flags fail."""

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


def test_up_with_sip_fails_saying_it_is_not_supported_instead_of_ignoring_it(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "voxroom", "up", "--sip"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--sip is not supported" in result.stderr
    # Refused before anything started: no state directory, no child process.
    assert not (tmp_path / ".voxroom").exists()
