"""Scheduled outbound calls: `POST /sip/dial` with `scheduled_at` queues the call in the
database (the queue outlives restarts) and a periodic job dials what is due.

The request is checked when it is queued (number, dialling policy's destinations, trunk,
agent), so a mistake is answered at once; the capacity caps are checked when it is dialled,
as for any call. A claimed call is marked `dialing` before it is dialled: a control plane
killed in between leaves it there rather than risk ringing someone twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import msgspec
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.agents.services import AgentService
from api.db import get_owned, scoped, utcnow
from api.errors import ApiError, Conflict
from api.ids import new_id
from api.pagination import Page, paginate
from api.projects.schemas import Principal
from api.resources import Resources
from api.rooms.naming import project_room_name
from api.telephony.dial_schemas import DialedCall, DialRequest, DialResponse
from api.telephony.dialing import DialService
from api.telephony.models import ScheduledSipCall
from api.telephony.scheduled_schemas import ScheduledCallRead

logger = logging.getLogger(__name__)

PAST_GRACE = timedelta(seconds=60)
"""A `scheduled_at` this far in the past still dials (clocks differ, requests queue)."""
NOW = timedelta(seconds=5)
"""A `scheduled_at` before this much from now dials at once instead of waiting for a pass."""
BATCH = 10
"""Calls dialled per pass at most (each one takes a LiveKit round trip or two)."""


def scheduled_read(row: ScheduledSipCall) -> ScheduledCallRead:
    return ScheduledCallRead(
        id=row.id,
        phone_number=row.request["phone_number"],
        agent_config_id=row.request.get("agent_config_id"),
        trunk_id=row.request.get("trunk_id"),
        scheduled_at=row.scheduled_at,
        status=row.status,
        error=row.error,
        created_at=row.created_at,
    )


class ScheduledCallService:
    def __init__(self, resources: Resources, principal: Principal) -> None:
        self.resources = resources
        self.principal = principal

    async def place(self, data: DialRequest) -> DialResponse:
        """Dial now, or queue the call for `scheduled_at`."""
        dialing = DialService(self.resources, self.principal)
        when = data.scheduled_at
        now = utcnow()
        if when is None or when <= now + NOW:
            if when is not None and when < now - PAST_GRACE:
                # 409, not 422: the request is well formed, the clock disagrees with it (a
                # schema cannot say "not in the past", and the contract answers a
                # schema-valid request with no 422)
                raise Conflict(
                    "scheduled_at is in the past",
                    details={"field": "scheduled_at", "reason": "in_the_past"},
                )
            return await dialing.dial(data)
        async with self.resources.sessions() as db:
            _, trunk, caller_id = await dialing.check(db, data, await dialing.policy(db))
            if data.agent_config_id is not None:
                await AgentService(db).get(self.principal.project_id, data.agent_config_id)
            request = msgspec.to_builtins(msgspec.structs.replace(data, scheduled_at=None))
            row = ScheduledSipCall(
                id=new_id("call"),
                project_id=self.principal.project_id,
                scheduled_at=when,
                request=request,
                principal=self.principal.model_dump(mode="json"),
            )
            db.add(row)
            await db.commit()
        room = data.room_name or f"call-{row.id.removeprefix('call_')}"
        return DialResponse(
            call=DialedCall(
                id=row.id,
                room_name=room,
                full_room_name=project_room_name(self.principal.room_prefix, room),
                phone_number=data.phone_number,
                caller_id=caller_id,
                trunk_id=trunk.id,
                session_id=None,
                sip_participant_id=None,
                status="scheduled",
            ),
            token=None,
            ws_url=self.resources.settings.client_ws_url,
        )

    async def list_scheduled(self, page: Page) -> tuple[list[ScheduledCallRead], int]:
        async with self.resources.sessions() as db:
            statement = scoped(ScheduledSipCall, self.principal.project_id).order_by(
                col(ScheduledSipCall.scheduled_at)
            )
            rows, total = await paginate(db, statement, page)
        return [scheduled_read(row) for row in rows], total

    async def cancel(self, call_id: str) -> ScheduledCallRead:
        async with self.resources.sessions() as db:
            row = await get_owned(
                db, ScheduledSipCall, call_id, self.principal.project_id, "Scheduled call"
            )
            claimed = await _move(db, row.id, "scheduled", "cancelled")
            await db.commit()
            if not claimed:
                raise Conflict("The call is no longer waiting", details={"status": row.status})
            await db.refresh(row)
        return scheduled_read(row)


async def _move(
    db: AsyncSession, call_id: str, before: str, after: str, error: str | None = None
) -> bool:
    """Change a row's status only from `before`: one replica (or one cancel) wins."""
    result = await db.exec(
        update(ScheduledSipCall)
        .where(col(ScheduledSipCall.id) == call_id, col(ScheduledSipCall.status) == before)
        .values(status=after, error=error, updated_at=utcnow())
    )
    return bool(result.rowcount == 1)


async def dial_due_calls(resources: Resources) -> None:
    """One pass of the poller: dial the calls that are due, soonest first."""
    async with resources.sessions() as db:
        due = (
            await db.exec(
                select(ScheduledSipCall)
                .where(
                    col(ScheduledSipCall.status) == "scheduled",
                    col(ScheduledSipCall.scheduled_at) <= utcnow(),
                )
                .order_by(col(ScheduledSipCall.scheduled_at))
                .limit(BATCH)
            )
        ).all()
    for row in due:
        async with resources.sessions() as db:
            claimed = await _move(db, row.id, "scheduled", "dialing")
            await db.commit()
        if not claimed:
            continue  # cancelled meanwhile, or another replica has it
        status, error = "dialed", None
        try:
            principal = Principal.model_validate(row.principal)
            request = msgspec.convert(row.request, DialRequest)
            await DialService(resources, principal).dial(request, call_id=row.id)
        except ApiError as exc:
            status, error = "failed", exc.code
            logger.warning(
                "scheduled call not dialled", extra={"call_id": row.id, "code": exc.code}
            )
        async with resources.sessions() as db:
            await _move(db, row.id, "dialing", status, error)
            await db.commit()
