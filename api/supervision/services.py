"""Supervising an agent call: commands reach the agent as server data packets, supervisors
join with short-lived tokens that carry only what their role needs.

Each action writes its `supervisor.*` event and a `system` transcript line in one
transaction, after LiveKit took the command (or before the token is handed out).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any

from livekit import api as lk
from redis.asyncio import Redis
from sqlmodel.ext.asyncio.session import AsyncSession

from agent_worker.supervision import SUPERVISOR_TOPIC, Action, SupervisorCommand
from api.errors import Conflict, NotFound
from api.events import catalogue, outbox
from api.events.outbox import EventRecord
from api.events.relay import EventSubscriber
from api.projects.schemas import Principal
from api.resources import Resources
from api.rooms.services import is_call_agent, livekit_call
from api.sessions.models import CallSession
from api.sessions.services import SessionService
from api.supervision.schemas import SupervisorJoin

SUPERVISOR_TOKEN_TTL_S = 300
"""Supervisor tokens are for joining now: LiveKit checks `exp` only at connect and refreshes
a connected participant's token itself, so five minutes never cut a long call."""
TAKEOVER_STATE_TTL_S = 86_400
"""How long a takeover is remembered without a handback (longer than any call)."""
SUPERVISOR_NAME = "Supervisor"


def _takeover_key(session_id: str) -> str:
    return f"vx:takeover:{session_id}"


def forget_takeovers(redis: Redis) -> EventSubscriber:
    """An event subscriber that drops the takeover of each call that ended, so that an ended
    call taken over and never handed back does not keep its key for a day."""

    async def on_events(_: AsyncSession, events: Sequence[EventRecord]) -> None:
        ended = [
            _takeover_key(event.session_id)
            for event in events
            if event.session_id
            and event.event_type in (catalogue.SESSION_ENDED, catalogue.SESSION_FAILED)
        ]
        if ended:
            await redis.delete(*ended)

    return on_events


