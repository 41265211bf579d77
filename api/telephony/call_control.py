"""Controlling a live phone call: keypad digits towards the phone, cold and warm transfer.

Digits go out through the call's agent (a signed supervisor command): a `SipDTMF` packet must
come from a room participant for livekit-sip to play it, and the agent is the one Voxroom
has in every phone call's room. A transfer is LiveKit's TransferSIPParticipant: livekit-sip
sends the phone a SIP REFER to the target, then hangs up its side.
"""

from __future__ import annotations

import aiohttp
from livekit import api as lk

from api.agents.models import AgentConfig
from api.calls.dispatch import spec_of_session
from api.errors import Conflict, NotFound, Unavailable
from api.ids import new_id
from api.projects.schemas import Principal
from api.resources import Resources
from api.rooms.services import livekit_call
from api.sessions.models import CallSession
from api.sessions.services import SessionService
from api.supervision.services import SupervisionService
from api.telephony import call_status
from api.telephony.call_control_schemas import ANSWER_LINES, AnsweredReport
from api.telephony.dialing import DialService, allowed_number
from api.telephony.warm_transfer import WarmTransfer, outbound_call

TRANSFER_TIMEOUT_S = 30.0
"""How long the phone has to accept the REFER and report the transfer's outcome."""


class CallControlService:
    def __init__(self, resources: Resources, principal: Principal) -> None:
        self.resources = resources
        self.principal = principal

    async def _phone_call(self, session_id: str) -> CallSession:
        async with self.resources.sessions() as db:
            row = await SessionService(db).get(self.principal.project_id, session_id)
        if row.session_type != "sip":
            raise Conflict(
                "The session is not a phone call", details={"session_type": row.session_type}
            )
        if row.status != "active":
            raise Conflict("The session has ended", details={"status": row.status})
        return row

    async def send_dtmf(self, session_id: str, digits: str) -> None:
        await self._phone_call(session_id)
        await SupervisionService(self.resources, self.principal).press_keys(session_id, digits)

    async def _phone_identity(self, row: CallSession) -> str:
        async with livekit_call("Room"):
            listed = await self.resources.livekit.room.list_participants(
                lk.ListParticipantsRequest(room=row.room_name)
            )
        phones = [p.identity for p in listed.participants if p.kind == lk.ParticipantInfo.Kind.SIP]
        if not phones:
            raise Conflict("The phone is not in the call")
        return row.caller_identity if row.caller_identity in phones else phones[0]

    async def _allowed_number(self, to: str) -> str:
        """The E.164 number of a `tel:` target the dialling policy lets through."""
        dialing = DialService(self.resources, self.principal)
        async with self.resources.sessions() as db:
            policy = await dialing.policy(db)
        return allowed_number(policy, to.removeprefix("tel:"), "to").e164

    async def transfer(self, session_id: str, to: str) -> None:
        """Cold transfer: the phone is referred to `to`; the call's session then ends when
        livekit-sip hangs up."""
        row = await self._phone_call(session_id)
        if to.startswith("tel:"):
            await self._allowed_number(to)
        identity = await self._phone_identity(row)
        request = lk.TransferSIPParticipantRequest(
            participant_identity=identity, room_name=row.room_name, transfer_to=to
        )
        try:
            await self.resources.livekit.sip.transfer_sip_participant(
                request, timeout=TRANSFER_TIMEOUT_S
            )
        except lk.TwirpError as exc:
            # The phone (or its carrier) refused or failed the REFER: the call goes on.
            raise Conflict(
                "The transfer did not complete", details={"livekit_code": exc.code}
            ) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Unavailable("LiveKit is unreachable") from exc
        await call_status.transfer_step(
            self.resources,
            row.room_name,
            identity,
            call_status.transfer_of(new_id("xfr"), "cold", "caller", "referred"),
        )
        async with self.resources.sessions() as db:
            current = await SessionService(db).get(self.principal.project_id, row.id)
            await SessionService(db).add_system_line(current, "Call transferred (cold)")
            await db.commit()

    async def warm_transfer(
        self, session_id: str, to: str, briefing: str | None, trunk_id: str | None
    ) -> None:
        """Warm transfer: hold, dial the person, brief them, bridge, and the agent leaves."""
        row = await self._phone_call(session_id)
        if not to.startswith("tel:"):
            raise Conflict(
                "A warm transfer dials a number through the outbound trunk: use tel:",
                details={"field": "to"},
            )
        number = await self._allowed_number(to)
        caller = await self._phone_identity(row)
        call = await outbound_call(self.resources, self.principal, row, caller, number, trunk_id)
        await WarmTransfer(self.resources, self.principal).run(call, briefing)

    async def transfer_to_target(
        self, session_id: str, target: str, briefing: str | None = None
    ) -> None:
        """The call's agent asks for a transfer to one of its config's targets, by name: the
        number and the mode come from the config the session was started with, never from
        the worker."""
        row = await self._phone_call(session_id)
        async with self.resources.sessions() as db:
            agent = await db.get(AgentConfig, row.agent_id) if row.agent_id else None
        if agent is None:
            raise NotFound("No such transfer target", details={"field": "target"})
        spec = await spec_of_session(self.resources, row, agent)
        found = [t for t in spec.phone.transfer_targets if t.name == target]
        if not found:
            raise NotFound("No such transfer target", details={"field": "target"})
        if found[0].mode == "warm":
            await self.warm_transfer(session_id, found[0].to, briefing, found[0].trunk_id)
        else:
            await self.transfer(session_id, found[0].to)

    async def record_answer(self, session_id: str, answer: AnsweredReport) -> None:
        """The call's agent tells who answered a dial-out with answering-machine detection:
        the session's metadata and a transcript line, and the call's later `call.status`
        events, say it."""
        async with self.resources.sessions() as db:
            sessions = SessionService(db)
            row = await sessions.get(self.principal.project_id, session_id)
            if row.session_type != "sip":
                raise Conflict("The session is not a phone call")
            row.extra = {
                **row.extra,
                "answered_by": answer.answered_by,
                "voicemail": answer.voicemail,
            }
            line = ANSWER_LINES.get((answer.answered_by, answer.voicemail), "Answered")
            await sessions.add_system_line(row, line)
            await db.commit()
        if row.caller_identity is not None:  # a phone call's session always names its phone
            await call_status.set_answer(
                self.resources,
                row.room_name,
                row.caller_identity,
                answer.answered_by,
                answer.voicemail,
            )
