"""One conversation: build the voice pipeline from the dispatch metadata, run it, report it."""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import aiohttp
from livekit import rtc
from livekit.agents import (
    AgentSession,
    CloseEvent,
    CloseReason,
    JobContext,
    TurnHandlingOptions,
    inference,
    llm,
    room_io,
)
from pydantic import ValidationError

from .call_vad import CallVAD
from .contracts import (
    AgentSpec,
    DispatchMetadata,
    SessionEndedEvent,
    SessionStartedEvent,
    TranscriptSoFar,
)
from .dtmf import KeypadInput, send_digits
from .errors import AgentError, InvalidDispatchError
from .kb_answerer import KnowledgeSource
from .knowledge import ControlPlaneKnowledge
from .phone_call import hang_up
from .phone_tools import phone_tools
from .providers import build_llm, build_stt, build_tts
from .recording import call_recording_options, open_call_recording
from .reporter import (
    RetryPolicy,
    SessionLease,
    SessionReporter,
    fetch_transcript_so_far,
    new_event_id,
)
from .room_connect import join_room
from .session_guard import LimitReason, SessionGuard
from .supervision import SUPERVISOR_SAID_PREFIX, SupervisedAgent, Supervision
from .tools import agent_tools
from .transcript_endpointing import TranscriptEndpointing, applies_to
from .transfer import CallTransfer
from .turn_recorder import TurnRecorder
from .voicemail import OutboundGreeting

if TYPE_CHECKING:
    from livekit.agents import vad

    from .offline_models import OfflineModels
    from .settings import WorkerSettings

logger = logging.getLogger(__name__)

EndReason = Literal["manual", "max_duration", "silence", "participant_left", "agent_error"]
_REPORT_DRAIN_TIMEOUT_S = 20.0
RESUME_LINE = "Sorry, I'm back. Where were we?"
"""What an agent taking over a call whose worker died says instead of the first message."""


@dataclass
class ProcessResources:
    """Loaded once per worker process (prewarm) and shared by the sessions it runs."""

    settings: WorkerSettings
    vad: vad.VAD
    models: OfflineModels


def parse_dispatch_metadata(raw: str) -> DispatchMetadata:
    try:
        return DispatchMetadata.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidDispatchError(
            f"job metadata is not valid DispatchMetadata ({exc.error_count()} errors)"
        ) from exc


def turn_handling(spec: AgentSpec) -> TurnHandlingOptions:
    detection = spec.turn_detection
    mode = (
        inference.TurnDetector(version="v1-mini") if detection.mode == "model" else detection.mode
    )
    return {
        "turn_detection": mode,
        "endpointing": {
            "min_delay": detection.min_endpointing_delay,
            "max_delay": detection.max_endpointing_delay,
        },
        "interruption": {
            "enabled": spec.interruptions.enabled,
            # the adaptive detector is a cloud model; VAD-based interruption works offline
            "mode": "vad",
            "min_words": spec.interruptions.min_words,
            "min_duration": spec.interruptions.min_duration,
        },
        # the answer is rendered while the end of the turn is still awaited (a turn whose words
        # read finished waits up to 1.2 s, see transcript_endpointing), not after it
        "preemptive_generation": {"preemptive_tts": True},
    }


def caller_audio_input(is_phone: bool) -> room_io.AudioInputOptions:
    """livekit-agents' room input levels the caller's audio (AGC) unless told not to. A phone
    line's audio comes levelled by the carrier: its AGC is skipped (0.2 % of a core per call,
    measured; Silero found the same speech in phone-band questions at 0, -20 and -30 dB with
    or without it)."""
    return room_io.AudioInputOptions(auto_gain_control=not is_phone)


def build_agent_session(
    spec: AgentSpec, resources: ProcessResources, knowledge: KnowledgeSource | None = None
) -> AgentSession:
    settings, models = resources.settings, resources.models
    call_vad = CallVAD(resources.vad)  # one Silero stream for the session and its STT
    session: AgentSession = AgentSession(
        stt=build_stt(spec, settings, models, vad=call_vad.for_stt()),
        vad=call_vad,
        llm=build_llm(spec, settings, knowledge=knowledge),
        tts=build_tts(spec, settings, models),
        turn_handling=turn_handling(spec),
    )
    if applies_to(spec):
        TranscriptEndpointing(session, spec.turn_detection).attach()
    return session


