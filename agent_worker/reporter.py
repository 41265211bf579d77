"""Delivers a session's events to the control plane, in order, at least once.

Events are queued as they happen and sent by one tracked background task in batches,
with retries and exponential backoff. Every event carries a unique `event_id`, so the
control plane deduplicates retried deliveries. `aclose()` drains what is queued.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from dataclasses import dataclass

import aiohttp
from pydantic import TypeAdapter

from .contracts import LEASE_INTERVAL_S, TranscriptSoFar, WorkerEvent, WorkerReport

logger = logging.getLogger(__name__)

_MAX_BATCH = 100
_event_adapter: TypeAdapter[WorkerEvent] = TypeAdapter(WorkerEvent)


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    backoff_base_s: float = 0.25
    backoff_max_s: float = 10.0
    timeout_s: float = 5.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Full-jitter exponential backoff, never earlier than a server's Retry-After."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * (2**attempt))
        delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not crypto
        return max(delay, retry_after or 0.0)


def is_retryable(status: int) -> bool:
    return status >= 500 or status in (408, 429)


class SessionReporter:
    """Queue + one background sender for `POST {report_url}/sessions/{session_id}/events`."""

    def __init__(
        self,
        *,
        report_url: str,
        session_id: str,
        report_token: str,
        http: aiohttp.ClientSession,
        policy: RetryPolicy | None = None,
    ) -> None:
        self._url = f"{report_url.rstrip('/')}/sessions/{session_id}/events"
        self._headers = {"Authorization": f"Bearer {report_token}"}
        self._http = http
        self._policy = policy or RetryPolicy()
        self._queue: asyncio.Queue[WorkerEvent | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.delivered = 0
        self.dropped = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._send_loop(), name="voxroom.reporter")

    def submit(self, event: WorkerEvent) -> None:
        """Queue `event` for delivery; never blocks and never raises on network trouble."""
        _event_adapter.validate_python(event)
        self._queue.put_nowait(event)

    async def aclose(self, drain_timeout_s: float = 30.0) -> None:
        """Deliver what is queued (bounded by `drain_timeout_s`), then stop the sender."""
        if self._task is None:
            return
        self._queue.put_nowait(None)
        try:
            await asyncio.wait_for(asyncio.shield(self._task), drain_timeout_s)
        except TimeoutError:
            logger.warning("report queue not drained before timeout", extra={"url": self._url})
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def _send_loop(self) -> None:
        closing = False
        while not closing:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < _MAX_BATCH and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    closing = True
                    break
                batch.append(item)
            await self._deliver(batch)

    async def _deliver(self, batch: list[WorkerEvent]) -> None:
        body = WorkerReport(events=batch).model_dump_json()
        headers = {**self._headers, "Content-Type": "application/json"}
        timeout = aiohttp.ClientTimeout(total=self._policy.timeout_s)
        for attempt in range(self._policy.max_attempts):
            retry_after: float | None = None
            try:
                async with self._http.post(
                    self._url, data=body, headers=headers, timeout=timeout
                ) as resp:
                    if resp.status < 300:
                        self.delivered += len(batch)
                        return
                    if not is_retryable(resp.status):
                        self.dropped += len(batch)
                        logger.error(
                            "control plane rejected worker report",
                            extra={"status": resp.status, "events": len(batch)},
                        )
                        return
                    retry_after = _parse_retry_after(resp.headers.get("Retry-After"))
            except (aiohttp.ClientError, TimeoutError) as exc:
                logger.info("worker report failed, retrying", extra={"error": type(exc).__name__})
            if attempt + 1 < self._policy.max_attempts:
                await asyncio.sleep(self._policy.delay(attempt, retry_after))
        self.dropped += len(batch)
        logger.error("worker report given up after retries", extra={"events": len(batch)})


class SessionLease:
    """Renews the session's lease at the control plane while the call runs. A lease left to
    expire (the worker was killed) makes the control plane send another agent into the room;
    a worker draining on SIGTERM keeps renewing, so a graceful stop re-dispatches nothing."""

    def __init__(
        self, *, report_url: str, session_id: str, report_token: str, http: aiohttp.ClientSession
    ) -> None:
        self._url = f"{report_url.rstrip('/')}/sessions/{session_id}/lease"
        self._headers = {"Authorization": f"Bearer {report_token}"}
        self._http = http
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._renew_loop(), name="voxroom.session_lease")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _renew_loop(self) -> None:
        timeout = aiohttp.ClientTimeout(total=LEASE_INTERVAL_S * 2)
        while True:
            try:
                async with self._http.post(
                    self._url, headers=self._headers, timeout=timeout
                ) as resp:
                    if resp.status >= 300:
                        logger.warning("session lease refused", extra={"status": resp.status})
            except (aiohttp.ClientError, TimeoutError) as exc:
                logger.info("session lease not renewed", extra={"error": type(exc).__name__})
            await asyncio.sleep(LEASE_INTERVAL_S)


async def fetch_transcript_so_far(
    http: aiohttp.ClientSession, *, report_url: str, session_id: str, report_token: str
) -> TranscriptSoFar:
    """The conversation so far, as the control plane stored it (for an agent taking over)."""
    url = f"{report_url.rstrip('/')}/sessions/{session_id}/transcript"
    async with http.get(
        url,
        headers={"Authorization": f"Bearer {report_token}"},
        timeout=aiohttp.ClientTimeout(total=10.0),
    ) as resp:
        resp.raise_for_status()
        return TranscriptSoFar.model_validate_json(await resp.read())


def _parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
