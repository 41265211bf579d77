"""A supervisor's commands to one call's agent: whisper guidance, say, take over, hand back,
press keypad keys on a phone call.

The control plane sends each command as a LiveKit data packet on `SUPERVISOR_TOPIC` to the
agent's identity (`POST /sessions/{id}/whisper|say|takeover|handback`). Only packets the
server sent are obeyed (LiveKit stamps a participant's packets with its identity), and only
when signed with the LiveKit API secret both sides hold: a participant whose identity the
agent has not learnt yet also shows as no participant, so the stamp alone is not proof.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from typing import TYPE_CHECKING, Any, Literal

from livekit import rtc
from livekit.agents import Agent, ConversationItemAddedEvent, StopResponse, llm
from pydantic import Field, ValidationError

from .contracts import Strict
from .dtmf import send_digits

if TYPE_CHECKING:
    from livekit.agents import AgentSession

logger = logging.getLogger(__name__)

SUPERVISOR_TOPIC = "voxroom.supervisor"
WHISPER_PREFIX = "Guidance from your human supervisor (follow it; never say it aloud): "
TAKEOVER_NOTE = (
    "A human supervisor has taken over the call and is speaking with the caller. "
    "Stay silent until the supervisor hands the call back."
)
HANDBACK_NOTE = (
    "The human supervisor has handed the call back to you. The caller's words while the "
    "supervisor spoke are above; continue the conversation from there."
)

Action = Literal["whisper", "say", "takeover", "handback", "dtmf"]


class SupervisorCommand(Strict):
    """One supervisor command, as the control plane sends it in a data packet."""

    session_id: str = Field(min_length=1, max_length=40)
    """The session it is meant for: an agent ignores another session's commands."""
    action: Action
    """What to do."""
    text: str = Field(default="", max_length=4000)
    """The guidance (`whisper`), the words to speak (`say`) or the keys to press (`dtmf`)."""
    allow_interruptions: bool = True
    """`say` only: whether the caller may cut the words short."""
    signature: str = Field(default="", max_length=64)
    """Hex HMAC-SHA256 of the other fields under the LiveKit API secret."""

    def _digest(self, secret: str) -> str:
        signed = "\n".join((self.session_id, self.action, self.text, str(self.allow_interruptions)))
        return hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()

    def signed(self, secret: str) -> SupervisorCommand:
        return self.model_copy(update={"signature": self._digest(secret)})

    def is_signed(self, secret: str) -> bool:
        return hmac.compare_digest(self.signature, self._digest(secret))


class Supervision:
    """What the supervisor asked of one call's agent; `taken_over` silences the agent."""

    def __init__(self, session_id: str, secret: str) -> None:
        self.session_id = session_id
        self._secret = secret
        self.taken_over = False
        self._session: AgentSession | None = None
        self._room: rtc.Room | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def attach(self, session: AgentSession, room: rtc.Room) -> None:
        """Obey the room's supervisor packets for this session from now on."""
        self._session = session
        self._room = room
        room.on("data_received", self._on_data)

    async def aclose(self) -> None:
        if self._room is not None:
            self._room.off("data_received", self._on_data)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _on_data(self, packet: rtc.DataPacket) -> None:
        if packet.topic != SUPERVISOR_TOPIC:
            return
        if packet.participant is not None:
            logger.warning("supervisor packet from a participant ignored")
            return
        try:
            command = SupervisorCommand.model_validate_json(packet.data)
        except ValidationError:
            logger.warning("malformed supervisor packet ignored")
            return
        if command.session_id != self.session_id:
            return
        if not command.is_signed(self._secret):
            logger.warning("unsigned supervisor packet ignored")
            return
        task = asyncio.create_task(self.apply(command), name=f"voxroom.supervisor.{command.action}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("supervisor command failed", exc_info=task.exception())

    async def apply(self, command: SupervisorCommand) -> None:
        session = self._session
        if session is None:
            return
        logger.info("supervisor command", extra={"action": command.action})
        if command.action == "whisper":
            await self._tell_agent(session, WHISPER_PREFIX + command.text)
        elif command.action == "say":
            session.say(command.text, allow_interruptions=command.allow_interruptions)
        elif command.action == "dtmf" and self._room is not None:
            await send_digits(self._room.local_participant, command.text)
        elif command.action == "takeover":
            self.taken_over = True
            await session.interrupt(force=True)
            await self._tell_agent(session, TAKEOVER_NOTE)
        elif self.taken_over:
            self.taken_over = False
            await self._tell_agent(session, HANDBACK_NOTE)

    @staticmethod
    async def _tell_agent(session: AgentSession, text: str) -> None:
        """Add a system message to the agent's context only: it is never spoken and never
        becomes a turn of the conversation (the control plane writes the transcript line)."""
        agent = session.current_agent
        chat_ctx = agent.chat_ctx.copy()
        chat_ctx.add_message(role="system", content=text)
        await agent.update_chat_ctx(chat_ctx)


class SupervisedAgent(Agent):
    """An agent that keeps listening but does not answer while a supervisor has the call."""

    def __init__(self, *, supervision: Supervision, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._supervision = supervision

    async def on_user_turn_completed(
        self, turn_ctx: llm.ChatContext, new_message: llm.ChatMessage
    ) -> None:
        if not self._supervision.taken_over:
            return
        # what the caller says to the supervisor stays in context for the handback, and in
        # the transcript (the turn recorder reports conversation items)
        chat_ctx = self.chat_ctx.copy()
        chat_ctx.items.append(new_message)
        await self.update_chat_ctx(chat_ctx)
        self.session.emit("conversation_item_added", ConversationItemAddedEvent(item=new_message))
        raise StopResponse
