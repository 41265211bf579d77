"""A call whose agent died goes on with another agent.

Self-hosted LiveKit does not re-dispatch the job of a worker that died. So a running call's
agent renews a lease here every second (`POST /internal/v1/sessions/{id}/lease`); a lease left
to expire while the session is active and the caller still in the room means its worker is
gone (SIGKILL, crash, lost machine), and the agent is dispatched again into the same room for
the same session, with `resume` set: it loads the transcript so far and tells the caller it is
back. A worker draining on SIGTERM keeps renewing, so a graceful stop re-dispatches nothing.
"""

from __future__ import annotations

import logging
import time

from livekit import api as lk
from sqlmodel.ext.asyncio.session import AsyncSession

from agent_worker.contracts import LEASE_TTL_S
from api.agents.models import AgentConfig
from api.calls.dispatch import send_dispatch, spec_of_session
from api.errors import ApiError
from api.events import catalogue, outbox
from api.resources import Resources
from api.rooms.services import livekit_call
from api.sessions.events import session_data
from api.sessions.models import CallSession
from api.sessions.services import SessionService

logger = logging.getLogger(__name__)

_LEASES = "vx:leases"
"""Sorted set: session id -> when its lease expires."""
_WATCH = "vx:leasewatch"
"""When the last pass over the leases ran (any replica)."""
RESUME_GRACE_S = 20.0
"""How long a replacement agent has to join and renew the lease before it counts as lost."""
MAX_REPLACEMENTS = 3


async def renew_lease(resources: Resources, session_id: str, ttl_s: float = LEASE_TTL_S) -> None:
    await resources.redis.zadd(_LEASES, {session_id: time.time() + ttl_s})


async def has_lease(resources: Resources, session_id: str) -> bool:
    """Whether the session's agent is alive or a replacement is on its way (an expired lease
    is claimed by `check_lost_agents` first, in the same reconciler pass)."""
    return await resources.redis.zscore(_LEASES, session_id) is not None


async def caller_in_room(resources: Resources, row: CallSession) -> bool:
    """Whether a caller (the session's identity, or else anyone but an agent) is in the room."""
    try:
        async with livekit_call("Room"):
            response = await resources.livekit.room.list_participants(
                lk.ListParticipantsRequest(room=row.room_name)
            )
    except ApiError:
        return False
    return any(
        p.identity == row.caller_identity
        if row.caller_identity
        else p.kind != lk.ParticipantInfo.Kind.AGENT
        for p in response.participants
    )


async def check_lost_agents(resources: Resources) -> int:
    """Replace the agent of every active session whose lease expired; returns how many."""
    replaced = 0
    if await _control_plane_was_away(resources):
        return 0
    due = [str(s) for s in await resources.redis.zrangebyscore(_LEASES, 0, time.time())]
    for session_id in due:
        # ZREM decides which replica handles the session when several run this loop.
        if not await resources.redis.zrem(_LEASES, session_id):
            continue
        async with resources.sessions() as db:
            row = await db.get(CallSession, session_id)
            if row is None or row.status != "active":
                continue
            if not await caller_in_room(resources, row):
                continue  # nobody to talk to: the room check closes the session
            replaced += await replace_agent(resources, db, row)
    return replaced


async def _control_plane_was_away(resources: Resources) -> bool:
    """No pass for a lease's life (every replica down, or Redis): the agents' renewals were
    refused meanwhile, not missing. Every lease gets a fresh term instead of a second agent
    being sent into every live call."""
    now = time.time()
    last = await resources.redis.set(_WATCH, now, ex=3600, get=True)
    if last is not None and now - float(last) <= LEASE_TTL_S:
        return False
    held = [str(session_id) for session_id in await resources.redis.zrange(_LEASES, 0, -1)]
    if held:
        await resources.redis.zadd(_LEASES, dict.fromkeys(held, now + LEASE_TTL_S))
    return True


async def replace_agent(resources: Resources, db: AsyncSession, row: CallSession) -> int:
    """Dispatch the session's agent again, resuming; fail the session after MAX_REPLACEMENTS."""
    attempts_key = f"vx:replacements:{row.id}"
    attempts = int(await resources.redis.incr(attempts_key))
    await resources.redis.expire(attempts_key, 24 * 3600)
    agent = await db.get(AgentConfig, row.agent_id) if row.agent_id else None
    sessions = SessionService(db)
    if agent is None or attempts > MAX_REPLACEMENTS:
        await sessions.fail(row, "agent_error", "the agent was lost and could not be replaced")
        return 0
    # Counted before the dispatch: a replica's next pass must not send a second agent.
    await renew_lease(resources, row.id, RESUME_GRACE_S)
    try:
        spec = await spec_of_session(resources, row, agent)
        await send_dispatch(resources, row, spec, resume=True)
    except ApiError:
        logger.warning("replacement dispatch failed", extra={"session_id": row.id})
        return 0  # the grace lease expires and the next pass tries again
    logger.info("agent lost, replacement dispatched", extra={"session_id": row.id})
    await outbox.record(
        db,
        row.project_id,
        catalogue.SESSION_AGENT_REPLACED,
        {**session_data(row), "reason": "agent_lost", "replacement": attempts},
        session_id=row.id,
        room_name=row.room_name,
    )
    await sessions.add_system_line(row, "The agent was lost; another agent took over the call.")
    await db.commit()
    return 1
