"""Dial-outs a control plane left half done when it was killed mid-dial.

A scheduled call is marked `dialing` before it is dialled, and a dial records its `SipCall`
(status `initiating`) before it starts watching the call and asks LiveKit for the INVITE. A
control plane killed in between leaves them there for ever: the queue shows the call as
being dialled, the dialling policy counts it as in progress, no final `call.status` comes, and
its agent waits in an empty room. None of those steps takes long (a dial holds the project's
dial lock for 15 s at most, and LiveKit answers the INVITE request before the phone rings), so
past `STUCK_AFTER` such a call was interrupted: it is failed (reason `interrupted`) and its
room removed, rather than dialled again (it may have rung already).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import col, select

from api.db import utcnow
from api.resources import Resources
from api.rooms.services import hang_up
from api.sessions.models import CallSession
from api.sessions.services import SessionService
from api.telephony import call_status
from api.telephony.models import ScheduledSipCall, SipCall

logger = logging.getLogger(__name__)

STUCK_AFTER = timedelta(seconds=120)
REASON = "interrupted"
"""`error` of the scheduled call and `reason` of its `call.status` event."""
BATCH = 50


async def fail_interrupted_dials(resources: Resources) -> int:
    """One pass: fail the scheduled calls and dial-outs stuck since before `STUCK_AFTER`."""
    cutoff = utcnow() - STUCK_AFTER
    async with resources.sessions() as db:
        stuck = await db.exec(
            select(ScheduledSipCall.id).where(
                col(ScheduledSipCall.status) == "dialing", col(ScheduledSipCall.updated_at) < cutoff
            )
        )
        for scheduled_id in stuck.all():
            scheduled = await db.get(ScheduledSipCall, scheduled_id)
            if scheduled is not None:
                scheduled.status, scheduled.error, scheduled.updated_at = (
                    "failed",
                    REASON,
                    utcnow(),
                )
                db.add(scheduled)
        await db.commit()
        calls = (
            await db.exec(
                select(SipCall)
                .where(col(SipCall.status) == "initiating", col(SipCall.created_at) < cutoff)
                .limit(BATCH)
            )
        ).all()
    failed = 0
    for row in calls:
        call = call_status.dial_out(row)
        if await call_status.is_watched(resources, call):
            continue  # its INVITE went out: the status watch ends it
        logger.warning("interrupted dial failed", extra={"call_id": row.id})
        await call_status.end_failed(resources, call, REASON)
        await _end_session(resources, row.session_id)
        # the agent leaves a removed room at once instead of waiting for a callee
        await hang_up(resources.livekit, row.room_name)
        failed += 1
    return failed


async def _end_session(resources: Resources, session_id: str | None) -> None:
    if session_id is None:
        return
    async with resources.sessions() as db:
        session = await db.get(CallSession, session_id)
        if session is not None and session.status == "active":
            await SessionService(db).fail(session, "no_show", "the call was never dialled")
