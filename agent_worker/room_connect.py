"""Joining a job's room without ever abandoning the join half-way.

livekit's FFI answers a room connection with a ConnectCallback and then waits for the SDK's
ReadyForRoomEventRequest, which `rtc.Room.connect` sends only after it has read that callback.
A join cancelled in between (a call that ended while its agent was joining: the job is stopped,
its entrypoint cancelled, its loop closed) never sends it, and the FFI panics ("timed out waiting
for ReadyForRoomEventRequest after ConnectCallback"): with the thread executor that FFI is the
whole worker's, which then drained and refused every later call. So a join, once started, is
seen through; a cancellation that arrived meanwhile is raised after it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from livekit.agents import AutoSubscribe, JobContext

logger = logging.getLogger(__name__)


async def see_through(connect: Callable[[], Awaitable[None]]) -> None:
    """Run `connect()` to its end even if the caller is cancelled meanwhile; then re-raise the
    cancellation (or the join's own error)."""
    joining = asyncio.ensure_future(connect())
    cancelled = False
    while True:
        try:
            await asyncio.shield(joining)
        except asyncio.CancelledError:
            if joining.done():
                raise  # the join itself was cancelled (its loop is going away)
            cancelled = True  # wait on: the FFI expects the join to finish
            continue
        except Exception:
            if cancelled:
                raise asyncio.CancelledError from None
            raise
        break
    if cancelled:
        logger.info("job stopped while joining its room; joined, now leaving")
        raise asyncio.CancelledError


async def join_room(ctx: JobContext) -> None:
    """The job's one connection to its room (audio only); later `ctx.connect()` calls return at
    once."""
    await see_through(lambda: ctx.connect(auto_subscribe=AutoSubscribe.AUDIO_ONLY))
