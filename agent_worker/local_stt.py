"""faster-whisper as a livekit-agents STT (batch recognition; the session pairs it with VAD)."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import numpy as np
from livekit import rtc
from livekit.agents import APIConnectOptions, LanguageCode, stt, utils
from livekit.agents.types import NOT_GIVEN, NotGivenOr
from livekit.agents.utils import is_given

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

WHISPER_SAMPLE_RATE = 16_000


def frames_to_whisper_input(buffer: utils.AudioBuffer) -> np.ndarray:
    """Mono float32 samples at 16 kHz, as Whisper expects."""
    frame = rtc.combine_audio_frames(buffer)
    if frame.samples_per_channel == 0:
        return np.zeros(0, dtype=np.float32)
    if frame.sample_rate != WHISPER_SAMPLE_RATE or frame.num_channels != 1:
        resampler = rtc.AudioResampler(
            frame.sample_rate, WHISPER_SAMPLE_RATE, num_channels=frame.num_channels
        )
        resampled = [*resampler.push(frame), *resampler.flush()]
        frame = rtc.combine_audio_frames(resampled)
    pcm = np.frombuffer(frame.data, dtype=np.int16).reshape(-1, frame.num_channels)
    return (pcm.mean(axis=1) / 32768.0).astype(np.float32)


def transcribe(model: WhisperModel, audio: np.ndarray, language: str | None) -> tuple[str, str]:
    """Blocking transcription: (text, language). Call it from a worker thread."""
    if audio.size == 0:
        return "", language or "en"
    segments, info = model.transcribe(
        audio,
        language=language,
        beam_size=1,
        condition_on_previous_text=False,
        without_timestamps=True,
        vad_filter=False,
    )
    text = " ".join(segment.text.strip() for segment in segments).strip()
    return text, info.language


class WhisperSTT(stt.STT):
    """Offline speech-to-text with a faster-whisper model loaded once per process."""

    def __init__(
        self, model: WhisperModel, *, name: str = "base", language: str | None = "en"
    ) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=False, interim_results=False))
        self._model = model
        self._name = name
        self._language = language

    @property
    def model(self) -> str:
        return f"whisper-{self._name}"

    @property
    def provider(self) -> str:
        return "faster-whisper"

    def _recognize_blocking(
        self, buffer: utils.AudioBuffer, language: str | None
    ) -> tuple[str, str]:
        return transcribe(self._model, frames_to_whisper_input(buffer), language)

    async def _recognize_impl(
        self,
        buffer: utils.AudioBuffer,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions,
    ) -> stt.SpeechEvent:
        lang = language if is_given(language) else self._language
        text, detected = await asyncio.to_thread(self._recognize_blocking, buffer, lang)
        return stt.SpeechEvent(
            type=stt.SpeechEventType.FINAL_TRANSCRIPT,
            request_id=uuid.uuid4().hex,
            alternatives=[
                stt.SpeechData(language=LanguageCode(detected), text=text, confidence=1.0)
            ],
        )
