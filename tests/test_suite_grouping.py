"""`make test` runs the CPU-hungry tests one after another (tests/conftest.py `xdist_group`):
this fails when a pytest or pytest-xdist upgrade silently spreads them over both workers again.

pytest 9.2 stores node ids in a new field, and pytest-xdist 3.8's `--dist loadgroup` still
renames the old one: the group is lost and nothing fails (pytest-xdist issue #1386), hence the
`pytest~=9.1.1` pin. Our hook must also run before xdist's own, which reads the marks."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parent.parent


def test_heavy_tests_run_on_one_xdist_worker(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    e2e: media\n")
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_collection_modifyitems  # noqa: F401\n"
    )
    (tmp_path / "test_media.py").write_text(
        "import time\nimport pytest\n\npytestmark = pytest.mark.e2e\n\n"
        "@pytest.mark.parametrize('call', range(6))\n"
        "def test_call(call):\n    time.sleep(0.1)\n"
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-v",
            "-p",
            "no:cacheprovider",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    ran = re.findall(r"\[(gw\d+)\] \[\s*\d+%\] PASSED (\S+)", run.stdout)
    assert len(ran) == 6, run.stdout
    assert all(nodeid.endswith("@heavy") for _, nodeid in ran), ran
    assert len({worker for worker, _ in ran}) == 1, ran
