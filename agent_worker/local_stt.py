"""faster-whisper as a livekit-agents STT.

Whisper is a batch model: it transcribes a whole utterance at once, and on a 2-core machine
one transcription by Whisper base takes ~0.8 s whatever the utterance's length (its encoder
sees a 30 s window). Waiting for the VAD to end the speech (0.55 s of silence) and only then
transcribing adds the two. Two things shorten it:

- Whisper base encodes utterances shorter than 19 s from a 20 s window (~0.5 s instead of
  ~0.8 s; on 60 synthetic utterances the word error rate went from 8.0 % to 8.8 %, see
  bench/VOICE_RESULTS.md), keeping the result only when it is confident.
- `WhisperSTT` given a VAD streams: it follows the VAD itself and starts transcribing,
  speculatively, once the caller has been silent for `speculate_after_s`; when the VAD then
  ends the speech with no speech in between, that transcript is the final one, so the
  silence wait and the transcription overlap. If the caller speaks again, the speculation is
  discarded and the whole segment is transcribed at the end of speech.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from livekit import rtc
from livekit.agents import (
    DEFAULT_API_CONNECT_OPTIONS,
    APIConnectOptions,
    LanguageCode,
    stt,
    utils,
)
from livekit.agents import vad as agents_vad
from livekit.agents.types import NOT_GIVEN, NotGivenOr
from livekit.agents.utils import is_given

if TYPE_CHECKING:
    from faster_whisper import WhisperModel
    from faster_whisper.tokenizer import Tokenizer

logger = logging.getLogger(__name__)

WHISPER_SAMPLE_RATE = 16_000
WHISPER_WINDOW_S = 30.0
"""Whisper's own encoder window."""
BASE_WINDOW_S = 20.0
"""Encoder window of Whisper base for short utterances. Not for tiny.en: from a 20 s window it
heard "gluten free bread" as "blue and free red", confidently."""
_MAX_TOKENS = 224
_TOKENS_PER_S = 12
"""Tokens a transcript may have per second of audio (fast speech needs ~6). Whisper left to
224 tokens loops on a noise blip: a 0.76 s clip took ~30 s through the temperature fallback
(seen on the inference service, where it held up every call's transcription)."""
# faster-whisper's defaults for falling back and for recognising silence
_LOG_PROB_THRESHOLD = -1.0
_COMPRESSION_LIMIT = 2.4
_NO_SPEECH_THRESHOLD = 0.6
DEFAULT_SPECULATE_AFTER_S = 0.1
"""Silence after which a transcription starts before the VAD has ended the speech. Each
speculation discarded because the caller went on speaking costs one transcription of CPU;
the stream logs how many were used and discarded when it closes."""


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


def transcribe(
    model: WhisperModel,
    audio: np.ndarray,
    language: str | None,
    *,
    window_s: float = WHISPER_WINDOW_S,
) -> tuple[str, str]:
    """Blocking transcription: (text, language). Call it from a worker thread.

    An utterance shorter than `window_s` is first decoded once, greedily, from a `window_s`
    encoder window (`window_s` = 30 is Whisper's own window); that result is kept only when
    it is confident by faster-whisper's own thresholds, otherwise the utterance goes through
    faster-whisper's full 30 s transcription with its temperature fallback.
    """
    if audio.size == 0:
        return "", language or "en"
    if language is not None and audio.size < _windowed_limit(window_s):
        (text,) = _transcribe_windowed(model, [audio], language, window_s)
        if text is not None:
            return text, language
    segments, info = model.transcribe(
        audio,
        max_new_tokens=max_tokens(audio.size),
        language=language,
        beam_size=1,
        condition_on_previous_text=False,
        without_timestamps=True,
        vad_filter=False,
    )
    text = " ".join(segment.text.strip() for segment in segments).strip()
    return text, info.language


def transcribe_batch(
    model: WhisperModel,
    audios: list[np.ndarray],
    language: str,
    *,
    window_s: float = WHISPER_WINDOW_S,
) -> list[tuple[str, str]]:
    """`transcribe` of several utterances at once (blocking): those shorter than `window_s` are
    encoded and decoded as one batch (CTranslate2 runs a batch in one pass), and any result
    that is not confident goes through `transcribe` alone."""
    short = [i for i, audio in enumerate(audios) if 0 < audio.size < _windowed_limit(window_s)]
    texts = _transcribe_windowed(model, [audios[i] for i in short], language, window_s)
    batched = dict(zip(short, texts, strict=True))
    results = []
    for i, audio in enumerate(audios):
        text = batched.get(i)
        if text is None:
            results.append(transcribe(model, audio, language, window_s=WHISPER_WINDOW_S))
        else:
            results.append((text, language))
    return results


