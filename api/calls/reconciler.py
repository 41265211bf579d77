"""Closing sessions whose agent is gone without saying so.

LiveKit webhooks are hints (best effort, unordered): a webhook only schedules a check of its
room a few seconds later, which leaves the worker time to send its own final report, and the
check asks LiveKit itself whether an agent is still in the room.
"""

from __future__ import annotations

import logging
import time

from api.calls.dispatch import check_due_dispatches
from api.resources import Resources
from api.rooms.services import agent_in_room
from api.sessions.services import SessionService

logger = logging.getLogger(__name__)

_DUE = "vx:reconcile"
GRACE_S = 5.0


async def schedule_room_check(resources: Resources, room_name: str) -> None:
    await resources.redis.zadd(_DUE, {room_name: time.time() + GRACE_S})


async def check_due_rooms(resources: Resources) -> int:
    closed = 0
    due = [str(name) for name in await resources.redis.zrangebyscore(_DUE, 0, time.time())]
    for room_name in due:
        # ZREM decides which replica handles the room when several run this loop.
        if not await resources.redis.zrem(_DUE, room_name):
            continue
        if await agent_in_room(resources.livekit, room_name):
            continue
        async with resources.sessions() as session:
            closed += await SessionService(session).close_abandoned(room_name, "agent_error")
    return closed


async def reconcile(resources: Resources) -> None:
    """One pass: re-send or fail unanswered dispatches, close sessions whose agent is gone."""
    await check_due_dispatches(resources)
    closed = await check_due_rooms(resources)
    if closed:
        logger.info("closed abandoned sessions", extra={"count": closed})
