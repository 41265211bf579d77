"""How voice calls end: by the API (`DELETE /voice/sessions/{id}`), by the gateway (the caller
hung up, the connection broke, the gateway restarted), or by the clock.

The clock is the control plane's own, not only the gateway's or the agent's: each call has a
due time in a Redis sorted set (its ticket's expiry until a client connects, then its
`max_duration`), and one reconciler pass per second ends what is due, whichever replica runs
it. After the caller hung up or the time ran out, the agent gets `end_grace_s` to close the
session itself with its last turns, since its report is the better record; failures end at
once. Ending hangs up the room (LiveKit then disconnects the gateway's participant and the
agent), and a Twilio call gets its final `call.status`.
"""

from __future__ import annotations

import logging
import time
from typing import Final

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.events import catalogue, outbox
from api.resources import Resources
from api.rooms.services import hang_up
from api.sessions.models import CallSession
from api.sessions.services import SessionService
from api.voice.models import VoiceCall

logger = logging.getLogger(__name__)

_DUE: Final = "vx:voicedue"
"""Sorted set: session id -> when the control plane ends its call."""
_DUE_REASON: Final = "vx:voicedue:reason"
"""Hash: session id -> the end reason at that time."""

FAILURES: Final = {
    "no_show": "the caller never connected",
    "transport_error": "the caller's connection failed",
    "gateway_shutdown": "the media gateway shut down",
    "gateway_restart": "the media gateway restarted and lost the call",
    "agent_error": "the agent left without ending the session",
}
"""End reasons that fail a session, with the error recorded."""


async def end_at(resources: Resources, session_id: str, due: float, reason: str) -> None:
    await resources.redis.hset(_DUE_REASON, session_id, reason)
    await resources.redis.zadd(_DUE, {session_id: due})


async def end_soon(resources: Resources, session_id: str, reason: str) -> None:
    """The agent's turn to close the session; the control plane's after `end_grace_s`."""
    await end_at(resources, session_id, time.time() + resources.settings.voice.end_grace_s, reason)


async def record_twilio_status(
    db: AsyncSession, row: CallSession, call: VoiceCall, status: str
) -> None:
    """A Twilio call's `call.status` (once per call for the final one), in the caller's
    transaction."""
    if call.transport != "twilio":
        return
    final = status not in ("initiating", "ringing", "in_progress")
    await outbox.record_once(
        db,
        row.project_id,
        catalogue.CALL_STATUS,
        {
            "room_name": row.room_name,
            "phone_number": row.extra.get("caller_number"),
            "status": status,
            "direction": "inbound",
            "session_id": row.id,
            "call_id": None,
            "transport": "twilio",
            "call_sid": row.extra.get("call_sid"),
        },
        dedupe_key=f"callstatus:{row.id}:{'final' if final else status}",
        session_id=row.id,
        room_name=row.room_name,
    )


async def close_call(
    resources: Resources, db: AsyncSession, row: CallSession, call: VoiceCall, reason: str
) -> None:
    """End the call now: close its session if still active, hang up its room, and give a
    Twilio call its final status."""
    if row.status == "active":
        sessions = SessionService(db)
        if reason in FAILURES:
            await sessions.fail(row, reason, FAILURES[reason])
        else:
            await sessions.end(row, reason)
    await resources.redis.zrem(_DUE, row.id)
    await resources.redis.hdel(_DUE_REASON, row.id)
    await hang_up(resources.livekit, row.room_name)
    await record_twilio_status(
        db, row, call, "completed" if row.status in ("completed", "timeout") else "failed"
    )
    await db.commit()


async def end_due_calls(resources: Resources) -> int:
    """One pass: end every call whose time has come; returns how many were still active."""
    ended = 0
    due = [str(s) for s in await resources.redis.zrangebyscore(_DUE, 0, time.time())]
    for session_id in due:
        # ZREM decides which replica handles the call when several run this loop.
        if not await resources.redis.zrem(_DUE, session_id):
            continue
        reason = str(await resources.redis.hget(_DUE_REASON, session_id) or "max_duration")
        await resources.redis.hdel(_DUE_REASON, session_id)
        async with resources.sessions() as db:
            found = (
                await db.exec(
                    select(CallSession, VoiceCall).where(
                        CallSession.id == session_id, VoiceCall.session_id == CallSession.id
                    )
                )
            ).first()
            if found is None:
                continue
            row, call = found
            ended += row.status == "active"
            await close_call(resources, db, row, call, reason)
    return ended


async def active_calls_of_gateway(
    db: AsyncSession, gateway_id: str
) -> list[tuple[CallSession, VoiceCall]]:
    statement = select(CallSession, VoiceCall).where(
        VoiceCall.session_id == CallSession.id,
        VoiceCall.gateway_id == gateway_id,
        col(CallSession.status) == "active",
    )
    return [(row, call) for row, call in (await db.exec(statement)).all()]
