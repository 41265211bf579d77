"""LiveKit on Redis routes each call to a worker with room, and a full worker refuses.

Real livekit-server (with Redis, as `voxroom up` runs it) and real livekit-agents
`AgentServer`s configured with the worker's own load function and threshold; the jobs
themselves are trivial (no models), since only routing is under test.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from livekit import api
from livekit.agents import AgentServer, JobContext, JobExecutorType

from agent_worker.worker import calls_load, load_threshold
from tests.services import LiveKit, livekit_server, redis_server

pytestmark = pytest.mark.integration

AGENT = "capacity-probe"


class Jobs:
    """Which worker took which room; jobs run until released."""

    def __init__(self) -> None:
        self.taken: dict[str, str] = {}
        self.release: dict[str, threading.Event] = {}
        self._changed = threading.Condition()

    async def run(self, worker: str, ctx: JobContext) -> None:
        # Each job runs in a thread of its own (the worker's thread executor).
        room = ctx.job.room.name
        release = threading.Event()
        with self._changed:
            self.taken[room] = worker
            self.release[room] = release
            self._changed.notify_all()
        await asyncio.to_thread(release.wait)
        ctx.shutdown()

    def wait_for(self, room: str, limit_s: float) -> str | None:
        with self._changed:
            self._changed.wait_for(lambda: room in self.taken, timeout=limit_s)
            return self.taken.get(room)


@asynccontextmanager
async def worker(lk: LiveKit, name: str, jobs: Jobs, capacity: int) -> AsyncIterator[AgentServer]:
    server = AgentServer(
        ws_url=lk.url.replace("http://", "ws://"),
        api_key=lk.api_key,
        api_secret=lk.api_secret,
        port=0,
        num_idle_processes=0,
        job_executor_type=JobExecutorType.THREAD,
        load_fnc=functools.partial(calls_load, capacity),
        load_threshold=load_threshold(capacity),
    )
    server.rtc_session(functools.partial(jobs.run, name), agent_name=AGENT)
    registered = asyncio.Event()
    server.on("worker_registered", lambda *_: registered.set())
    task = asyncio.create_task(server.run(), name=f"test.{name}")
    try:
        await asyncio.wait_for(registered.wait(), 30)
        yield server
    finally:
        for release in jobs.release.values():
            release.set()
        await server.aclose()
        await asyncio.gather(task, return_exceptions=True)


async def dispatch(lkapi: api.LiveKitAPI, room: str) -> None:
    await lkapi.room.create_room(api.CreateRoomRequest(name=room))
    await lkapi.agent_dispatch.create_dispatch(
        api.CreateAgentDispatchRequest(agent_name=AGENT, room=room)
    )


async def taken_by(jobs: Jobs, room: str, limit_s: float = 10.0) -> str | None:
    return await asyncio.to_thread(jobs.wait_for, room, limit_s)


async def test_calls_go_to_a_worker_with_room_and_wait_for_none_when_all_are_full(
    tmp_path: Path,
) -> None:
    jobs = Jobs()
    with redis_server(tmp_path) as redis_url, livekit_server(tmp_path, redis_url) as lk:
        async with (
            worker(lk, "a", jobs, capacity=1) as a,
            worker(lk, "b", jobs, capacity=1) as b,
            api.LiveKitAPI(lk.url, lk.api_key, lk.api_secret) as lkapi,
        ):
            await dispatch(lkapi, "first")
            first = await taken_by(jobs, "first")
            # Let the full worker's status reach LiveKit, as between real callers.
            await asyncio.sleep(1.0)
            await dispatch(lkapi, "second")
            second = await taken_by(jobs, "second")
            assert {first, second} == {"a", "b"}

            await asyncio.sleep(1.0)
            await dispatch(lkapi, "third")
            assert await taken_by(jobs, "third", limit_s=5.0) is None

            # A slot frees up: the next call is taken again.
            jobs.release["first"].set()
            freed = {"a": a, "b": b}[first]
            async with asyncio.timeout(30):
                while freed.active_jobs:  # noqa: ASYNC110 - the server's own state, no event
                    await asyncio.sleep(0.1)
            # livekit-agents reports its status to LiveKit every 2.5 s.
            await asyncio.sleep(3.0)
            await dispatch(lkapi, "fourth")
            assert await taken_by(jobs, "fourth") == first
