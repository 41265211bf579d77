"""WebSocket callers of the media gateway, for tests and the latency benchmark.

`PlainCaller` speaks the `/ws/voice` protocol (PCM16 16 kHz in, WAV messages and JSON control
messages out). `TwilioCaller` plays Twilio's side of a bidirectional Media Stream, written
from Twilio's published message formats (`connected`, `start` with customParameters, `media`
with base64 μ-law 8 kHz, `mark`, `dtmf`, `stop`), not from the gateway's code. Both send audio
at real-time pace (silence between utterances, as a microphone does) and record the agent's
audio in a `Recording` with arrival times.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import time
import warnings
import wave
from pathlib import Path
from typing import Any

import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from voxroom.voice_client import PacedVoice, Recording

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

FRAME_MS = 20


class _Caller:
    sample_rate: int

    def __init__(self, url: str) -> None:
        self.url = url
        self.recording = Recording()
        self.messages: list[tuple[float, dict[str, Any]]] = []
        """JSON messages received, with their arrival times (monotonic)."""
        self.ws: ClientConnection | None = None
        self.closed = asyncio.Event()
        self.voice = PacedVoice(self.sample_rate, FRAME_MS, self._send_audio)
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> _Caller:
        self.ws = await connect(self.url, max_size=None, open_timeout=10)
        self._tasks.append(asyncio.create_task(self._read(), name="caller.read"))
        await self._opened()
        self._tasks.append(asyncio.create_task(self._pump(), name="caller.pump"))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.hang_up()

    async def hang_up(self) -> None:
        for task in self._tasks:
            if task.get_name() == "caller.pump":
                task.cancel()
        if self.ws is not None:
            await self._closing()
            await self.ws.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def close_code(self) -> int | None:
        return None if self.ws is None else self.ws.close_code

    async def _opened(self) -> None:
        """Protocol messages right after the connection opened."""

    async def _closing(self) -> None:
        """Protocol messages before a normal close."""

    def _audio_message(self, pcm: bytes) -> bytes | str:
        raise NotImplementedError

    def _on_message(self, message: bytes | str, arrival: float) -> None:
        raise NotImplementedError

    def _record(self, pcm: bytes, arrival: float) -> None:
        samples = np.frombuffer(pcm, dtype=np.int16)
        step = self.sample_rate // 100
        for start in range(0, len(samples), step):
            self.recording.frames.append(samples[start : start + step].copy())
            self.recording.arrivals.append(arrival)

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for message in self.ws:
                self._on_message(message, time.monotonic())
        except ConnectionClosed:
            pass
        finally:
            self.closed.set()

    async def _send(self, message: bytes | str) -> None:
        assert self.ws is not None
        await self.ws.send(message)

    async def _send_audio(self, chunk: np.ndarray) -> None:
        await self._send(self._audio_message(chunk.tobytes()))

    async def _pump(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            await self.voice.run()

    async def say(self, samples: np.ndarray, sample_rate: int) -> float:
        """Speak at real-time pace; returns when the last sample was sent."""
        return await self.voice.say(samples, sample_rate)

    async def say_wav(self, path: Path) -> float:
        return await self.voice.say_wav(path)

    def of_type(self, kind: str, since: float = 0.0) -> list[dict[str, Any]]:
        return [m for t, m in self.messages if t >= since and m.get(self._kind_key) == kind]

    _kind_key = "type"

    async def wait_message(self, kind: str, limit_s: float, since: float = 0.0) -> dict[str, Any]:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            found = self.of_type(kind, since)
            if found:
                return found[0]
            if self.closed.is_set():
                break
            await asyncio.sleep(0.02)
        raise AssertionError(f"no {kind!r} message; got {[m for _, m in self.messages]}")

    async def wait_until_quiet(
        self, *, since: float, quiet_s: float = 1.5, limit_s: float = 30.0
    ) -> tuple[float | None, float | None]:
        deadline = time.monotonic() + limit_s
        first: float | None = None
        while time.monotonic() < deadline:
            first = first or self.recording.first_audible_after(since)
            last = self.recording.last_audible()
            if first is not None and last is not None and time.monotonic() - last >= quiet_s:
                return first, last
            await asyncio.sleep(0.05)
        return first, self.recording.last_audible()


class PlainCaller(_Caller):
    sample_rate = 16_000

    def _audio_message(self, pcm: bytes) -> bytes:
        return pcm

    def _on_message(self, message: bytes | str, arrival: float) -> None:
        if isinstance(message, bytes):
            with wave.open(io.BytesIO(message)) as wav:
                assert (wav.getframerate(), wav.getnchannels()) == (16_000, 1)
                self._record(wav.readframes(wav.getnframes()), arrival)
        else:
            self.messages.append((arrival, json.loads(message)))


class TwilioCaller(_Caller):
    """Twilio's side of `<Connect><Stream>`: the stream's `start` carries `parameters`."""

    sample_rate = 8_000
    _kind_key = "event"

    def __init__(self, url: str, parameters: dict[str, str]) -> None:
        super().__init__(url)
        self.parameters = parameters
        self.stream_sid = "MZ" + "0" * 30
        self.call_sid = "CA" + "1" * 32
        self._sequence = 0
        self._chunk = 0

    def _event(self, event: str, **fields: Any) -> str:
        self._sequence += 1
        body = {"event": event, "sequenceNumber": str(self._sequence), **fields}
        if event != "connected":
            body["streamSid"] = self.stream_sid
        return json.dumps(body)

    async def _opened(self) -> None:
        await self._send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        start = {
            "accountSid": "AC" + "2" * 32,
            "streamSid": self.stream_sid,
            "callSid": self.call_sid,
            "tracks": ["inbound"],
            "customParameters": self.parameters,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        }
        await self._send(self._event("start", start=start))

    async def _closing(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            stop = {"accountSid": "AC" + "2" * 32, "callSid": self.call_sid}
            await self._send(self._event("stop", stop=stop))

    def _audio_message(self, pcm: bytes) -> str:
        self._chunk += 1
        payload = base64.b64encode(audioop.lin2ulaw(pcm, 2)).decode("ascii")
        media = {
            "track": "inbound",
            "chunk": str(self._chunk),
            "timestamp": str(self._chunk * FRAME_MS),
            "payload": payload,
        }
        return self._event("media", media=media)

    async def press(self, digit: str) -> None:
        await self._send(self._event("dtmf", dtmf={"track": "inbound_track", "digit": digit}))

    def _on_message(self, message: bytes | str, arrival: float) -> None:
        assert isinstance(message, str), "Media Streams messages are text"
        body = json.loads(message)
        self.messages.append((arrival, body))
        if body.get("event") == "media":
            assert body["streamSid"] == self.stream_sid
            self._record(audioop.ulaw2lin(base64.b64decode(body["media"]["payload"]), 2), arrival)