class SupervisionService:
    def __init__(self, resources: Resources, principal: Principal) -> None:
        self.resources = resources
        self.principal = principal

    async def _active_session(self, session_id: str) -> CallSession:
        async with self.resources.sessions() as db:
            row = await SessionService(db).get(self.principal.project_id, session_id)
        if row.status != "active":
            raise Conflict("The session has ended", details={"status": row.status})
        if row.agent_id is None:
            raise Conflict("The session has no agent to supervise")
        return row

    async def _agent_identities(self, row: CallSession) -> list[str]:
        try:
            async with livekit_call("Room"):
                response = await self.resources.livekit.room.list_participants(
                    lk.ListParticipantsRequest(room=row.room_name)
                )
        except NotFound as exc:
            raise Conflict("The call's room is gone") from exc
        agents = [p.identity for p in response.participants if is_call_agent(p)]
        if not agents:
            raise Conflict("The agent is not in the call's room")
        return agents

    async def _command(self, row: CallSession, command: SupervisorCommand) -> None:
        """Send the command to the room's agents; the one running this session obeys it."""
        agents = await self._agent_identities(row)
        secret = self.resources.settings.require_livekit_secret()
        async with livekit_call("Room"):
            await self.resources.livekit.room.send_data(
                lk.SendDataRequest(
                    room=row.room_name,
                    data=command.signed(secret).model_dump_json().encode(),
                    kind=lk.DataPacket.Kind.RELIABLE,
                    destination_identities=agents,
                    topic=SUPERVISOR_TOPIC,
                )
            )

    async def _record(
        self, row: CallSession, event_type: str, line: str, data: dict[str, Any]
    ) -> None:
        async with self.resources.sessions() as db:
            current = await SessionService(db).get(self.principal.project_id, row.id)
            await SessionService(db).add_system_line(current, line)
            await outbox.record(
                db,
                self.principal.project_id,
                event_type,
                {"session_id": row.id, "room_name": row.room_name, **data},
                session_id=row.id,
                room_name=row.room_name,
            )
            await db.commit()

    async def _send(self, session_id: str, action: Action, **fields: Any) -> CallSession:
        row = await self._active_session(session_id)
        await self._command(row, SupervisorCommand(session_id=row.id, action=action, **fields))
        return row

    async def whisper(self, session_id: str, text: str) -> None:
        row = await self._send(session_id, "whisper", text=text)
        await self._record(
            row, catalogue.SUPERVISOR_WHISPER, f"Supervisor whispered: {text}", {"text": text}
        )

    async def say(self, session_id: str, text: str, allow_interruptions: bool) -> None:
        row = await self._send(
            session_id, "say", text=text, allow_interruptions=allow_interruptions
        )
        await self._record(
            row,
            catalogue.SUPERVISOR_SAY,
            f"Supervisor had the agent say: {text}",
            {"text": text, "allow_interruptions": allow_interruptions},
        )

    async def press_keys(self, session_id: str, digits: str) -> None:
        """The agent presses keypad keys on its phone call (livekit-sip turns its DTMF packets
        into RFC 4733 events); a `system` transcript line says which."""
        row = await self._send(session_id, "dtmf", text=digits)
        async with self.resources.sessions() as db:
            current = await SessionService(db).get(self.principal.project_id, row.id)
            await SessionService(db).add_system_line(current, f"DTMF: sent {digits}")
            await db.commit()

    async def listen(self, session_id: str) -> SupervisorJoin:
        """A token for a hidden participant who hears both sides and can say nothing."""
        row = await self._active_session(session_id)
        join = self._join(row, publish_sources=[], hidden=True)
        await self._record(
            row,
            catalogue.SUPERVISOR_LISTEN,
            "A supervisor started listening in",
            {"identity": join.identity},
        )
        return join

    async def takeover(self, session_id: str) -> SupervisorJoin:
        """Silence the agent and hand out a token that may publish a microphone only."""
        row = await self._send(session_id, "takeover")
        join = self._join(row, publish_sources=["microphone"], hidden=False)
        await self.resources.redis.set(
            _takeover_key(row.id), join.identity, ex=TAKEOVER_STATE_TTL_S
        )
        await self._record(
            row,
            catalogue.SUPERVISOR_TAKEOVER,
            "A supervisor took over the call",
            {"identity": join.identity},
        )
        return join

    async def handback(self, session_id: str) -> None:
        row = await self._active_session(session_id)
        if not await self.resources.redis.exists(_takeover_key(row.id)):
            raise Conflict("The call is not taken over")
        await self._command(row, SupervisorCommand(session_id=row.id, action="handback"))
        await self.resources.redis.delete(_takeover_key(row.id))
        await self._record(
            row, catalogue.SUPERVISOR_HANDBACK, "The supervisor handed the call back", {}
        )

    def _join(
        self, row: CallSession, *, publish_sources: list[str], hidden: bool
    ) -> SupervisorJoin:
        """Only the grants the role needs, each set explicitly (LiveKit allows what is
        unset); never data, never metadata, never room admin."""
        identity = f"supervisor-{secrets.token_hex(4)}"
        video: dict[str, object] = {
            "roomJoin": True,
            "room": row.room_name,
            "canSubscribe": True,
            "canPublish": bool(publish_sources),
            "canPublishData": False,
            "canUpdateOwnMetadata": False,
            "hidden": hidden,
        }
        if publish_sources:
            video["canPublishSources"] = publish_sources
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": self.resources.signer.api_key,
            "sub": identity,
            "name": SUPERVISOR_NAME,
            "nbf": now,
            "exp": now + SUPERVISOR_TOKEN_TTL_S,
            "video": video,
            "attributes": {"voxroom.role": "supervisor"},
        }
        return SupervisorJoin(
            session_id=row.id,
            token=self.resources.signer.sign(claims),
            room=row.room_name,
            wsUrl=self.resources.settings.client_ws_url,
            identity=identity,
            expires_in=SUPERVISOR_TOKEN_TTL_S,
            can_publish_sources=publish_sources,
            hidden=hidden,
        )