def max_tokens(samples: int) -> int:
    """How many tokens the transcript of `samples` (16 kHz) may take."""
    return min(_MAX_TOKENS, 16 + _TOKENS_PER_S * samples // WHISPER_SAMPLE_RATE)


def _windowed_limit(window_s: float) -> float:
    return (window_s - 1.0) * WHISPER_SAMPLE_RATE


def _transcribe_windowed(
    model: WhisperModel, audios: list[np.ndarray], language: str, window_s: float
) -> list[str | None]:
    """Greedy decoding from a short encoder window, one batch; None where not confident."""
    if not audios:
        return []
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.transcribe import get_compression_ratio, get_ctranslate2_storage

    features = np.stack(
        [pad_or_trim(model.feature_extractor(audio), int(window_s * 100)) for audio in audios]
    )
    encoded = model.model.encode(get_ctranslate2_storage(features))
    tokenizer, suppressed = _decoding_setup(model, language)
    prompt = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
    results = model.model.generate(
        encoded,
        [prompt] * len(audios),
        beam_size=1,
        max_length=len(prompt) + max_tokens(max(audio.size for audio in audios)),
        return_scores=True,
        return_no_speech_prob=True,
        suppress_blank=True,
        suppress_tokens=suppressed,
    )
    texts: list[str | None] = []
    for result in results:
        tokens = result.sequences_ids[0]
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        text = tokenizer.decode(tokens).strip()
        if result.no_speech_prob > _NO_SPEECH_THRESHOLD and avg_logprob < _LOG_PROB_THRESHOLD:
            texts.append("")
        elif avg_logprob < _LOG_PROB_THRESHOLD or get_compression_ratio(text) > _COMPRESSION_LIMIT:
            texts.append(None)
        else:
            texts.append(text)
    return texts


@functools.cache
def _decoding_setup(model: WhisperModel, language: str) -> tuple[Tokenizer, list[int]]:
    """Tokenizer and suppressed tokens per (process-wide model, language), built once."""
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import get_suppressed_tokens

    tokenizer = Tokenizer(
        model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language
    )
    return tokenizer, list(get_suppressed_tokens(tokenizer, (-1,)) or [])


class SpeculativeSTT(stt.STT):
    """A Whisper that transcribes whole utterances; `transcribe_frames` says where it runs.

    Without `vad` it is a batch STT (livekit-agents pairs it with the session's VAD through
    its `StreamAdapter`); with `vad` it streams and transcribes speculatively (module doc).
    """

    def __init__(
        self,
        *,
        name: str = "base",
        language: str | None = "en",
        vad: agents_vad.VAD | None = None,
        speculate_after_s: float = DEFAULT_SPECULATE_AFTER_S,
    ) -> None:
        super().__init__(
            capabilities=stt.STTCapabilities(streaming=vad is not None, interim_results=False)
        )
        self._name = name
        self._language = language
        self._vad = vad
        self._speculate_after_s = speculate_after_s

    @property
    def model(self) -> str:
        return f"whisper-{self._name}"

    async def transcribe_frames(
        self, buffer: utils.AudioBuffer, language: str | None
    ) -> tuple[str, str]:
        """(text, language) of one utterance."""
        raise NotImplementedError

    async def _recognize_impl(
        self,
        buffer: utils.AudioBuffer,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions,
    ) -> stt.SpeechEvent:
        lang = language if is_given(language) else self._language
        text, detected = await self.transcribe_frames(buffer, lang)
        return _final_event(text, detected)

    def stream(
        self,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
    ) -> stt.RecognizeStream:
        if self._vad is None:
            raise NotImplementedError("a SpeculativeSTT streams only when built with a VAD")
        return SpeculativeWhisperStream(
            stt=self,
            vad=self._vad,
            language=language if is_given(language) else self._language,
            speculate_after_s=self._speculate_after_s,
            conn_options=conn_options,
        )


class WhisperSTT(SpeculativeSTT):
    """Offline speech-to-text with a faster-whisper model loaded in this process."""

    def __init__(
        self,
        model: WhisperModel,
        *,
        name: str = "base",
        language: str | None = "en",
        vad: agents_vad.VAD | None = None,
        speculate_after_s: float = DEFAULT_SPECULATE_AFTER_S,
        window_s: float = WHISPER_WINDOW_S,
    ) -> None:
        super().__init__(name=name, language=language, vad=vad, speculate_after_s=speculate_after_s)
        self._model = model
        self._window_s = window_s

    @property
    def provider(self) -> str:
        return "faster-whisper"

    def _recognize_blocking(
        self, buffer: utils.AudioBuffer, language: str | None
    ) -> tuple[str, str]:
        return transcribe(
            self._model, frames_to_whisper_input(buffer), language, window_s=self._window_s
        )

    async def transcribe_frames(
        self, buffer: utils.AudioBuffer, language: str | None
    ) -> tuple[str, str]:
        return await asyncio.to_thread(self._recognize_blocking, buffer, language)


def _final_event(
    text: str, language: str, *, speech_end_time: float | None = None
) -> stt.SpeechEvent:
    return stt.SpeechEvent(
        type=stt.SpeechEventType.FINAL_TRANSCRIPT,
        request_id=uuid.uuid4().hex,
        alternatives=[stt.SpeechData(language=LanguageCode(language), text=text, confidence=1.0)],
        speech_end_time=speech_end_time,
    )


@dataclass
class _Speculation:
    task: asyncio.Task[tuple[str, str]]
    audio_s: float
    stale: bool = False


class SpeculativeWhisperStream(stt.RecognizeStream):
    """VAD-segmented Whisper that starts transcribing during the end-of-speech silence."""

    def __init__(
        self,
        *,
        stt: SpeculativeSTT,
        vad: agents_vad.VAD,
        language: str | None,
        speculate_after_s: float,
        conn_options: APIConnectOptions,
    ) -> None:
        super().__init__(stt=stt, conn_options=conn_options)
        self._whisper = stt
        self._vad = vad
        self._language = language
        self._speculate_after_s = speculate_after_s
        self._speculations: set[asyncio.Task[tuple[str, str]]] = set()
        self._used = self._discarded = 0

    async def _run(self) -> None:
        vad_stream = self._vad.stream()

        async def forward_input() -> None:
            async for item in self._input_ch:
                if isinstance(item, self._FlushSentinel):
                    vad_stream.flush()
                    continue
                vad_stream.push_frame(item)
            vad_stream.end_input()

        tasks = [
            asyncio.create_task(forward_input(), name="whisper.forward_input"),
            asyncio.create_task(self._recognize(vad_stream), name="whisper.recognize"),
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            await utils.aio.cancel_and_wait(*tasks, *self._speculations)
            await vad_stream.aclose()
            logger.info(
                "speculative transcriptions",
                extra={"used": self._used, "discarded": self._discarded},
            )

    def _speculate(self, frames: list[rtc.AudioFrame]) -> _Speculation:
        audio_s = sum(frame.duration for frame in frames)
        task = asyncio.create_task(
            self._whisper.transcribe_frames(frames, self._language), name="whisper.speculate"
        )
        self._speculations.add(task)
        task.add_done_callback(self._speculations.discard)
        return _Speculation(task=task, audio_s=audio_s)

    async def _recognize(self, vad_stream: agents_vad.VADStream) -> None:
        # mirrors the VAD's speech buffer: prefix padding at START_OF_SPEECH, then every
        # analysed window until END_OF_SPEECH
        segment: list[rtc.AudioFrame] = []
        speculation: _Speculation | None = None
        async for event in vad_stream:
            if event.type == agents_vad.VADEventType.START_OF_SPEECH:
                segment = list(event.frames)
                speculation = None
                self._event_ch.send_nowait(stt.SpeechEvent(stt.SpeechEventType.START_OF_SPEECH))
            elif event.type == agents_vad.VADEventType.INFERENCE_DONE:
                if not event.speaking:
                    continue
                segment.extend(event.frames)
                if (
                    speculation is not None
                    and not speculation.stale
                    and event.raw_accumulated_silence == 0.0
                ):
                    speculation.stale = True  # the caller spoke after the speculated audio
                    self._discarded += 1
                if event.raw_accumulated_silence >= self._speculate_after_s and (
                    speculation is None or (speculation.stale and speculation.task.done())
                ):
                    speculation = self._speculate(list(segment))
            elif event.type == agents_vad.VADEventType.END_OF_SPEECH:
                speech_end_time = time.time() - event.silence_duration - event.inference_duration
                self._event_ch.send_nowait(
                    stt.SpeechEvent(
                        stt.SpeechEventType.END_OF_SPEECH, speech_end_time=speech_end_time
                    )
                )
                if speculation is not None and not speculation.stale:
                    text, language = await speculation.task
                    audio_s = speculation.audio_s
                    self._used += 1
                else:
                    frames = list(event.frames)
                    text, language = await self._whisper.transcribe_frames(frames, self._language)
                    audio_s = sum(frame.duration for frame in frames)
                speculation, segment = None, []
                self._event_ch.send_nowait(
                    stt.SpeechEvent(
                        stt.SpeechEventType.RECOGNITION_USAGE,
                        recognition_usage=stt.RecognitionUsage(audio_duration=audio_s),
                    )
                )
                if text:
                    self._event_ch.send_nowait(
                        _final_event(text, language, speech_end_time=speech_end_time)
                    )
