"""The streaming Whisper STT reuses a transcript started during the end-of-speech silence.

A scripted VAD stands in for Silero (as livekit-agents' own tests do) and the transcriber
names the audio it was given, so each test sees which audio was transcribed and when.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from livekit import rtc
from livekit.agents import stt, utils
from livekit.agents.vad import VADEvent, VADEventType

from agent_worker.local_stt import WhisperSTT

pytestmark = pytest.mark.unit

WINDOW_S = 0.032
RATE = 16_000


def window(index: int) -> rtc.AudioFrame:
    samples = int(WINDOW_S * RATE)
    return rtc.AudioFrame(
        data=bytes([index % 256, 0]) * samples,
        sample_rate=RATE,
        num_channels=1,
        samples_per_channel=samples,
    )


def ids(buffer: utils.AudioBuffer) -> list[int]:
    frames = buffer if isinstance(buffer, list) else [buffer]
    return [bytes(frame.data.cast("B"))[0] for frame in frames]


class ScriptedVAD:
    """Emits `events` one by one (yielding to the loop between them), then ends."""

    def __init__(self, events: list[VADEvent]) -> None:
        self._events = events

    def stream(self) -> "ScriptedVAD":
        return self

    def push_frame(self, frame: rtc.AudioFrame) -> None:
        pass

    def flush(self) -> None:
        pass

    def end_input(self) -> None:
        pass

    async def aclose(self) -> None:
        pass

    async def __aiter__(self) -> AsyncIterator[VADEvent]:
        for event in self._events:
            await asyncio.sleep(0.01)
            yield event


class RecordingWhisper(WhisperSTT):
    def __init__(self, vad: ScriptedVAD) -> None:
        super().__init__(cast(Any, object()), vad=cast(Any, vad), speculate_after_s=0.1)
        self.transcribed: list[list[int]] = []

    async def transcribe_frames(
        self, buffer: utils.AudioBuffer, language: str | None
    ) -> tuple[str, str]:
        self.transcribed.append(ids(buffer))
        return " ".join(str(i) for i in ids(buffer)), "en"


def inference(index: int, silence_s: float) -> VADEvent:
    return VADEvent(
        type=VADEventType.INFERENCE_DONE,
        samples_index=0,
        timestamp=0.0,
        speech_duration=0.0,
        silence_duration=0.0,
        frames=[window(index)],
        speaking=True,
        raw_accumulated_silence=silence_s,
    )


def boundary(kind: VADEventType, frames: list[int]) -> VADEvent:
    return VADEvent(
        type=kind,
        samples_index=0,
        timestamp=0.0,
        speech_duration=0.0,
        silence_duration=0.5,
        frames=[window(i) for i in frames],
        speaking=kind == VADEventType.START_OF_SPEECH,
    )


async def finals(whisper: RecordingWhisper) -> list[str]:
    stream = whisper.stream()
    stream.end_input()
    texts = [
        event.alternatives[0].text
        async for event in stream
        if event.type == stt.SpeechEventType.FINAL_TRANSCRIPT
    ]
    await stream.aclose()
    return texts


async def test_transcript_started_in_the_silence_is_the_final_one() -> None:
    events = [
        boundary(VADEventType.START_OF_SPEECH, [1, 2]),
        inference(3, 0.0),
        inference(4, 0.064),
        inference(5, 0.128),  # 0.1 s of silence: transcribe 1..5 now
        inference(6, 0.192),
        boundary(VADEventType.END_OF_SPEECH, [1, 2, 3, 4, 5, 6]),
    ]
    whisper = RecordingWhisper(ScriptedVAD(events))

    assert await finals(whisper) == ["1 2 3 4 5"]
    assert whisper.transcribed == [[1, 2, 3, 4, 5]]


async def test_speech_after_the_speculation_makes_the_whole_segment_transcribed() -> None:
    events = [
        boundary(VADEventType.START_OF_SPEECH, [1]),
        inference(2, 0.128),  # speculation on 1..2
        inference(3, 0.0),  # the caller spoke again
        inference(4, 0.0),
        boundary(VADEventType.END_OF_SPEECH, [1, 2, 3, 4]),
    ]
    whisper = RecordingWhisper(ScriptedVAD(events))

    assert await finals(whisper) == ["1 2 3 4"]
    assert whisper.transcribed == [[1, 2], [1, 2, 3, 4]]


async def test_without_a_vad_the_stt_is_batch_only() -> None:
    whisper = WhisperSTT(cast(Any, object()))

    assert not whisper.capabilities.streaming
