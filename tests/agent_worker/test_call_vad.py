"""A call's VAD streams share one Silero stream and still see what a stream of their own would.

Real Silero on flite speech, framed as the room input frames it (24 kHz, 50 ms). The last test
drives a real `AgentSession` with a non-streaming STT: it fails if a livekit-agents upgrade stops
handing the session's VAD and the STT the same frames (the STT's view would then hear nothing).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from livekit import rtc
from livekit.agents import (
    Agent,
    AgentSession,
    APIConnectOptions,
    LanguageCode,
    UserInputTranscribedEvent,
    stt,
    utils,
)
from livekit.agents.vad import VAD, VADEvent, VADEventType, VADStream
from livekit.agents.voice import io
from livekit.plugins import silero

from agent_worker.call_vad import CallVAD
from agent_worker.kb_answerer import KbAnswerer
from tests.media import flite_wav, read_wav, resample

pytestmark = pytest.mark.unit

RATE = 24_000
FRAME = RATE // 20  # 50 ms, the room input's frame


@pytest.fixture(scope="module")
def silero_vad() -> VAD:
    return silero.VAD.load()


@pytest.fixture(scope="module")
def call_audio(tmp_path_factory: pytest.TempPathFactory) -> list[rtc.AudioFrame]:
    """Silence, a question, silence, another question, silence."""
    folder = tmp_path_factory.mktemp("call_vad")
    parts = [np.zeros(RATE // 2, dtype=np.int16)]
    for i, text in enumerate(["What time do you open on Sunday?", "Do you deliver to my street?"]):
        samples, rate = read_wav(flite_wav(text, folder / f"{i}.wav"))
        parts += [resample(samples, rate, RATE), np.zeros(RATE * 3 // 2, dtype=np.int16)]
    pcm = np.concatenate(parts)
    pcm = pcm[: len(pcm) // FRAME * FRAME]
    return [rtc.AudioFrame(chunk.tobytes(), RATE, 1, FRAME) for chunk in pcm.reshape(-1, FRAME)]


def summary(events: list[VADEvent]) -> list[tuple[Any, ...]]:
    return [
        (e.type, e.samples_index, e.speaking, b"".join(bytes(f.data) for f in e.frames))
        for e in events
    ]


def speech(events: list[VADEvent]) -> list[VADEvent]:
    return [e for e in events if e.type != VADEventType.INFERENCE_DONE]


async def run(streams: dict[VADStream, Iterator[rtc.AudioFrame]]) -> list[list[VADEvent]]:
    """Push each stream its frames (in step, yielding between frames), then its events."""

    async def collect(stream: VADStream) -> list[VADEvent]:
        return [event async for event in stream]

    collectors = [asyncio.create_task(collect(stream)) for stream in streams]
    for step in zip(*streams.values(), strict=True):
        for stream, frame in zip(streams, step, strict=True):
            stream.push_frame(frame)
        await asyncio.sleep(0)
    for stream in streams:
        stream.end_input()
    results = await asyncio.gather(*collectors)
    for stream in streams:
        await stream.aclose()
    return results


async def test_the_sessions_and_the_stts_streams_see_what_their_own_silero_would(
    silero_vad: VAD, call_audio: list[rtc.AudioFrame]
) -> None:
    (own,) = await run({silero_vad.stream(): iter(call_audio)})
    call_vad = CallVAD(silero_vad)
    session_events, stt_events = await run(
        {call_vad.stream(): iter(call_audio), call_vad.for_stt().stream(): iter(call_audio)}
    )
    assert [e.type for e in speech(own)] == [
        VADEventType.START_OF_SPEECH,
        VADEventType.END_OF_SPEECH,
    ] * 2
    assert summary(session_events) == summary(own)
    assert summary(stt_events) == summary(own)
    assert call_vad.stats.streams_opened == 1
    assert call_vad.stats.stt_frames_matched == len(call_audio)


async def test_the_stt_does_not_hear_what_it_got_as_silence(
    silero_vad: VAD, call_audio: list[rtc.AudioFrame]
) -> None:
    (own,) = await run({silero_vad.stream(): iter(call_audio)})
    first_end = speech(own)[1].samples_index * RATE // 16_000
    # the STT got silence for the whole first question (the agent spoke uninterruptibly)
    # and for the second question's last 0.3 s (by AEC warm-up, say)
    second = speech(own)[2:]
    second_end = second[1].samples_index * RATE // 16_000 - int(second[1].silence_duration * RATE)
    silenced = {*range(first_end // FRAME), *range(second_end // FRAME - 6, second_end // FRAME)}
    stt_frames = [
        utils.audio.silence_frame_like(frame) if i in silenced else frame
        for i, frame in enumerate(call_audio)
    ]
    call_vad = CallVAD(silero_vad)
    session_events, stt_events = await run(
        {call_vad.stream(): iter(call_audio), call_vad.for_stt().stream(): iter(stt_frames)}
    )
    assert summary(session_events) == summary(own)
    heard = speech(stt_events)
    assert [e.type for e in heard] == [VADEventType.START_OF_SPEECH, VADEventType.END_OF_SPEECH]
    pcm = np.frombuffer(b"".join(bytes(f.data) for f in heard[1].frames), dtype=np.int16)
    real = np.frombuffer(b"".join(bytes(f.data) for f in second[1].frames), dtype=np.int16)
    assert len(pcm) == len(real)
    end_of_speech = len(real) - int(second[1].silence_duration * RATE)
    heard_alike = end_of_speech - 7 * FRAME
    assert np.array_equal(pcm[:heard_alike], real[:heard_alike])
    assert np.any(real[end_of_speech - 5 * FRAME : end_of_speech - FRAME])
    assert not np.any(pcm[end_of_speech - 5 * FRAME : end_of_speech - FRAME])
    assert call_vad.stats.stt_frames_silenced == len(silenced)
    assert call_vad.stats.stt_frames_unmatched == 0


async def test_the_stts_stream_outlives_the_sessions_reopened_stream(
    silero_vad: VAD, call_audio: list[rtc.AudioFrame]
) -> None:
    (own,) = await run({silero_vad.stream(): iter(call_audio)})
    half = speech(own)[1].samples_index * RATE // 16_000 // FRAME + 10  # after the 1st question
    call_vad = CallVAD(silero_vad)
    stt_stream = call_vad.for_stt().stream()
    collector = asyncio.create_task(_collect(stt_stream))
    first = call_vad.stream()
    first_events = asyncio.create_task(_collect(first))
    for frame in call_audio[:half]:
        first.push_frame(frame)
        stt_stream.push_frame(frame)
        await asyncio.sleep(0)
    first.end_input()
    await first_events
    await first.aclose()
    second = call_vad.stream()  # an agent handoff reopens the session's stream
    second_events = asyncio.create_task(_collect(second))
    for frame in call_audio[half:]:
        second.push_frame(frame)
        stt_stream.push_frame(frame)
        await asyncio.sleep(0)
    second.end_input()
    stt_stream.end_input()
    stt_events = await collector
    await second.aclose()
    await stt_stream.aclose()
    assert summary(stt_events) == summary(own)
    assert summary(speech(await first_events)) == summary(speech(own)[:2])
    assert [e.type for e in speech(await second_events)] == [
        VADEventType.START_OF_SPEECH,
        VADEventType.END_OF_SPEECH,
    ]
    assert call_vad.stats.streams_opened == 1


async def test_a_flushed_stream_starts_afresh_and_the_others_do_not_notice(
    silero_vad: VAD, call_audio: list[rtc.AudioFrame]
) -> None:
    # the session flushes its VAD when an STT ends the turn while the VAD hears speech
    (own,) = await run({silero_vad.stream(): iter(call_audio)})
    start = speech(own)[0].samples_index * RATE // 16_000 // FRAME
    call_vad = CallVAD(silero_vad)
    session, stt_stream = call_vad.stream(), call_vad.for_stt().stream()
    collectors = [asyncio.create_task(_collect(s)) for s in (session, stt_stream)]
    for i, frame in enumerate(call_audio):
        if i == start + 10:
            session.flush()
        session.push_frame(frame)
        stt_stream.push_frame(frame)
        await asyncio.sleep(0)
    session.end_input()
    stt_stream.end_input()
    session_events, stt_events = await asyncio.gather(*collectors)
    await session.aclose()
    await stt_stream.aclose()
    assert summary(stt_events) == summary(own)
    flushed = speech(session_events)
    assert [e.type for e in flushed] == [VADEventType.START_OF_SPEECH] * 2 + [
        VADEventType.END_OF_SPEECH,
        VADEventType.START_OF_SPEECH,
        VADEventType.END_OF_SPEECH,
    ]
    assert summary(flushed[3:]) == summary(speech(own)[2:])
    restarted = rtc.combine_audio_frames(flushed[1].frames)
    assert restarted.samples_per_channel <= 3 * RATE // 16_000 * 512  # no speech before it


async def test_a_stream_given_other_audio_than_the_callers_hears_it_on_its_own(
    silero_vad: VAD, call_audio: list[rtc.AudioFrame]
) -> None:
    # a supervisor taking over is transcribed with the call's STT (a microphone's hiss)
    hiss = np.random.default_rng(3).integers(-3, 4, FRAME, dtype=np.int16)
    supervisor = [
        rtc.AudioFrame((np.frombuffer(f.data, dtype=np.int16) + hiss).tobytes(), RATE, 1, FRAME)
        for f in call_audio
    ]
    (own,) = await run({silero_vad.stream(): iter(supervisor)})
    caller = [rtc.AudioFrame(bytes(FRAME * 2), RATE, 1, FRAME) for _ in call_audio]
    call_vad = CallVAD(silero_vad)
    _, supervisor_events = await run(
        {call_vad.stream(): iter(caller), call_vad.for_stt().stream(): iter(supervisor)}
    )
    assert summary(supervisor_events) == summary(own)
    assert call_vad.stats.own_streams == 1


async def _collect(stream: VADStream) -> list[VADEvent]:
    return [event async for event in stream]


class Recorded(io.AudioInput):
    """A caller's microphone playing `frames` (faster than real time), then silence."""

    def __init__(self, frames: list[rtc.AudioFrame]) -> None:
        super().__init__(label="recorded")
        self._frames = iter(frames)

    async def __anext__(self) -> rtc.AudioFrame:
        await asyncio.sleep(0.005)
        return next(self._frames, None) or rtc.AudioFrame(bytes(FRAME * 2), RATE, 1, FRAME)


