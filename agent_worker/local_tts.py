"""Offline TTS engines as livekit-agents TTS plugins: Piper (neural) and flite (fallback)."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from livekit.agents import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions, APIError, tts

if TYPE_CHECKING:
    from piper import AudioChunk, PiperVoice

FLITE_SAMPLE_RATE = 16_000


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
        from piper import SynthesisConfig

        config = SynthesisConfig(length_scale=1.0 / self._speed)
        return iter(self._voice.synthesize(text, syn_config=config))


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
        # one chunk per sentence: the first sentence plays while the next is synthesized
        while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
            output_emitter.push(chunk.audio_int16_bytes)
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
