"""Periodic jobs of the control plane, started and stopped with the app in one place.

A job stops between passes when asked, so shutdown never cuts a database or LiveKit call in
half; only a job still busy after the grace period is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

MAX_BACKOFF_S = 60.0
"""Longest wait after a failed pass before a job runs again."""


class PeriodicJobs:
    def __init__(self) -> None:
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, name: str, job: Callable[[], Awaitable[object]], interval_s: float) -> None:
        self._tasks.append(asyncio.create_task(self._loop(name, job, interval_s), name=name))

    async def _loop(
        self, name: str, job: Callable[[], Awaitable[object]], interval_s: float
    ) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                await job()
                failures = 0
            except Exception:
                failures += 1
                logger.exception("periodic job failed", extra={"job": name})
            # A failing job waits longer and longer (1 s up to a minute) before it runs again:
            # a job run back to back (interval 0) whose database or Redis is gone would
            # otherwise fail in a loop, at full CPU.
            wait_s = (
                max(interval_s, min(2.0 ** (failures - 1), MAX_BACKOFF_S))
                if failures
                else interval_s
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), wait_s)

    async def stop(self, grace_s: float = 10.0) -> None:
        self._stop.set()
        if not self._tasks:
            return
        _, pending = await asyncio.wait(self._tasks, timeout=grace_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
