"""Periodic jobs: a failing job backs off instead of failing again at once."""

from __future__ import annotations

import asyncio

import pytest

from api.background import PeriodicJobs

pytestmark = pytest.mark.unit


async def test_a_job_run_back_to_back_waits_after_a_failure() -> None:
    runs = 0

    async def broken() -> None:  # e.g. its database is gone
        nonlocal runs
        runs += 1
        raise ConnectionError("database is gone")

    jobs = PeriodicJobs()
    jobs.start("broken", broken, 0)
    await asyncio.sleep(0.5)
    await jobs.stop()
    assert runs == 1  # then 1 s, 2 s, ... up to a minute between tries, not a busy loop
