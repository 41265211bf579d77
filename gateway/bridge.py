"""The LiveKit side of one call: the gateway joins the room as the caller participant,
publishes the client's audio as its microphone, and turns what the agent does into
`BridgeEvent`s (audio, utterance ends, barge-ins, transcripts, the room closing).

livekit-agents tells the room what it does: the agent's `lk.agent.state` attribute
(`speaking` while its audio plays out) and transcripts on the `lk.transcription` text stream
topic, for the caller (sent on the caller's behalf, naming the caller's track) and the agent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections import deque
from dataclasses import dataclass

from livekit import rtc

from gateway.serializers import Role

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

logger = logging.getLogger(__name__)

TRANSCRIPTION_TOPIC = "lk.transcription"
ATTRIBUTE_AGENT_STATE = "lk.agent.state"
ATTRIBUTE_TRANSCRIPTION_FINAL = "lk.transcription_final"
ATTRIBUTE_TRANSCRIBED_TRACK = "lk.transcribed_track_id"

FRAME_MS = 20
PREROLL_FRAMES = 15
"""Agent audio kept from before its `speaking` state arrives (the attribute and the first
audio travel separately; neither is reliably first)."""
AUDIBLE_RMS = 200
"""int16 RMS above which a frame is sound rather than silence."""
CALLER_VOICE_RMS = 500
BARGE_IN_WINDOW_S = 0.7
"""The agent stopping while the caller spoke this recently is a barge-in, not an ending."""
UTTERANCE_TAIL_S = 0.3
"""After the agent stops speaking, its last audio is still in flight for about this long."""
MAX_AHEAD_S = 0.5
"""Caller audio arriving this far ahead of real time (a burst after a network stall) is
dropped: played late, it would delay everything the caller says after it."""
VOICE_HANGOVER_S = 0.5
"""Another participant's audio (a supervisor who took over) goes to the caller while it was
audible this recently, so quiet syllables and short pauses are not cut out."""


@dataclass(frozen=True)
class AgentAudio:
    pcm: bytes


@dataclass(frozen=True)
class UtteranceEnd:
    pass


@dataclass(frozen=True)
class BargeIn:
    pass


@dataclass(frozen=True)
class Transcript:
    role: Role
    text: str
    final: bool


@dataclass(frozen=True)
class RoomClosed:
    reason: str


BridgeEvent = AgentAudio | UtteranceEnd | BargeIn | Transcript | RoomClosed


class RoomBridge:
    """One caller participant in one room. `events` is read by the connection."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.events: asyncio.Queue[BridgeEvent] = asyncio.Queue()
        self.room = rtc.Room()
        self._source = rtc.AudioSource(sample_rate, 1, queue_size_ms=200)
        self._mic_sid: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._audio_task: asyncio.Task[None] | None = None
        self._frame_bytes = sample_rate * 2 * FRAME_MS // 1000
        self._pending_pcm = bytearray()
        self._speaking = False
        self._in_utterance = False
        self._preroll: deque[bytes] = deque(maxlen=PREROLL_FRAMES)
        self._caller_voice_at = 0.0
        self._tail: asyncio.TimerHandle | None = None
        self._closed = False
        self._joined = False
        self._ahead_s = 0.0
        self._last_push: float | None = None
        self.dropped_s = 0.0
        """Seconds of caller audio dropped (before the join, or arriving in a burst)."""

    async def join(self, url: str, token: str) -> None:
        self.room.on("track_subscribed", self._on_track_subscribed)
        self.room.on("participant_attributes_changed", self._on_attributes_changed)
        self.room.on("disconnected", self._on_disconnected)
        self.room.register_text_stream_handler(TRANSCRIPTION_TOPIC, self._on_text_stream)
        await self.room.connect(url, token, rtc.RoomOptions(auto_subscribe=True))
        track = rtc.LocalAudioTrack.create_audio_track("microphone", self._source)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        publication = await self.room.local_participant.publish_track(track, options)
        self._mic_sid = publication.sid
        for participant in self.room.remote_participants.values():
            self._on_attributes_changed({}, participant)
        self._joined = True

    async def push_audio(self, pcm: bytes) -> None:
        """Caller audio (PCM16 mono at `sample_rate`), sent on in 20 ms frames; dropped before
        the room is joined and when it arrives too far ahead of real time."""
        duration = len(pcm) / 2 / self.sample_rate
        now = time.monotonic()
        if self._last_push is not None:
            self._ahead_s = max(0.0, self._ahead_s - (now - self._last_push))
        self._last_push = now
        if not self._joined or self._ahead_s > MAX_AHEAD_S:
            self.dropped_s += duration
            return
        self._ahead_s += duration
        if pcm and audioop.rms(pcm, 2) >= CALLER_VOICE_RMS:
            self._caller_voice_at = time.monotonic()
        self._pending_pcm += pcm
        size = self._frame_bytes
        while len(self._pending_pcm) >= size:
            chunk = bytes(self._pending_pcm[:size])
            del self._pending_pcm[:size]
            frame = rtc.AudioFrame(chunk, self.sample_rate, 1, size // 2)
            await self._source.capture_frame(frame)

    async def send_dtmf(self, digit: str) -> None:
        if not self._joined:
            return
        code = "0123456789*#ABCD".index(digit)
        await self.room.local_participant.publish_dtmf(code=code, digit=digit)

    async def aclose(self) -> None:
        self._closed = True
        if self._tail is not None:
            self._tail.cancel()
        tasks = [*self._tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.room.unregister_text_stream_handler(TRANSCRIPTION_TOPIC)
        with contextlib.suppress(Exception):
            await self.room.disconnect()
        await self._source.aclose()

    def _spawn(self, coro: object, name: str) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(coro, name=name)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # Agent audio and its utterances.

    def _on_track_subscribed(
        self,
        track: rtc.Track,
        _publication: rtc.RemoteTrackPublication,
        participant: rtc.RemoteParticipant,
    ) -> None:
        if track.kind != rtc.TrackKind.KIND_AUDIO:
            return
        if not _is_agent(participant):
            self._spawn(self._read_other_audio(track), "gateway.other_audio")
            return
        # A replacement agent (its worker died) brings a new track: read that one instead.
        if self._audio_task is not None:
            self._audio_task.cancel()
        self._audio_task = self._spawn(self._read_agent_audio(track), "gateway.agent_audio")

    async def _read_agent_audio(self, track: rtc.Track) -> None:
        stream = rtc.AudioStream.from_track(
            track=track, sample_rate=self.sample_rate, num_channels=1, frame_size_ms=FRAME_MS
        )
        try:
            async for event in stream:
                pcm = bytes(event.frame.data)
                if self._in_utterance:
                    self.events.put_nowait(AgentAudio(pcm))
                else:
                    self._preroll.append(pcm)
        finally:
            await stream.aclose()

    async def _read_other_audio(self, track: rtc.Track) -> None:
        """A person in the room besides the agent (a supervisor on takeover): the caller hears
        them while they speak and the agent does not (the agent's audio comes first)."""
        stream = rtc.AudioStream.from_track(
            track=track, sample_rate=self.sample_rate, num_channels=1, frame_size_ms=FRAME_MS
        )
        open_until = 0.0
        try:
            async for event in stream:
                pcm = bytes(event.frame.data)
                now = time.monotonic()
                if audioop.rms(pcm, 2) >= AUDIBLE_RMS:
                    open_until = now + VOICE_HANGOVER_S
                if now < open_until and not self._in_utterance:
                    self.events.put_nowait(AgentAudio(pcm))
        finally:
            await stream.aclose()

    def _on_attributes_changed(
        self, _changed: dict[str, str], participant: rtc.Participant
    ) -> None:
        if not isinstance(participant, rtc.RemoteParticipant) or not _is_agent(participant):
            return
        speaking = participant.attributes.get(ATTRIBUTE_AGENT_STATE) == "speaking"
        if speaking == self._speaking:
            return
        self._speaking = speaking
        if speaking:
            self._start_utterance()
        elif self._in_utterance:
            self._stop_utterance()

    def _start_utterance(self) -> None:
        if self._tail is not None:
            self._tail.cancel()
            self._tail = None
        if self._in_utterance:
            return
        self._in_utterance = True
        frames = list(self._preroll)
        self._preroll.clear()
        audible = [i for i, pcm in enumerate(frames) if audioop.rms(pcm, 2) >= AUDIBLE_RMS]
        for pcm in frames[audible[0] :] if audible else []:
            self.events.put_nowait(AgentAudio(pcm))

    def _stop_utterance(self) -> None:
        if time.monotonic() - self._caller_voice_at <= BARGE_IN_WINDOW_S:
            self._in_utterance = False
            self.events.put_nowait(BargeIn())
            return
        loop = asyncio.get_running_loop()
        self._tail = loop.call_later(UTTERANCE_TAIL_S, self._end_utterance)

    def _end_utterance(self) -> None:
        self._tail = None
        if self._in_utterance and not self._speaking:
            self._in_utterance = False
            self.events.put_nowait(UtteranceEnd())

    # Transcripts.

    def _on_text_stream(self, reader: rtc.TextStreamReader, participant_identity: str) -> None:
        self._spawn(self._read_transcript(reader, participant_identity), "gateway.transcript")

    async def _read_transcript(self, reader: rtc.TextStreamReader, sender: str) -> None:
        attributes = reader.info.attributes or {}
        local = self.room.local_participant.identity
        caller = sender == local or (
            self._mic_sid is not None
            and attributes.get(ATTRIBUTE_TRANSCRIBED_TRACK) == self._mic_sid
        )
        role: Role = "user" if caller else "agent"
        text = ""
        try:
            async for chunk in reader:
                text += chunk
                self.events.put_nowait(Transcript(role, text, final=False))
        except rtc.StreamError:
            return
        finally:
            reader.close()
        final = (reader.info.attributes or {}).get(ATTRIBUTE_TRANSCRIPTION_FINAL) == "true"
        if final and text:
            self.events.put_nowait(Transcript(role, text, final=True))

    def _on_disconnected(self, reason: object) -> None:
        if not self._closed:
            self.events.put_nowait(RoomClosed(str(reason)))


def _is_agent(participant: rtc.RemoteParticipant) -> bool:
    return bool(participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT)
