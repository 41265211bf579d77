"""Outbound calls (`POST /sip/dial`): the dialling policy first, then the call's room and agent
through the call-lifecycle domain, then LiveKit's INVITE to the callee.

Usage for the policy is counted from our own rows: a call is in progress until its session
ends (or, with no agent, until its maximum duration has passed), and today's minutes are the
time each of today's calls lasted so far.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from redis.exceptions import LockError
from sqlalchemy.orm import aliased
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from agent_worker.contracts import AgentSpec
from api.calls.services import CallService
from api.db import get_owned, scoped, utcnow
from api.errors import ApiError, Conflict, NotFound, Unavailable
from api.ids import new_id
from api.projects.schemas import Principal
from api.resources import Resources
from api.sessions.models import CallSession
from api.telephony import call_status
from api.telephony.dial_schemas import (
    MAX_RINGING_TIMEOUT_S,
    DialedCall,
    DialRequest,
    DialResponse,
    VoicemailOptions,
)
from api.telephony.livekit_sip import api_error, sip_call
from api.telephony.models import SipCall, SipDiallingPolicy, SipTrunk
from api.telephony.schemas import DiallingPolicyRead, DiallingPolicyUpdate
from api.tokens.schemas import TokenRequest
from api.tokens.services import TokenService
from sip import (
    CallLimitReached,
    DestinationRefused,
    DiallingPolicy,
    InvalidPhoneNumber,
    OutboundUsage,
    SipError,
    parse_e164,
)
from sip.livekit_requests import OutboundCall, participant_request
from sip.numbers import PhoneNumber

SUPERVISOR_TOKEN_TTL_S = 600
_LOCK_TIMEOUT_S = 15


def _with_voicemail(options: VoicemailOptions) -> Callable[[AgentSpec], AgentSpec]:
    """The agent's config for a dial that asks for answering-machine detection."""

    def adjust(spec: AgentSpec) -> AgentSpec:
        voicemail = spec.phone.voicemail.model_copy(
            update={
                "detect": True,
                "action": options.action,
                "message": options.message or spec.phone.voicemail.message,
            }
        )
        return spec.model_copy(
            update={"phone": spec.phone.model_copy(update={"voicemail": voicemail})}
        )

    return adjust


def allowed_number(policy: DiallingPolicy, raw: str, field: str) -> PhoneNumber:
    """The number `raw` (E.164) if the dialling policy lets it be called (`field` names it in
    the error)."""
    try:
        number = parse_e164(raw, field=field)
    except InvalidPhoneNumber as exc:
        raise api_error(
            DestinationRefused(
                "Not a number that can be called",
                details={"field": field, "reason": "invalid_number"},
            )
        ) from exc
    try:
        policy.check_destination(number)
    except SipError as exc:
        raise api_error(exc) from exc
    return number


