"""A supervisor's commands to one call's agent: whisper guidance, say, take over, hand back,
press keypad keys on a phone call.

The control plane sends each command as a LiveKit data packet on `SUPERVISOR_TOPIC` to the
agent's identity (`POST /sessions/{id}/whisper|say|takeover|handback`). Only packets the
server sent are obeyed (LiveKit stamps a participant's packets with its identity), and only
when signed with the LiveKit API secret both sides hold: a participant whose identity the
agent has not learnt yet also shows as no participant, so the stamp alone is not proof.

While a supervisor has the call, the agent keeps hearing: the caller's turns as usual, and
the supervisor's microphone through the session's own STT (`SupervisorTranscriber`). Both go
into the agent's context and the transcript, so that after the handback it knows what was
said. A supervisor is a participant whose token carries `voxroom.role: supervisor` (set by
the control plane; supervisor tokens may not change their attributes).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

from livekit import rtc
from livekit.agents import Agent, ConversationItemAddedEvent, StopResponse, llm, stt, utils
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
    "The human supervisor has handed the call back to you. What the caller and the supervisor "
    "said meanwhile is above; continue the conversation from there."
)
SUPERVISOR_SAID_PREFIX = "Your human supervisor said to the caller: "
"""Starts the system message that carries a supervisor's words into the agent's context."""
SPEAKER_EXTRA = "voxroom.speaker"
"""`ChatMessage.extra` key naming who spoke a system message that is a transcript line."""
SUPERVISOR_ROLE = ("voxroom.role", "supervisor")
"""The participant attribute of a supervisor's token (`api/supervision/services.py`)."""
TRANSCRIBER_SAMPLE_RATE = 16_000
HANDBACK_DRAIN_S = 5.0
"""How long a handback waits for the supervisor's last words to be transcribed."""


def is_supervisor(participant: rtc.RemoteParticipant) -> bool:
    key, value = SUPERVISOR_ROLE
    return participant.attributes.get(key) == value


def supervisor_message(text: str, started_at: float, ended_at: float | None) -> llm.ChatMessage:
    """A supervisor's words as the agent's context holds them (a system note: the agent did
    not say them) and as the turn recorder reports them (role `supervisor`)."""
    metrics: llm.MetricsReport = {"started_speaking_at": started_at}
    if ended_at is not None:
        metrics["stopped_speaking_at"] = ended_at
    return llm.ChatMessage(
        role="system",
        content=[SUPERVISOR_SAID_PREFIX + text],
        extra={SPEAKER_EXTRA: "supervisor"},
        metrics=metrics,
    )


async def keep_in_context(session: AgentSession, message: llm.ChatMessage) -> None:
    """Add a line said during a takeover to the agent's context, and to the transcript (the
    turn recorder reports conversation items): nobody answers it now."""
    agent = session.current_agent
    chat_ctx = agent.chat_ctx.copy()
    chat_ctx.items.append(message)
    await agent.update_chat_ctx(chat_ctx)
    session.emit("conversation_item_added", ConversationItemAddedEvent(item=message))


SupervisorLine = Callable[[str, float, "float | None"], Awaitable[None]]


class SupervisorTranscriber:
    """Transcribes every supervisor's microphone with the session's STT until `aclose`.

    The agent job is subscribed to every audio track of the room already; the session's room
    input only listens to the caller, so the supervisor's track is read here."""

    def __init__(self, room: rtc.Room, speech_to_text: stt.STT, on_line: SupervisorLine) -> None:
        self._room = room
        self._stt = speech_to_text
        self._on_line = on_line
        self._tracks: dict[str, tuple[stt.RecognizeStream, asyncio.Task[None]]] = {}
        self._feeds: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self._room.on("track_subscribed", self._on_track)
        for participant in self._room.remote_participants.values():
            for publication in participant.track_publications.values():
                if publication.track is not None:
                    self._on_track(publication.track, publication, participant)

    def _on_track(
        self,
        track: rtc.Track,
        publication: rtc.RemoteTrackPublication,
        participant: rtc.RemoteParticipant,
    ) -> None:
        if (
            track.kind != rtc.TrackKind.KIND_AUDIO
            or not is_supervisor(participant)
            or publication.sid in self._tracks
        ):
            return
        stream = self._stt.stream()
        audio = rtc.AudioStream(track, sample_rate=TRANSCRIBER_SAMPLE_RATE, num_channels=1)
        feed = asyncio.create_task(self._feed(audio, stream), name="voxroom.supervisor_audio")
        self._feeds.add(feed)
        feed.add_done_callback(self._feeds.discard)
        read = asyncio.create_task(self._read(stream), name="voxroom.supervisor_stt")
        self._tracks[publication.sid] = (stream, read)

    @staticmethod
    async def _feed(audio: rtc.AudioStream, stream: stt.RecognizeStream) -> None:
        try:
            async for event in audio:
                stream.push_frame(event.frame)
        finally:
            await audio.aclose()
            stream.end_input()

    async def _read(self, stream: stt.RecognizeStream) -> None:
        started_at: float | None = None
        async for event in stream:
            if event.type == stt.SpeechEventType.START_OF_SPEECH:
                started_at = time.time()
            elif event.type == stt.SpeechEventType.FINAL_TRANSCRIPT and event.alternatives:
                text = event.alternatives[0].text.strip()
                if text:
                    ended_at = event.speech_end_time
                    await self._on_line(text, started_at or ended_at or time.time(), ended_at)
                started_at = None

    async def aclose(self) -> None:
        """Stop listening; what the supervisor had finished saying is still transcribed (for
        up to `HANDBACK_DRAIN_S`)."""
        self._room.off("track_subscribed", self._on_track)
        await utils.aio.cancel_and_wait(*self._feeds)  # ends each stream's input
        reads = [read for _, read in self._tracks.values()]
        if reads:
            _, pending = await asyncio.wait(reads, timeout=HANDBACK_DRAIN_S)
            await utils.aio.cancel_and_wait(*pending)
            for read in reads:
                if not read.cancelled() and read.exception() is not None:
                    logger.warning(
                        "supervisor transcription failed",
                        extra={"error": type(read.exception()).__name__},
                    )
        for stream, _ in self._tracks.values():
            await stream.aclose()
        self._tracks.clear()


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
        self._transcriber: SupervisorTranscriber | None = None

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
        await self._stop_transcribing()

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
            self._start_transcribing(session)
        elif self.taken_over:
            await self._stop_transcribing()
            self.taken_over = False
            await self._tell_agent(session, HANDBACK_NOTE)

    def _start_transcribing(self, session: AgentSession) -> None:
        if self._transcriber is not None or self._room is None or session.stt is None:
            return
        speech_to_text = session.stt
        if not speech_to_text.capabilities.streaming:
            if session.vad is None:
                logger.warning("supervisor not transcribed: batch STT without a VAD")
                return
            speech_to_text = stt.StreamAdapter(stt=speech_to_text, vad=session.vad)

        self._transcriber = SupervisorTranscriber(self._room, speech_to_text, self.supervisor_said)
        self._transcriber.start()

    async def supervisor_said(self, text: str, started_at: float, ended_at: float | None) -> None:
        """Put a supervisor's words into the agent's context and report them as a line."""
        session = self._session
        if session is None:
            return
        await keep_in_context(session, supervisor_message(text, started_at, ended_at))

    async def _stop_transcribing(self) -> None:
        transcriber, self._transcriber = self._transcriber, None
        if transcriber is not None:
            await transcriber.aclose()

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
        # what the caller says to the supervisor stays in context for the handback
        await keep_in_context(self.session, new_message)
        raise StopResponse