def resumed_chat_context(transcript: TranscriptSoFar) -> llm.ChatContext:
    """The conversation so far as the LLM's context: the caller's, the agent's and a
    supervisor's lines (system lines, such as a supervisor's actions, are the control plane's
    notes)."""
    chat_ctx = llm.ChatContext.empty()
    for line in transcript.lines:
        if line.role == "user":
            chat_ctx.add_message(role="user", content=line.text)
        elif line.role == "agent":
            chat_ctx.add_message(role="assistant", content=line.text)
        elif line.role == "supervisor":
            chat_ctx.add_message(role="system", content=SUPERVISOR_SAID_PREFIX + line.text)
    return chat_ctx


def _close_reason(event: CloseEvent) -> EndReason:
    if event.reason == CloseReason.PARTICIPANT_DISCONNECTED:
        return "participant_left"
    if event.reason == CloseReason.ERROR:
        return "agent_error"
    return "manual"


class CallSession:
    """Runs one dispatched conversation from join to end and reports it turn by turn."""

    def __init__(
        self,
        ctx: JobContext,
        meta: DispatchMetadata,
        resources: ProcessResources,
        reporter: SessionReporter,
        http: aiohttp.ClientSession,
    ) -> None:
        self._ctx = ctx
        self._meta = meta
        self._spec = meta.agent
        self._resources = resources
        self._reporter = reporter
        self._http = http
        self._limit_reason: EndReason | None = None
        self._session: AgentSession | None = None
        self.knowledge: KnowledgeSource | None = (
            ControlPlaneKnowledge(
                http,
                report_url=meta.report_url,
                report_token=meta.report_token,
                knowledge_base_ids=meta.agent.knowledge_base_ids,
            )
            if meta.agent.knowledge_base_ids
            else None
        )
        self.recorder: TurnRecorder | None = None

    def _end(self, reason: EndReason) -> None:
        if self._limit_reason is not None or self._session is None:
            return
        self._limit_reason = reason
        # a goodbye said through end_call is let finish; limits cut the call at once
        self._session.shutdown(drain=reason == "manual")

    def _on_limit(self, reason: LimitReason) -> None:
        self._end(reason)

    async def _transcript_so_far(self) -> llm.ChatContext | None:
        """The conversation the lost agent had, for the agent taking over; without it the call
        still goes on (the caller is told the agent is back either way)."""
        try:
            transcript = await fetch_transcript_so_far(
                self._http,
                report_url=self._meta.report_url,
                session_id=self._meta.session_id,
                report_token=self._meta.report_token,
            )
        except (aiohttp.ClientError, TimeoutError, ValidationError) as exc:
            logger.warning("transcript so far not loaded", extra={"error": type(exc).__name__})
            return None
        return resumed_chat_context(transcript)

    async def run(self) -> tuple[EndReason, str | None]:
        ctx, spec = self._ctx, self._spec
        await join_room(ctx)
        try:
            participant = await asyncio.wait_for(ctx.wait_for_participant(), spec.max_duration_s)
        except TimeoutError:
            return "max_duration", None
        self._reporter.submit(
            SessionStartedEvent(event_id=new_event_id(), caller_identity=participant.identity)
        )

        chat_ctx: llm.ChatContext | None = None
        if self._meta.resume:
            chat_ctx = await self._transcript_so_far()

        session = build_agent_session(spec, self._resources, self.knowledge)
        self._session = session
        self.recorder = TurnRecorder(session, self._reporter)
        loop = asyncio.get_running_loop()
        closed: asyncio.Future[tuple[EndReason, str | None]] = loop.create_future()

        def _on_close(event: CloseEvent) -> None:
            error = None
            if event.error is not None:
                error = f"{event.error.type}: {type(event.error.error).__name__}"
            if not closed.done():
                closed.set_result((_close_reason(event), error))

        def _on_room_disconnected(_reason: object) -> None:
            if not closed.done():
                closed.set_result(("manual", None))

        session.on("close", _on_close)
        ctx.room.on("disconnected", _on_room_disconnected)

        tools = agent_tools(
            spec,
            http=self._http,
            timeout_s=self._resources.settings.tool_timeout_s,
            context={"session_id": self._meta.session_id, "agent_id": self._meta.agent_id},
            knowledge=self.knowledge,
            on_end_call=lambda: self._end("manual"),
        )
        is_phone = participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_SIP
        transfer = CallTransfer(self._http, self._meta, spec.phone)
        if is_phone:
            press = functools.partial(send_digits, ctx.room.local_participant)
            tools = [*tools, *phone_tools(spec.phone, press=press, transfer=transfer)]
        supervision = Supervision(
            self._meta.session_id, self._resources.settings.livekit_api_secret.get_secret_value()
        )
        await session.start(
            agent=SupervisedAgent(
                supervision=supervision,
                instructions=spec.instructions,
                tools=tools,
                chat_ctx=chat_ctx,
            ),
            room=ctx.room,
            room_options=room_io.RoomOptions(
                participant_identity=participant.identity,
                close_on_disconnect=True,
                audio_input=caller_audio_input(is_phone),
            ),
            record=call_recording_options(spec),
            # livekit-agents' "session host" (on by default) answers any participant of the
            # room over the `lk.agent.session` topic: the agent's instructions and context
            # (supervisors' whispers included) to whoever asks, text input run as the caller's
            # turn, input and output switched off; and it sends every session event to every
            # participant. Our own reports and supervision API do that work, authenticated.
            session_host=False,
        )
        supervision.attach(session, ctx.room)
        if spec.privacy.record_audio and self._meta.report_token:
            await open_call_recording(self._http, ctx.job.id, self._meta)
        # Keys count only from the caller: a phone, or a gateway caller relaying Twilio's.
        keypad = KeypadInput(session, ctx.room, participant.identity, self._reporter)
        if spec.phone.dtmf:
            keypad.attach()
        greeting: OutboundGreeting | None = None
        if is_phone and spec.phone.voicemail.detect and not self._meta.resume:
            # who answered decides what is said first: the first message or the voicemail
            greeting = OutboundGreeting(
                session, ctx.room, participant.identity, self._http, ctx.api, self._meta,
                first_message=spec.first_message, voicemail=spec.phone.voicemail,
                allow_interruptions=spec.interruptions.enabled,
            )  # fmt: skip
            greeting.start()
        elif self._meta.resume:
            session.say(RESUME_LINE, allow_interruptions=spec.interruptions.enabled)
        elif spec.first_message:
            session.say(spec.first_message, allow_interruptions=spec.interruptions.enabled)

        guard = SessionGuard(
            session,
            max_duration_s=spec.max_duration_s,
            silence_s=spec.silence.end_call_after_s,
            on_limit=self._on_limit,
        )
        guard_task = asyncio.create_task(guard.run(), name="voxroom.session_guard")
        try:
            reason, error = await closed
        finally:
            guard_task.cancel()
            await asyncio.gather(guard_task, return_exceptions=True)
            await supervision.aclose()
            await keypad.aclose()
            await transfer.aclose()
            if greeting is not None:
                await greeting.aclose()
            if isinstance(session.vad, CallVAD):
                await session.vad.aclose()
            ctx.room.off("disconnected", _on_room_disconnected)
        if is_phone and self._limit_reason is not None:
            await hang_up(ctx.api, ctx.room.name)  # the agent ended the call: so does the phone
        return self._limit_reason or reason, error


