"""Dial-in: a phone participant joining a phone line's room starts the call's `sip` session.

A phone line's dispatch rule only puts the caller in a fresh room; it sends no agent, since a
rule is fixed when the line is saved and cannot carry a per-call session id or report token.
When LiveKit reports the phone participant (`participant_joined`, kind SIP), the call starts
through the call-lifecycle domain like any other: one `sip` session with the caller's and the
callee's numbers, and an explicit dispatch of the line's agent with that session's report
token (then the dispatch check re-sends or fails it as for every call).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from livekit import api as lk
from sqlmodel import select

from api.calls.services import CallService
from api.errors import ApiError
from api.projects.models import Project
from api.projects.services import project_principal
from api.resources import Resources
from api.rooms.naming import room_prefix_of
from api.rooms.services import hang_up
from api.telephony import call_status
from api.telephony.models import SipPhoneLine
from api.telephony.services import line_spec

logger = logging.getLogger(__name__)

RULE_ATTRIBUTE = "sip.ruleID"
CALLER_ATTRIBUTE = "sip.phoneNumber"
CALLEE_ATTRIBUTE = "sip.trunkPhoneNumber"
WORKER_WAIT_S = 10.0
"""How long a phone caller rings for a free agent-worker slot before the call is refused
(486 Busy): a call that just ended holds its slot until its job has closed."""


async def _line_of(
    resources: Resources, room_name: str, rule_id: str
) -> tuple[Project, SipPhoneLine] | None:
    prefix = room_prefix_of(room_name)
    if prefix is None or not rule_id:
        return None
    async with resources.sessions() as db:
        statement = (
            select(Project, SipPhoneLine)
            .join(SipPhoneLine, SipPhoneLine.project_id == Project.id)  # type: ignore[arg-type]
            .where(Project.room_prefix == prefix, SipPhoneLine.dispatch_rule_id == rule_id)
        )
        row = (await db.exec(statement)).first()
    return (row[0], row[1]) if row is not None else None


async def phone_participant_joined(resources: Resources, event: lk.WebhookEvent) -> None:
    """Start the session of a call that came in on a phone line (once per webhook id)."""
    participant = event.participant
    attributes = participant.attributes
    found = await _line_of(resources, event.room.name, attributes.get(RULE_ATTRIBUTE, ""))
    if found is None:
        return  # a dial-out's callee, or a rule that is not a phone line's
    project, line = found
    principal = project_principal(project)
    caller = attributes.get(CALLER_ATTRIBUTE, "")
    callee = attributes.get(CALLEE_ATTRIBUTE, "") or line.phone_number
    call = call_status.WatchedCall(
        project_id=project.id,
        room_name=event.room.name,
        identity=participant.identity,
        direction="inbound",
        phone_number=caller,
        status="ringing",
    )
    try:
        started = await CallService(resources, principal).start(
            event.room.name,
            participant.identity,
            [line.agent_id],
            session_type="sip",
            metadata={
                "direction": "inbound",
                "caller_number": caller,
                "callee_number": callee,
                "phone_line_id": line.id,
            },
            adjust_spec=lambda spec: line_spec(spec, line),
            existing_room=True,
            worker_wait_s=WORKER_WAIT_S,
        )
    except ApiError as exc:
        # No session (agent gone, quota, no worker): the caller must not wait in silence.
        logger.warning("phone call refused: %s", exc.code, extra={"line_id": line.id})
        await call_status.watch(resources, call)
        await call_status.end_failed(resources, call)
        await hang_up(resources.livekit, event.room.name)
        return
    session_id = started.sessions[0].session_id if started.sessions else None
    await call_status.watch(resources, replace(call, session_id=session_id))