def _start_of_day(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


class DialService:
    def __init__(self, resources: Resources, principal: Principal) -> None:
        self.resources = resources
        self.principal = principal

    async def policy(self, db: AsyncSession) -> DiallingPolicy:
        row = await db.get(SipDiallingPolicy, self.principal.project_id)
        settings = self.resources.settings.sip
        if row is None:
            return settings.dialling_policy([])
        return settings.dialling_policy(
            row.allowed_prefixes, row.max_concurrent_calls, row.max_daily_minutes
        )

    async def read_policy(self) -> DiallingPolicyRead:
        async with self.resources.sessions() as db:
            policy, usage = await self.policy(db), await self.usage(db)
        return DiallingPolicyRead(
            allowed_prefixes=list(policy.allowed_prefixes),
            max_concurrent_calls=policy.max_concurrent_calls,
            max_daily_minutes=policy.max_daily_minutes,
            active_calls=usage.active_calls,
            minutes_today=round(usage.minutes_today, 2),
        )

    async def set_policy(self, data: DiallingPolicyUpdate) -> DiallingPolicyRead:
        async with self.resources.sessions() as db:
            row = await db.get(SipDiallingPolicy, self.principal.project_id)
            if row is None:
                row = SipDiallingPolicy(project_id=self.principal.project_id, allowed_prefixes=[])
            row.allowed_prefixes = list(dict.fromkeys(data.allowed_prefixes))
            row.max_concurrent_calls = data.max_concurrent_calls
            row.max_daily_minutes = data.max_daily_minutes
            row.updated_at = utcnow()
            db.add(row)
            await db.commit()
        return await self.read_policy()

    async def usage(self, db: AsyncSession) -> OutboundUsage:
        now = utcnow()
        today = _start_of_day(now)
        # No call lasts longer than the longest max_duration (3600 s) plus ringing.
        since = min(today, now - timedelta(seconds=3600 + 2 * MAX_RINGING_TIMEOUT_S))
        session = aliased(CallSession)
        statement = (
            select(SipCall, session)
            .join(session, session.id == SipCall.session_id, isouter=True)  # type: ignore[arg-type]
            .where(SipCall.project_id == self.principal.project_id, SipCall.created_at >= since)
        )
        active, seconds = 0, 0.0
        for call, call_session in (await db.exec(statement)).all():
            if call.status in ("failed", "busy", "no_answer"):
                continue  # never connected
            deadline = call.created_at + timedelta(
                seconds=call.max_duration_s + MAX_RINGING_TIMEOUT_S
            )
            # Until its phone hangs up: a warm transfer ends the session at the bridge, and
            # the phones talk on. A call whose end was missed counts until its deadline.
            ended = call.ended_at
            if ended is None and call.status == "completed" and call_session is not None:
                ended = call_session.ended_at or call_session.started_at
            if ended is None and now < deadline:
                active += 1
            if call.created_at >= today:
                seconds += ((ended or min(now, deadline)) - call.created_at).total_seconds()
        return OutboundUsage(active_calls=active, minutes_today=seconds / 60)

    async def _trunk(self, db: AsyncSession, data: DialRequest) -> SipTrunk:
        return await self.outbound_trunk(db, data.trunk_id)

    async def outbound_trunk(self, db: AsyncSession, trunk_id: str | None) -> SipTrunk:
        """The named trunk, or the project's only outbound trunk."""
        project_id = self.principal.project_id
        if trunk_id is not None:
            trunk = await get_owned(db, SipTrunk, trunk_id, project_id, "Trunk")
            if trunk.outbound_trunk_id is None:
                raise Conflict("The trunk places no outbound calls", details={"field": "trunk_id"})
            return trunk
        trunks = [
            t for t in (await db.exec(scoped(SipTrunk, project_id))).all() if t.outbound_trunk_id
        ]
        if not trunks:
            raise NotFound("The project has no outbound trunk", details={"field": "trunk_id"})
        if len(trunks) > 1:
            raise Conflict(
                "The project has several outbound trunks: name one with trunk_id",
                details={"field": "trunk_id"},
            )
        return trunks[0]

    async def check(
        self, db: AsyncSession, data: DialRequest, policy: DiallingPolicy
    ) -> tuple[PhoneNumber, SipTrunk, str]:
        """The number, trunk and caller id of a call the policy lets through (no capacity
        check: that is for the moment it is dialled)."""
        number = allowed_number(policy, data.phone_number, "phone_number")
        trunk = await self._trunk(db, data)
        caller_id = data.caller_id or trunk.numbers[0]
        if caller_id not in trunk.numbers:
            raise Conflict(
                "caller_id must be one of the trunk's numbers", details={"field": "caller_id"}
            )
        return number, trunk, caller_id

    async def dial(self, data: DialRequest, call_id: str | None = None) -> DialResponse:
        """Dial now; `call_id` is the id a scheduled call was given when it was queued."""
        project_id = self.principal.project_id
        call_id = call_id or new_id("call")
        identity = f"phone-{call_id}"
        async with self.resources.sessions() as db:
            policy = await self.policy(db)
            number, trunk, caller_id = await self.check(db, data, policy)
            async with self.one_dial_at_a_time():
                max_duration = await self.admit(db, policy, int(data.max_duration))
                room = data.room_name or f"call-{call_id.removeprefix('call_')}"
                agents = [data.agent_config_id] if data.agent_config_id else []
                started = await CallService(self.resources, self.principal).start(
                    room,
                    identity,
                    agents,
                    session_type="sip",
                    metadata={
                        "direction": "outbound",
                        "caller_number": caller_id,
                        "callee_number": number.e164,
                        "call_id": call_id,
                    },
                    adjust_spec=_with_voicemail(data.voicemail) if data.voicemail else None,
                )
                row = SipCall(
                    id=call_id,
                    project_id=project_id,
                    trunk_id=trunk.id,
                    session_id=started.sessions[0].session_id if started.sessions else None,
                    room_name=started.room,
                    phone_number=number.e164,
                    caller_id=caller_id,
                    participant_identity=identity,
                    max_duration_s=max_duration,
                )
                db.add(row)
                await db.commit()
            ringing_s = self.resources.settings.sip.ringing_timeout_s
            if data.ringing_timeout is not None:
                ringing_s = int(data.ringing_timeout)
            await self._invite(db, row, trunk, ringing_s)
        return self._response(row, room)

    async def admit(self, db: AsyncSession, policy: DiallingPolicy, wanted_s: int) -> int:
        """How long a new outbound call may last (at most `wanted_s`), if the policy's caps let
        one more through now (429 otherwise). Hold `one_dial_at_a_time` from this until the
        call's `SipCall` is committed."""
        usage = await self.usage(db)
        try:
            policy.check_capacity(usage)
            max_duration = min(wanted_s, policy.remaining_seconds(usage))
            if max_duration < 10:
                raise CallLimitReached(
                    "Daily outbound minutes used up",
                    details={"reason": "daily_minutes", "limit": policy.max_daily_minutes},
                )
        except SipError as exc:
            raise api_error(exc) from exc
        return max_duration

    @asynccontextmanager
    async def one_dial_at_a_time(self) -> AsyncIterator[None]:
        """One new outbound call of the project at a time, from counting to recording it, so
        that concurrent requests cannot all pass the same last free slot."""
        lock = self.resources.redis.lock(
            f"vx:sipdial:{self.principal.project_id}",
            timeout=_LOCK_TIMEOUT_S,
            blocking_timeout=_LOCK_TIMEOUT_S,
        )
        try:
            async with lock:
                yield
        except LockError as exc:
            raise Unavailable("Too many calls are being dialled at once; retry shortly") from exc

    async def _invite(
        self, db: AsyncSession, row: SipCall, trunk: SipTrunk, ringing_s: int
    ) -> None:
        call = call_status.dial_out(row)
        await call_status.watch(self.resources, call)
        request = participant_request(
            OutboundCall(
                trunk_id=trunk.outbound_trunk_id or "",
                to_number=row.phone_number,
                from_number=row.caller_id,
                room_name=row.room_name,
                participant_identity=row.participant_identity,
                ringing_timeout_s=ringing_s,
                max_call_duration_s=row.max_duration_s,
            )
        )
        try:
            async with sip_call("Call"):
                info = await self.resources.livekit.sip.create_sip_participant(request)
        except ApiError:
            await call_status.end_failed(self.resources, call)
            await db.refresh(row)
            raise
        row.sip_participant_id = info.participant_id
        db.add(row)
        await db.commit()

    def _response(self, row: SipCall, room: str) -> DialResponse:
        tokens = TokenService(self.resources, self.principal)
        token = tokens.mint(
            TokenRequest(identity=f"supervisor-{row.id}", room=room, no_agent=True),
            row.room_name,
            SUPERVISOR_TOKEN_TTL_S,
        )
        return DialResponse(
            call=DialedCall(
                id=row.id,
                room_name=room,
                full_room_name=row.room_name,
                phone_number=row.phone_number,
                caller_id=row.caller_id,
                trunk_id=row.trunk_id,
                session_id=row.session_id,
                sip_participant_id=row.sip_participant_id,
                status=row.status,
            ),
            token=token,
            ws_url=self.resources.settings.client_ws_url,
        )