class CountingSTT(stt.STT):
    """A non-streaming STT naming how much audio it was given."""

    def __init__(self) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=False, interim_results=False))
        self.heard_s: list[float] = []

    async def _recognize_impl(
        self, buffer: utils.AudioBuffer, *, conn_options: APIConnectOptions, **_: Any
    ) -> stt.SpeechEvent:
        frame = rtc.combine_audio_frames(buffer)
        self.heard_s.append(frame.duration)
        text = f"heard {len(self.heard_s)}"
        return stt.SpeechEvent(
            type=stt.SpeechEventType.FINAL_TRANSCRIPT,
            alternatives=[stt.SpeechData(language=LanguageCode("en"), text=text)],
        )


async def test_a_real_session_gives_the_vad_and_the_stt_the_same_frames(
    silero_vad: VAD, call_audio: list[rtc.AudioFrame], tmp_path: Path
) -> None:
    call_vad = CallVAD(silero_vad)
    recognizer = CountingSTT()
    transcripts: list[str] = []
    async with AgentSession(
        vad=call_vad,
        stt=stt.StreamAdapter(stt=recognizer, vad=call_vad.for_stt()),
        llm=KbAnswerer(instructions="We sell shoes."),
        turn_handling={"turn_detection": "vad"},
    ) as session:
        session.input.audio = Recorded(call_audio)

        def on_transcript(event: UserInputTranscribedEvent) -> None:
            if event.is_final:
                transcripts.append(event.transcript)

        session.on("user_input_transcribed", on_transcript)
        await session.start(Agent(instructions="We sell shoes."))
        for _ in range(200):
            if len(transcripts) >= 2:
                break
            await asyncio.sleep(0.05)
    await call_vad.aclose()
    assert transcripts == ["heard 1", "heard 2"]
    assert all(1.0 < heard < 4.0 for heard in recognizer.heard_s)
    assert call_vad.stats.streams_opened == 1
    assert call_vad.stats.stt_frames_matched > len(call_audio) // 2
    assert call_vad.stats.stt_frames_unmatched == 0
