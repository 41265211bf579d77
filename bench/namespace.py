"""Benches that carry real media run inside a loopback-only network namespace, as `make test`
does: a bench started outside one runs itself again inside a fresh one (needs root)."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys

from tests import netns


def run_inside(module: str, limit_s: float) -> int:
    """Run `python -m module` with this process's arguments in a fresh namespace prepared
    with `netns.SETUP`; stop its whole process group past `limit_s`, or when this process is
    stopped (SIGTERM, Ctrl-C). Returns its exit status."""
    argv = shlex.join([sys.executable, "-m", module, *sys.argv[1:]])
    command = ["unshare", "-n", "bash", "-c", f"{netns.SETUP} && exec {argv}"]
    process = subprocess.Popen(command, start_new_session=True)

    def stop(signum: int, _frame: object) -> None:
        # The bench's stack (servers, workers) runs in its process group: a bench stopped by
        # hand stops all of it, instead of leaving it to hold ports and CPU.
        os.killpg(process.pid, signal.SIGTERM)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    try:
        return process.wait(timeout=limit_s)
    except subprocess.TimeoutExpired:
        print(f"bench exceeded its {limit_s:.0f} s limit; stopping it", file=sys.stderr)
        os.killpg(process.pid, signal.SIGTERM)
        try:
            return process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            return process.wait()
    finally:
        # A bench stopped mid-run can leave its servers behind (a worker draining its calls
        # outlives the bench that started it): nothing of its process group may stay.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
