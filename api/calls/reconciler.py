"""Closing sessions whose agent or caller is gone (or never came) without saying so.

LiveKit webhooks are hints (best effort, unordered): a webhook only schedules a check of its
room a few seconds later, which leaves the worker time to send its own final report, and the
check asks LiveKit itself whether an agent is still in the room. A call started for a caller
who never joins fails as a no-show instead of staying active.
"""

from __future__ import annotations

import logging
import time

from sqlmodel import col, select

from api.calls.dispatch import check_due_dispatches
from api.calls.leases import caller_in_room, check_lost_agents, has_lease
from api.calls.livekit_events import finish_vanished_room
from api.resources import Resources
from api.rooms.services import agent_in_room
from api.sessions.models import CallSession, SessionEvent
from api.sessions.services import SessionService

logger = logging.getLogger(__name__)

_DUE = "vx:reconcile"
_NO_SHOW_DUE = "vx:noshow"
_SWEEP_LOCK = "vx:sweep"
GRACE_S = 5.0
SWEEP_S = 30.0
"""How often live rooms are checked without a webhook asking (LiveKit drops webhooks)."""


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
            live = await session.exec(
                select(CallSession.id).where(
                    CallSession.room_name == room_name, CallSession.status == "active"
                )
            )
            if any([await has_lease(resources, session_id) for session_id in live.all()]):
                continue  # its agent is alive or a replacement is on its way (see `leases`)
            closed += await SessionService(session).close_abandoned(room_name, "agent_error")
        await finish_vanished_room(resources, room_name)
    return closed


async def schedule_no_show_check(resources: Resources, session_id: str) -> None:
    due = time.time() + resources.settings.no_show_timeout_s
    await resources.redis.zadd(_NO_SHOW_DUE, {session_id: due})


async def check_no_shows(resources: Resources) -> int:
    """Fail the due sessions whose caller neither joined (the worker reports a caller's
    arrival as `session_started`) nor is in the room now."""
    failed = 0
    due = [str(s) for s in await resources.redis.zrangebyscore(_NO_SHOW_DUE, 0, time.time())]
    for session_id in due:
        if not await resources.redis.zrem(_NO_SHOW_DUE, session_id):
            continue  # another replica took it
        async with resources.sessions() as session:
            row = await session.get(CallSession, session_id)
            if row is None or row.status != "active":
                continue
            arrived = (
                await session.exec(
                    select(SessionEvent.id).where(
                        SessionEvent.session_id == row.id, SessionEvent.type == "session_started"
                    )
                )
            ).first()
            if arrived is not None or await caller_in_room(resources, row):
                continue
            await SessionService(session).fail(row, "no_show", "the caller never joined")
            failed += 1
    return failed


async def sweep_live_rooms(resources: Resources) -> int:
    """Schedule a check of every room with a session a worker has reported on, once per
    SWEEP_S across all replicas: covers the agent-left and room-finished webhooks LiveKit
    dropped. (Sessions no worker ever reported on are the dispatch check's.)"""
    if not await resources.redis.set(_SWEEP_LOCK, 1, nx=True, ex=int(SWEEP_S)):
        return 0
    statement = (
        select(CallSession.room_name)
        .where(
            CallSession.status == "active",
            col(CallSession.id).in_(select(SessionEvent.session_id)),
        )
        .distinct()
    )
    async with resources.sessions() as session:
        rooms = list((await session.exec(statement)).all())
    for room_name in rooms:
        await schedule_room_check(resources, room_name)
    return len(rooms)


async def reconcile(resources: Resources) -> None:
    """One pass: re-send or fail unanswered dispatches, replace lost agents, fail no-shows,
    close sessions whose agent is gone."""
    await check_due_dispatches(resources)
    replaced = await check_lost_agents(resources)
    if replaced:
        logger.info("replaced lost agents", extra={"count": replaced})
    await check_no_shows(resources)
    await sweep_live_rooms(resources)
    closed = await check_due_rooms(resources)
    if closed:
        logger.info("closed abandoned sessions", extra={"count": closed})
