"""The plain WebSocket protocol of `/ws/voice` and `joinUrl` (seeds 000 and 003).

In: binary messages of PCM16 mono 16 kHz. Out: the agent's audio as binary messages, each a
standalone WAV (PCM16 mono 16 kHz) or, with `?format=mp3`, a standalone MP3, so a browser can
`decodeAudioData` each one; JSON text messages `connected`, `transcript`, `audioStop`,
`audioEnd`, `error`.
"""

from __future__ import annotations

import io
import json
import wave
from typing import Literal

import lameenc

from gateway.contracts import GatewayCall
from gateway.serializers.base import Audio, Inbound, Message, ProtocolError, Role, Serializer

SAMPLE_RATE = 16_000
AudioFormat = Literal["wav", "mp3"]
MP3_BIT_RATE_KBPS = 32


def wav_bytes(pcm: bytes, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


def mp3_bytes(pcm: bytes, sample_rate: int) -> bytes:
    """A standalone MP3 (a fresh encoder each time: no frame depends on a previous message)."""
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(MP3_BIT_RATE_KBPS)
    encoder.set_in_sample_rate(sample_rate)
    encoder.set_channels(1)
    encoder.set_quality(7)
    return bytes(encoder.encode(pcm)) + bytes(encoder.flush())


def control(kind: str, **fields: object) -> str:
    return json.dumps({"type": kind, **fields}, separators=(",", ":"))


class PlainSerializer(Serializer):
    sample_rate = SAMPLE_RATE

    def __init__(self, audio_format: AudioFormat = "wav", *, chunk_ms: int = 100) -> None:
        self.audio_format = audio_format
        self._chunk_bytes = SAMPLE_RATE * 2 * chunk_ms // 1000
        self._pending = bytearray()
        self._odd_byte = b""

    def decode(self, message: Message) -> Inbound | None:
        if isinstance(message, str):
            raise ProtocolError("send audio as binary messages of PCM16 mono 16 kHz")
        # A sample may straddle two messages; keep its first byte for the next one.
        data = self._odd_byte + message
        usable = len(data) - len(data) % 2
        self._odd_byte = data[usable:]
        return Audio(data[:usable]) if usable else None

    def connected(self, call: GatewayCall) -> list[Message]:
        return [
            control(
                "connected",
                sessionId=call.session_id,
                historyKey=call.history_key,
                agentName=call.agent_name,
            )
        ]

    def agent_audio(self, pcm: bytes) -> list[Message]:
        self._pending += pcm
        if len(self._pending) < self._chunk_bytes:
            return []
        return self._flush()

    def _flush(self) -> list[Message]:
        if not self._pending:
            return []
        pcm = bytes(self._pending)
        self._pending.clear()
        if self.audio_format == "mp3":
            return [mp3_bytes(pcm, SAMPLE_RATE)]
        return [wav_bytes(pcm, SAMPLE_RATE)]

    def utterance_end(self) -> list[Message]:
        return [*self._flush(), control("audioEnd")]

    def barge_in(self) -> list[Message]:
        self._pending.clear()
        return [control("audioStop")]

    def transcript(self, role: Role, text: str, final: bool) -> list[Message]:
        return [control("transcript", role=role, text=text, isFinal=final)]

    def error(self, message: str) -> list[Message]:
        return [control("error", message=message)]