async def run_session(ctx: JobContext, resources: ProcessResources) -> None:
    """The job entrypoint body: one call, reported, then the agent leaves the room."""
    meta = parse_dispatch_metadata(ctx.job.metadata)
    ctx.log_context_fields = {"session_id": meta.session_id, "agent_id": meta.agent_id}
    settings = resources.settings
    policy = RetryPolicy(
        max_attempts=settings.report_max_attempts,
        backoff_base_s=settings.report_backoff_base_s,
        backoff_max_s=settings.report_backoff_max_s,
        timeout_s=settings.report_timeout_s,
    )
    async with aiohttp.ClientSession() as http:
        reporter = SessionReporter(
            report_url=meta.report_url,
            session_id=meta.session_id,
            report_token=meta.report_token,
            http=http,
            policy=policy,
        )
        reporter.start()
        lease = SessionLease(
            report_url=meta.report_url,
            session_id=meta.session_id,
            report_token=meta.report_token,
            http=http,
        )
        if meta.report_token:  # (a dispatch with no report token reports nothing)
            lease.start()
        call = CallSession(ctx, meta, resources, reporter, http)
        reason: EndReason = "agent_error"
        error: str | None = "worker stopped during the call"
        try:
            reason, error = await call.run()
        except AgentError as exc:
            logger.error("session could not run", extra={"error": str(exc)})
            error = str(exc)
        except Exception as exc:
            logger.exception("session failed")
            error = type(exc).__name__
        finally:
            if call.recorder is not None:
                call.recorder.flush_usage()
            reporter.submit(SessionEndedEvent(event_id=new_event_id(), reason=reason, error=error))
            await reporter.aclose(drain_timeout_s=_REPORT_DRAIN_TIMEOUT_S)
            # renewed until the end is reported: a call that ended is not taken over
            await lease.aclose()
    ctx.shutdown(reason=reason)
