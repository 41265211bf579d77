"""Offline TTS engines as livekit-agents TTS plugins: Piper (neural) and flite (fallback)."""

from __future__ import annotations

import asyncio
import re
import tempfile
import uuid
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from livekit.agents import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions, APIError, tts

if TYPE_CHECKING:
    from piper import AudioChunk, PiperVoice

FLITE_SAMPLE_RATE = 16_000
_ONSET_RMS = 100.0
"""int16 level of the first sound Piper makes; it starts each piece with 30-80 ms below it."""
_CLAUSE_END = re.compile(r"[,;:]\s+")
_MIN_CLAUSE_WORDS = 3


def split_first_clause(text: str) -> list[str]:
    """`text` as [first clause, rest] when both are long enough to be said alone, else [text].

    The caller hears the reply once its first piece is synthesized, and Piper renders a piece
    whole: a short first clause makes the reply start sooner (a 3.6 s sentence takes ~0.24 s
    on 2 cores, its first clause ~0.15 s). The comma stays with the clause, so its pause and
    intonation are kept.
    """
    for match in _CLAUSE_END.finditer(text):
        head, tail = text[: match.start() + 1], text[match.end() :]
        if len(head.split()) >= _MIN_CLAUSE_WORDS and len(tail.split()) >= _MIN_CLAUSE_WORDS:
            return [head, tail]
    return [text]


def trim_leading_silence(pcm: bytes, sample_rate: int) -> bytes:
    """`pcm` (int16 mono) from 10 ms before its first audible 10 ms window."""
    samples = np.frombuffer(pcm, dtype=np.int16)
    window = sample_rate // 100
    for start in range(0, samples.size - window + 1, window):
        chunk = samples[start : start + window].astype(np.float32)
        if float(np.sqrt(np.mean(chunk * chunk))) >= _ONSET_RMS:
            return samples[max(0, start - window) :].tobytes()
    return pcm


def piper_chunks(voice: PiperVoice, text: str, *, speed: float = 1.0) -> Iterator[AudioChunk]:
    """Audio of `text`, one chunk per clause or sentence, each rendered when asked for."""
    from piper import SynthesisConfig

    config = SynthesisConfig(length_scale=1.0 / speed)
    for piece in split_first_clause(text):
        yield from voice.synthesize(piece, syn_config=config)


class PiperTTS(tts.TTS):
    """Piper voice loaded once per process; synthesis runs in a worker thread."""

    def __init__(self, voice: PiperVoice, *, speed: float = 1.0) -> None:
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=voice.config.sample_rate,
            num_channels=1,
        )
        self._voice = voice
        self._speed = speed

    @property
    def model(self) -> str:
        return "en_US-joe-medium"

    @property
    def provider(self) -> str:
        return "piper"

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        return _PiperStream(tts=self, input_text=text, conn_options=conn_options)

    def chunks(self, text: str) -> Iterator[AudioChunk]:
        return piper_chunks(self._voice, text, speed=self._speed)


class _PiperStream(tts.ChunkedStream):
    def __init__(self, *, tts: PiperTTS, input_text: str, conn_options: APIConnectOptions) -> None:
        super().__init__(tts=tts, input_text=input_text, conn_options=conn_options)
        self._piper = tts

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        output_emitter.initialize(
            request_id=uuid.uuid4().hex,
            sample_rate=self._piper.sample_rate,
            num_channels=1,
            mime_type="audio/pcm",
        )
        chunks = await asyncio.to_thread(self._piper.chunks, self.input_text)
        # one chunk per clause or sentence: the first plays while the next is synthesized;
        # the reply's first sound starts at once instead of after Piper's lead-in
        first = True
        while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
            pcm = chunk.audio_int16_bytes
            if first:
                pcm, first = trim_leading_silence(pcm, chunk.sample_rate), False
            output_emitter.push(pcm)
        output_emitter.flush()


class FliteTTS(tts.TTS):
    """The Debian `flite` program; robotic but tiny, and needs no Python model package."""

    def __init__(self, flite_path: str, *, voice: str = "slt") -> None:
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=FLITE_SAMPLE_RATE,
            num_channels=1,
        )
        self._flite_path = flite_path
        self._voice = voice

    @property
    def model(self) -> str:
        return self._voice

    @property
    def provider(self) -> str:
        return "flite"

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        return _FliteStream(tts=self, input_text=text, conn_options=conn_options)

    async def render(self, text: str) -> bytes:
        """16-bit mono PCM at 16 kHz for `text`."""
        with tempfile.TemporaryDirectory(prefix="voxroom-flite-") as tmp:
            out = Path(tmp) / "speech.wav"
            proc = await asyncio.create_subprocess_exec(
                self._flite_path,
                "-voice",
                self._voice,
                "-t",
                text,
                "-o",
                str(out),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            _, stderr = await proc.communicate()
            if proc.returncode != 0:
                raise APIError(
                    "flite failed", body=stderr.decode(errors="replace")[:500], retryable=False
                )
            return await asyncio.to_thread(_read_pcm, out)


def _read_pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as wav:
        if wav.getframerate() != FLITE_SAMPLE_RATE or wav.getnchannels() != 1:
            raise APIError("unexpected flite output format", retryable=False)
        return wav.readframes(wav.getnframes())


class _FliteStream(tts.ChunkedStream):
    def __init__(self, *, tts: FliteTTS, input_text: str, conn_options: APIConnectOptions) -> None:
        super().__init__(tts=tts, input_text=input_text, conn_options=conn_options)
        self._flite = tts

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        output_emitter.initialize(
            request_id=uuid.uuid4().hex,
            sample_rate=FLITE_SAMPLE_RATE,
            num_channels=1,
            mime_type="audio/pcm",
        )
        output_emitter.push(await self._flite.render(self.input_text))
        output_emitter.flush()
