"""Controlling a live phone call: keypad digits towards the phone.

Digits go out through the call's agent (a signed supervisor command): a `SipDTMF` packet must
come from a room participant for livekit-sip to play it, and the agent is the one Voxroom
has in every phone call's room.
"""

from __future__ import annotations

from api.errors import Conflict
from api.projects.schemas import Principal
from api.resources import Resources
from api.sessions.models import CallSession
from api.sessions.services import SessionService
from api.supervision.services import SupervisionService


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
        return row

    async def send_dtmf(self, session_id: str, digits: str) -> None:
        await self._phone_call(session_id)
        await SupervisionService(self.resources, self.principal).press_keys(session_id, digits)
