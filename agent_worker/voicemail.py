"""Answering-machine detection on outbound calls, offline.

livekit-agents' AMD (`voice.amd`) does the listening: from the moment the phone answers
(`sip.callStatus` active) it times the callee's first speech with the session's VAD and
collects its transcript from the session's STT. A short greeting followed by silence (a
person's "Hello?", at most 2.5 s) is a human without further ado; longer speech goes to a
classifier LLM, and a machine's verdict waits until its greeting has ended. That classifier
would be a cloud model; here it is `GreetingClassifier`, a few rules over the greeting's words
("leave a message", "after the tone", "mailbox is full", "press 1"), so the decision is
offline and reproducible.

A person then hears the agent's first message; a machine gets the configured action: the
agent leaves its message once the greeting is over, or hangs up at once. Either way the
control plane learns who answered (`answered_by` on the session and the call's `call.status`
events).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from typing import TYPE_CHECKING, Literal

import aiohttp
from livekit import api as lk
from livekit.agents import llm
from livekit.agents.utils.participant import wait_for_participant_attribute
from livekit.agents.voice.amd import AMD, AMDCategory, AMDPredictionEvent

from .contracts import DispatchMetadata, VoicemailConfig
from .in_process_llm import InProcessLLM
from .phone_call import hang_up

if TYPE_CHECKING:
    from livekit import rtc
    from livekit.agents import AgentSession
    from livekit.agents.voice.audio_recognition import _EndOfTurnInfo

logger = logging.getLogger(__name__)

AnsweredBy = Literal["human", "machine", "unknown"]
VoicemailOutcome = Literal["left_message", "hung_up"]

_UNAVAILABLE = re.compile(
    r"mailbox (?:is )?full|(?:has not|hasn't|not) been set ?up|cannot (?:take|accept) (?:any )?"
    r"(?:new )?messages|no longer in service|not in service",
    re.I,
)
_IVR = re.compile(r"\bpress (?:\d|one|two|three|star|pound)\b|para espa", re.I)
_VOICEMAIL = re.compile(
    r"leave (?:me |us )?(?:a |your )?(?:brief |short )?(?:message|name and number)|after the "
    r"(?:tone|beep)|voice ?mail|not available|unavailable|(?:can't|cannot|can not|unable to) "
    r"(?:take|come to|answer)|you(?:'ve| have) reached|record your message|at the tone",
    re.I,
)
_WORD = re.compile(r"[a-z0-9']+", re.I)
HUMAN_MAX_WORDS = 8
"""A greeting of at most this many words with no machine phrase is a person ("Hello, this is
Sam, who's calling?"); a longer one without any is left to the timers (uncertain)."""


def classify_greeting(transcript: str) -> AMDCategory:
    """Who answered, from the words of their greeting."""
    if _UNAVAILABLE.search(transcript):
        return AMDCategory.MACHINE_UNAVAILABLE
    if _IVR.search(transcript):
        return AMDCategory.MACHINE_IVR
    if _VOICEMAIL.search(transcript):
        return AMDCategory.MACHINE_VM
    if 0 < len(_WORD.findall(transcript)) <= HUMAN_MAX_WORDS:
        return AMDCategory.HUMAN
    return AMDCategory.UNCERTAIN


class _GreetingStream(llm.LLMStream):
    async def _run(self) -> None:
        users = [i for i in self._chat_ctx.items if i.type == "message" and i.role == "user"]
        transcript = (users[-1].text_content or "") if users else ""
        category = classify_greeting(transcript)
        names = {getattr(tool, "id", None) for tool in self._tools}
        if category is not AMDCategory.UNCERTAIN:
            name, arguments = "save_prediction", {"label": category.value}
        elif "postpone_termination" in names:
            name, arguments = "postpone_termination", {"seconds": 3.0}
        else:
            return
        request_id = uuid.uuid4().hex
        call = llm.FunctionToolCall(
            name=name, arguments=json.dumps(arguments), call_id=f"call_{request_id[:12]}"
        )
        self._event_ch.send_nowait(
            llm.ChatChunk(id=request_id, delta=llm.ChoiceDelta(role="assistant", tool_calls=[call]))
        )


class GreetingClassifier(InProcessLLM):
    """AMD's classifier LLM, offline: answers each request with the `save_prediction` tool
    call that `classify_greeting` decides (or, when unsure, asks for more audio)."""

    stream_type = _GreetingStream
    model_name = "greeting-rules"


class _GreetingDetector(AMD):
    """AMD that also keeps the agent from answering the greeting while it listens to it (the
    library skips the reply only once it decided on a machine): a person's "Hello?" is
    answered by the first message, a machine's greeting by nothing."""

    def _on_end_of_turn(self, info: _EndOfTurnInfo) -> bool:
        pending = self.pending
        return super()._on_end_of_turn(info) or pending


async def detect_answering_machine(
    session: AgentSession, room: rtc.Room, phone_identity: str
) -> AMDPredictionEvent:
    """Wait until the phone answers, then listen to the greeting until AMD decides."""
    # AMD waits only 5 s for the phone's audio track, and a phone may ring for longer.
    await wait_for_participant_attribute(
        room, identity=phone_identity, attribute="sip.callStatus", value="active"
    )
    async with _GreetingDetector(
        session,
        llm=GreetingClassifier(),
        stt=None,
        ivr_detection=False,
        participant_identity=phone_identity,
        suppress_compatibility_warning=True,
    ) as detector:
        return await detector.execute()


def answered_by(result: AMDPredictionEvent) -> AnsweredBy:
    if result.is_machine:
        return "machine"
    return "human" if result.is_human else "unknown"


class OutboundGreeting:
    """What the agent says first on an outbound call with answering-machine detection."""

    def __init__(
        self,
        session: AgentSession,
        room: rtc.Room,
        phone_identity: str,
        http: aiohttp.ClientSession,
        livekit: lk.LiveKitAPI,
        meta: DispatchMetadata,
        *,
        first_message: str | None,
        voicemail: VoicemailConfig,
        allow_interruptions: bool,
    ) -> None:
        self._session = session
        self._room = room
        self._phone = phone_identity
        self._http = http
        self._livekit = livekit
        self._meta = meta
        self._first_message = first_message
        self._voicemail = voicemail
        self._allow_interruptions = allow_interruptions
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="voxroom.voicemail")
        self._task.add_done_callback(self._finished)

    async def _run(self) -> None:
        result = await detect_answering_machine(self._session, self._room, self._phone)
        who = answered_by(result)
        logger.info(
            "answered",
            extra={"answered_by": who, "category": result.category.value, "why": result.reason},
        )
        if who != "machine":
            await self._report(who, None, result)
            # the first message answers the callee's "Hello?": their turn is dropped, and a
            # reply to it that may have been queued meanwhile
            self._session.clear_user_turn()
            self._session.interrupt(force=True)
            if self._first_message:
                self._session.say(
                    self._first_message, allow_interruptions=self._allow_interruptions
                )
            return
        outcome: VoicemailOutcome = "hung_up"
        if self._voicemail.action == "leave_message" and result.category != (
            AMDCategory.MACHINE_UNAVAILABLE
        ):
            outcome = "left_message"
        await self._report(who, outcome, result)
        if outcome == "left_message":
            said = self._session.say(self._voicemail.message, allow_interruptions=False)
            await said.wait_for_playout()
        # the room, not the phone alone: a phone removed alone leaves the agent in the room
        # until LiveKit closes it, 20 s later
        await hang_up(self._livekit, self._room.name)

    async def _report(
        self, who: AnsweredBy, outcome: VoicemailOutcome | None, result: AMDPredictionEvent
    ) -> None:
        body = {"answered_by": who, "voicemail": outcome, "category": result.category.value}
        try:
            async with self._http.post(
                f"{self._meta.report_url}/sessions/{self._meta.session_id}/answered",
                json=body,
                headers={"Authorization": f"Bearer {self._meta.report_token}"},
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:
                if response.status >= 300:
                    logger.warning("answer not reported", extra={"status": response.status})
        except (aiohttp.ClientError, TimeoutError) as exc:
            logger.warning("answer not reported", extra={"error": type(exc).__name__})

    def _finished(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error("answering-machine detection failed", exc_info=task.exception())

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
