"""Warm transfer: the caller waits on hold while the agent dials a person through the outbound
trunk and briefs them; then caller and person are bridged and the agent leaves.

Everything happens in the call's own room, by LiveKit's server API alone. livekit-sip
subscribes each phone to every audio track of the room, so:
- hold: the caller loses its subscribe permission (it hears nothing; its subscriptions stay
  wanted and come back when the permission does), and the agent is unsubscribed from the
  caller (it must not answer them while it briefs the person);
- briefing: the person's phone is unsubscribed from the caller's tracks (it hears the agent
  only; a few milliseconds of the caller may pass between the answer and that request);
- bridge: the caller's permission and the person's subscriptions come back, the session ends
  (`transferred`), then the agent is removed from the room (leaving hangs up nobody); the
  first phone to hang up afterwards hangs up the other (`call_status.bridged`).
A person who does not answer gives the caller back to the agent. Each step is a `call.status`
event of the caller's call, and the person's call has its own (`call_status.transfer_of`).
The person's call is an outbound call like a dial-out: the dialling policy's caps (concurrent
calls, daily minutes) must let it through before the caller is put on hold, and it counts
until the person hangs up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar

import aiohttp
from livekit import api as lk
from sqlmodel import select

from api.agents.models import AgentConfig
from api.calls.dispatch import spec_of_session
from api.db import utcnow
from api.errors import ApiError, Conflict, Unavailable
from api.ids import new_id
from api.projects.schemas import Principal
from api.resources import Resources
from api.rooms.services import is_call_agent
from api.sessions.models import CallSession
from api.sessions.services import SessionService
from api.supervision.services import SupervisionService
from api.telephony import call_status
from api.telephony.call_status import TransferStep, WatchedCall, transfer_of
from api.telephony.dialing import DialService
from api.telephony.models import SipCall, SipPhoneLine, SipTrunk
from sip.livekit_requests import OutboundCall, participant_request

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

AGENT_STATE = "lk.agent.state"
BRIEFING_START_S = 10.0
"""How long the agent may take to start saying the briefing (its TTS renders first)."""
BRIEFING_MAX_S = 60.0
"""The longest briefing waited for before the bridge."""
MIN_LEFT_S = 30
"""The least a transferred call is given, even one that reached its limit meanwhile."""
DEFAULT_BRIEFING = "Hello, I have a caller on the line for you. I am connecting you now."


@dataclass(frozen=True)
class WarmTransferCall:
    """What a warm transfer needs of the call: its room, the phone on hold and the person."""

    row: CallSession
    caller: str
    number: str
    caller_id: str
    trunk_id: str
    outbound_trunk_id: str
    transfer_id: str = ""
    """`xfr_...`: the caller's steps and the person's call share it (new per transfer)."""
    max_call_duration_s: int = 0
    """What is left of the call's maximum duration: livekit-sip ends the person's call then,
    and with it the bridged call (0: no limit but the dialling policy's minutes)."""
    call_id: str | None = None
    """The person's call's `SipCall`, once the dialling policy counted it."""

    @property
    def person(self) -> str:
        """The participant identity of the person's phone."""
        return f"phone-warm-{self.transfer_id.removeprefix('xfr_')}"


class WarmTransfer:
    def __init__(self, resources: Resources, principal: Principal) -> None:
        self.resources = resources
        self.principal = principal
        self.livekit = resources.livekit

    async def run(self, call: WarmTransferCall, briefing: str | None) -> None:
        """One warm transfer of a call at a time: a second one while the first runs is a 409."""
        key = f"vx:warmtransfer:{call.row.id}"
        bound_s = self.resources.settings.sip.ringing_timeout_s + BRIEFING_MAX_S + 30
        if not await self.resources.redis.set(key, "1", nx=True, ex=int(bound_s)):
            raise Conflict("A warm transfer of this call is already under way")
        try:
            await self._transfer(replace(call, transfer_id=new_id("xfr")), briefing)
        finally:
            await self.resources.redis.delete(key)

    async def _transfer(self, call: WarmTransferCall, briefing: str | None) -> None:
        row = call.row
        present = await self._participants(row.room_name)
        agent = next((p for p in present if is_call_agent(p)), None)
        caller = next((p for p in present if p.identity == call.caller), None)
        if agent is None or caller is None:
            raise Conflict("The agent or the phone is not in the call")
        caller_tracks = [t.sid for t in caller.tracks]
        person = call.person
        call = await self._count_person(call)
        try:
            await self._line(row, "Caller on hold for a warm transfer")
            await self._hold(row.room_name, caller, hold=True)
            await self._step(call, "on_hold")
            # Nor does the agent hear the caller on hold: it must not answer them to the person.
            await self._subscribe(row.room_name, agent.identity, caller_tracks, subscribe=False)
        except ApiError:
            await self._uncount_person(call)
            raise
        try:
            await self._dial(call)
        except (lk.TwirpError, Unavailable) as exc:
            await self._give_back(call, caller, agent.identity, caller_tracks, None)
            await self._line(row, "Warm transfer failed: the person did not answer")
            if isinstance(exc, Unavailable):
                raise
            raise Conflict(
                "The person did not answer; the caller is back with the agent",
                details={"livekit_code": exc.code},
            ) from exc
        try:
            await self._subscribe(row.room_name, person, caller_tracks, subscribe=False)
            await self._line(row, "Warm transfer: the person answered and is being briefed")
            await self._step(call, "briefing")
            await SupervisionService(self.resources, self.principal).say(
                row.id, briefing or DEFAULT_BRIEFING, allow_interruptions=False
            )
            await self._briefed(row.room_name, agent.identity)
        except ApiError:
            await self._give_back(call, caller, agent.identity, caller_tracks, person)
            await self._line(row, "Warm transfer failed: the person could not be briefed")
            raise
        await self._hold(row.room_name, caller, hold=False)
        await self._subscribe(row.room_name, person, caller_tracks, subscribe=True)
        await call_status.bridged(self.resources, row.room_name, call.caller, person)
        await self._step(call, "bridged")
        # The session ends here: the caller stays in the room, so an agent that left with
        # its session still active would count as lost and be dispatched again.
        await self._line(row, "Call transferred (warm): caller and person connected", end=True)
        # Every agent: a replacement may have been sent meanwhile if the agent's lease lapsed
        # (seen once, with the CPU busy).
        for present_agent in filter(is_call_agent, await self._participants(row.room_name)):
            await self._remove(row.room_name, present_agent.identity)

    async def _give_back(
        self,
        call: WarmTransferCall,
        caller: lk.ParticipantInfo,
        agent: str,
        caller_tracks: list[str],
        person: str | None,
    ) -> None:
        """Off hold and back with the agent, the person hung up: each step tried, since the
        error being handled matters more than one of these failing too."""
        room = call.row.room_name
        steps: list[Callable[[], Awaitable[object]]] = [
            lambda: self._hold(room, caller, hold=False),
            lambda: self._subscribe(room, agent, caller_tracks, subscribe=True),
        ]
        if person is not None:
            steps.append(lambda: self._remove(room, person))
        for step in steps:
            try:
                await step()
            except ApiError:
                logger.warning("warm transfer: a step of giving the caller back failed")
        await self._step(call, "returned")

    async def _count_person(self, call: WarmTransferCall) -> WarmTransferCall:
        """The person's call as the dialling policy counts it (429 if its caps are reached),
        limited to the minutes left today."""
        dialing = DialService(self.resources, self.principal)
        async with self.resources.sessions() as db:
            policy = await dialing.policy(db)
            async with dialing.one_dial_at_a_time():
                wanted_s = call.max_call_duration_s or policy.max_daily_minutes * 60
                max_duration_s = await dialing.admit(db, policy, wanted_s)
                leg = SipCall(
                    id=new_id("call"),
                    project_id=self.principal.project_id,
                    trunk_id=call.trunk_id,
                    session_id=call.row.id,
                    room_name=call.row.room_name,
                    phone_number=call.number,
                    caller_id=call.caller_id,
                    participant_identity=call.person,
                    max_duration_s=max_duration_s,
                )
                db.add(leg)
                await db.commit()
        return replace(call, call_id=leg.id, max_call_duration_s=max_duration_s)

    async def _uncount_person(self, call: WarmTransferCall) -> None:
        """The person was never dialled."""
        async with self.resources.sessions() as db:
            leg = await db.get(SipCall, call.call_id)
            if leg is not None:
                leg.status = "failed"
                db.add(leg)
                await db.commit()

    async def _step(self, call: WarmTransferCall, step: TransferStep) -> None:
        await call_status.transfer_step(
            self.resources,
            call.row.room_name,
            call.caller,
            transfer_of(call.transfer_id, "warm", "caller", step),
        )

    async def _remove(self, room: str, identity: str) -> None:
        await self._api(
            self.livekit.room.remove_participant(
                lk.RoomParticipantIdentity(room=room, identity=identity)
            )
        )

    async def _participants(self, room: str) -> list[lk.ParticipantInfo]:
        listed = await self._api(
            self.livekit.room.list_participants(lk.ListParticipantsRequest(room=room))
        )
        return list(listed.participants)

    async def _hold(self, room: str, caller: lk.ParticipantInfo, *, hold: bool) -> None:
        permission = lk.ParticipantPermission()
        permission.CopyFrom(caller.permission)
        permission.can_subscribe = not hold
        await self._api(
            self.livekit.room.update_participant(
                lk.UpdateParticipantRequest(
                    room=room, identity=caller.identity, permission=permission
                )
            )
        )

    async def _dial(self, call: WarmTransferCall) -> None:
        """Ring the person until they answer; their call is watched like a dial-out's (its
        end, busy or unanswered, comes with their participant's leaving)."""
        ringing_s = self.resources.settings.sip.ringing_timeout_s
        request = participant_request(
            OutboundCall(
                trunk_id=call.outbound_trunk_id,
                to_number=call.number,
                from_number=call.caller_id,
                room_name=call.row.room_name,
                participant_identity=call.person,
                ringing_timeout_s=ringing_s,
                max_call_duration_s=call.max_call_duration_s,
            )
        )
        request.wait_until_answered = True
        watched = WatchedCall(
            project_id=self.principal.project_id,
            room_name=call.row.room_name,
            identity=call.person,
            direction="outbound",
            phone_number=call.number,
            session_id=call.row.id,
            call_id=call.call_id,
            transfer=transfer_of(call.transfer_id, "warm", "person"),
        )
        await call_status.watch(self.resources, watched)
        try:
            await self.livekit.sip.create_sip_participant(request, timeout=ringing_s + 10)
        except (aiohttp.ClientError, TimeoutError) as exc:
            await call_status.end_failed(self.resources, watched)
            raise Unavailable("LiveKit is unreachable") from exc

    async def _subscribe(
        self, room: str, identity: str, track_sids: list[str], *, subscribe: bool
    ) -> None:
        await self._api(
            self.livekit.room.update_subscriptions(
                lk.UpdateSubscriptionsRequest(
                    room=room, identity=identity, track_sids=track_sids, subscribe=subscribe
                )
            )
        )

    async def _briefed(self, room: str, agent: str) -> None:
        """Wait until the agent has spoken and stopped (its `lk.agent.state`), bounded."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        spoke = False
        while loop.time() - started < BRIEFING_MAX_S:
            state = next(
                (p.attributes.get(AGENT_STATE) for p in await self._participants(room)
                 if p.identity == agent),
                None,
            )  # fmt: skip
            if state is None:
                return  # the agent left
            if state == "speaking":
                spoke = True
            elif spoke or loop.time() - started > BRIEFING_START_S:
                return
            await asyncio.sleep(0.2)
        logger.warning("briefing still playing at the bridge")

    async def _line(self, row: CallSession, line: str, *, end: bool = False) -> None:
        async with self.resources.sessions() as db:
            sessions = SessionService(db)
            current = await sessions.get(self.principal.project_id, row.id)
            await sessions.add_system_line(current, line)
            if end and current.status == "active":
                await sessions.end(current, "transferred")
            await db.commit()

    @staticmethod
    async def _api(request: Awaitable[_T]) -> _T:
        try:
            return await request
        except lk.TwirpError as exc:
            raise Conflict(
                "LiveKit refused a warm transfer step", details={"livekit_code": exc.code}
            ) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Unavailable("LiveKit is unreachable") from exc


async def outbound_call(
    resources: Resources, principal: Principal, row: CallSession, caller: str, number: str,
    trunk_id: str | None,
) -> WarmTransferCall:  # fmt: skip
    """The trunk (named, else the one a dial-out was placed through, else the trunk of the
    phone line a dial-in came in on if it places calls, else the project's only outbound one),
    caller id and time limit for the person's call."""
    async with resources.sessions() as db:
        if trunk_id is None:
            placed = select(SipCall.trunk_id).where(
                SipCall.project_id == principal.project_id, SipCall.session_id == row.id
            )
            trunk_id = (await db.exec(placed)).first()
        if trunk_id is None and isinstance(line_id := row.extra.get("phone_line_id"), str):
            came_in = (
                select(SipTrunk.id)
                .join(SipPhoneLine, SipPhoneLine.trunk_id == SipTrunk.id)  # type: ignore[arg-type]
                .where(
                    SipPhoneLine.id == line_id,
                    SipTrunk.project_id == principal.project_id,
                    SipTrunk.outbound_trunk_id.is_not(None),  # type: ignore[union-attr]
                )
            )
            trunk_id = (await db.exec(came_in)).first()
        trunk = await DialService(resources, principal).outbound_trunk(db, trunk_id)
        agent = await db.get(AgentConfig, row.agent_id) if row.agent_id else None
    left_s = 0
    if agent is not None:
        spec = await spec_of_session(resources, row, agent)
        elapsed_s = (utcnow() - row.started_at).total_seconds()
        left_s = max(MIN_LEFT_S, int(spec.max_duration_s - elapsed_s))
    return WarmTransferCall(
        row=row,
        caller=caller,
        number=number,
        caller_id=trunk.numbers[0],
        trunk_id=trunk.id,
        outbound_trunk_id=trunk.outbound_trunk_id or "",
        max_call_duration_s=left_s,
    )
