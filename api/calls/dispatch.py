"""Sending an agent into a room, and making sure one arrives.

LiveKit drops an explicit dispatch that no registered worker accepts (none running, or all
busy). So every dispatch is checked a little later: if no agent has joined and the worker has
not reported in, the dispatch is sent once more, and after that the session fails instead of
leaving a caller in silence.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from livekit import api as lk
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from agent_worker.contracts import AGENT_NAME, AgentSpec, DispatchMetadata
from api.agents.models import AgentConfig
from api.resources import Resources
from api.rooms.services import agent_in_room, livekit_call
from api.sessions.models import CallSession, SessionEvent
from api.sessions.services import SessionService
from api.sessions.tokens import issue_report_token

logger = logging.getLogger(__name__)

_DUE = "vx:dispatchcheck"
MAX_ATTEMPTS = 2
_SPEC = "vx:sessionspec:"
"""The agent config of a session started with one of its own (a phone line's caps, a voice
session's prompt), for every later dispatch of that session."""


async def remember_spec(resources: Resources, session_id: str, spec: AgentSpec) -> None:
    await resources.redis.set(
        _SPEC + session_id, spec.model_dump_json(), ex=spec.max_duration_s + 3600
    )


async def spec_of_session(resources: Resources, row: CallSession, agent: AgentConfig) -> AgentSpec:
    """The config the session's agent was first sent with (else the agent's own now)."""
    raw = await resources.redis.get(_SPEC + row.id)
    return AgentSpec.model_validate_json(raw) if raw else AgentSpec.model_validate(agent.spec)


async def send_dispatch(
    resources: Resources, row: CallSession, spec: AgentSpec, *, resume: bool = False
) -> None:
    """Dispatch the session's agent; `resume` when it takes over from an agent that was lost."""
    settings = resources.settings
    metadata = DispatchMetadata(
        session_id=row.id,
        project_id=row.project_id,
        agent_id=row.agent_id or "",
        room=row.room_name,
        agent=spec,
        report_url=f"{settings.api_base_url}/internal/v1",
        report_token=issue_report_token(
            settings.require_livekit_secret(),
            row.id,
            row.project_id,
            timedelta(seconds=spec.max_duration_s + 3600),
        ),
        resume=resume,
    )
    request = lk.CreateAgentDispatchRequest(
        agent_name=AGENT_NAME, room=row.room_name, metadata=metadata.model_dump_json()
    )
    async with livekit_call("Room"):
        await resources.livekit.agent_dispatch.create_dispatch(request)
    await resources.redis.zadd(_DUE, {row.id: time.time() + settings.dispatch_check_s})


async def _agent_arrived(resources: Resources, session: AsyncSession, row: CallSession) -> bool:
    reported = (
        await session.exec(select(SessionEvent.id).where(SessionEvent.session_id == row.id))
    ).first()
    return reported is not None or await agent_in_room(resources.livekit, row.room_name)


async def check_due_dispatches(resources: Resources) -> None:
    due = [str(s) for s in await resources.redis.zrangebyscore(_DUE, 0, time.time())]
    for session_id in due:
        if not await resources.redis.zrem(_DUE, session_id):
            continue  # another replica took it
        async with resources.sessions() as session:
            row = await session.get(CallSession, session_id)
            if (
                row is None
                or row.status != "active"
                or await _agent_arrived(resources, session, row)
            ):
                continue
            attempts_key = f"vx:dispatchattempts:{session_id}"
            attempts = int(await resources.redis.incr(attempts_key))
            await resources.redis.expire(attempts_key, 3600)
            agent = (
                await session.get(AgentConfig, row.agent_id)
                if attempts < MAX_ATTEMPTS and row.agent_id is not None
                else None
            )
            if agent is not None:
                logger.info("re-sending dispatch", extra={"session_id": session_id})
                await send_dispatch(resources, row, await spec_of_session(resources, row, agent))
            else:
                await SessionService(session).fail(
                    row, "agent_error", "no agent worker accepted the call"
                )
