"""Local doubles of the paid OpenAI-compatible APIs a cloud-style call uses, for density benches.

Only the external providers are replaced: the worker reaches these routes through livekit's
openai plugin exactly as it reaches OpenAI (`OPENAI_BASE_URL`), so everything on the worker's
side of the wire is production code. Each route answers after a set delay, as a cloud provider
does, with canned content and almost no CPU of its own:

- `POST /v1/audio/transcriptions`: the script's utterance whose loudness envelope (20 ms
  frames) matches the uploaded WAV, `delays.transcript_s` after the request. A question that
  reached the agent cut, split or merged with another matches none and is heard as
  `UNHEARD`, so an answer is only right when the caller's whole question got through.
- `POST /v1/chat/completions` (streamed): the script's reply to the last user message, first
  token after `delays.first_token_s`, then `delays.tokens_per_s` tokens (4-character pieces).
- `POST /v1/audio/speech`: flite's rendering of the text as 24 kHz PCM (OpenAI's `pcm`),
  first byte after `delays.first_audio_s`; texts are rendered once, the script's at start.
- `GET /v1/models`, `GET /stats` (what was asked and matched, for the bench's report).

    python -m bench.provider_doubles --port 8090 --script script.json
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import re
import subprocess
import sys
import tempfile
import time
import wave
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soxr
from aiohttp import web

logger = logging.getLogger(__name__)

PCM_SAMPLE_RATE = 24_000
"""OpenAI's `pcm` speech format: 24 kHz, 16-bit, mono."""
FRAME_S = 0.02
AUDIBLE_RMS = 300.0
"""The bench's own audibility threshold (16-bit RMS of a 20 ms frame)."""
UNHEARD = "unclear audio"
"""The transcript of audio that matches no utterance of the script."""
_MAX_LENGTH_DIFF_FRAMES = 15
_MAX_LAG_FRAMES = 5
_MIN_CORRELATION = 0.8
_TOKEN = re.compile(r"\s*\S{1,4}")
_PCM_CHUNK = 9_600  # 0.2 s of 24 kHz 16-bit audio per write


@dataclass(frozen=True)
class Delays:
    transcript_s: float = 0.2
    first_token_s: float = 0.3
    tokens_per_s: float = 50.0
    first_audio_s: float = 0.15


@dataclass(frozen=True)
class Script:
    """What the doubles hear and say."""

    utterances: dict[str, str]
    """WAV file (16-bit mono) -> the words it says."""
    replies: dict[str, str]
    """Words heard -> the reply the LLM streams."""
    fallback_reply: str
    spoken: list[str] = field(default_factory=list)
    """Further texts the TTS renders at start (a greeting)."""
    delays: Delays = field(default_factory=Delays)

    @classmethod
    def load(cls, path: Path) -> Script:
        raw = json.loads(path.read_text())
        return cls(**{**raw, "delays": Delays(**raw.get("delays", {}))})

    def dump(self, path: Path) -> Path:
        path.write_text(json.dumps(asdict(self), indent=2))
        return path


def read_pcm(data: bytes) -> tuple[np.ndarray, int]:
    """A 16-bit PCM WAV as mono int16 samples and their rate."""
    with wave.open(io.BytesIO(data), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError("only 16-bit PCM WAV")
        channels, rate = wav.getnchannels(), wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    return pcm.reshape(-1, channels)[:, 0], rate


def envelope(pcm: np.ndarray, rate: int) -> np.ndarray:
    """log10 RMS of each 20 ms frame from the first audible frame to the last (empty if none)."""
    size = int(rate * FRAME_S)
    frames = pcm[: len(pcm) // size * size].astype(np.float32).reshape(-1, size)
    rms = np.sqrt((frames**2).mean(axis=1)) if len(frames) else np.zeros(0)
    audible = np.flatnonzero(rms >= AUDIBLE_RMS)
    if not len(audible):
        return np.zeros(0)
    return np.log10(np.maximum(rms[audible[0] : audible[-1] + 1], 30.0))


def similarity(heard: np.ndarray, reference: np.ndarray) -> float:
    """Best correlation of two envelopes over small shifts; -1 when their lengths differ
    by more than 0.3 s (a cut or merged utterance)."""
    if abs(len(heard) - len(reference)) > _MAX_LENGTH_DIFF_FRAMES:
        return -1.0
    best = -1.0
    for lag in range(-_MAX_LAG_FRAMES, _MAX_LAG_FRAMES + 1):
        a, b = heard[max(0, lag) :], reference[max(0, -lag) :]
        n = min(len(a), len(b))
        if n > 10 and a[:n].std() > 0 and b[:n].std() > 0:
            best = max(best, float(np.corrcoef(a[:n], b[:n])[0, 1]))
    return best


class UtteranceMatcher:
    """Which of a few known utterances a recording is, by loudness envelope."""

    def __init__(self, references: dict[str, np.ndarray]) -> None:
        self._references = references

    @classmethod
    def from_wavs(cls, utterances: dict[str, str]) -> UtteranceMatcher:
        return cls(
            {text: envelope(*read_pcm(Path(wav).read_bytes())) for wav, text in utterances.items()}
        )

    def match(self, pcm: np.ndarray, rate: int) -> str | None:
        heard = envelope(pcm, rate)
        scores = {text: similarity(heard, ref) for text, ref in self._references.items()}
        text = max(scores, key=scores.__getitem__, default=None)
        return text if text is not None and scores[text] >= _MIN_CORRELATION else None


def flite_pcm_24k(text: str, voice: str = "slt") -> bytes:
    """`text` spoken by flite as 24 kHz 16-bit mono PCM (blocking)."""
    with tempfile.NamedTemporaryFile(suffix=".wav") as out:
        subprocess.run(
            ["flite", "-voice", voice, "-t", text, "-o", out.name],
            check=True,
            capture_output=True,
        )
        pcm, rate = read_pcm(Path(out.name).read_bytes())
    return bytes(soxr.resample(pcm, rate, PCM_SAMPLE_RATE).astype(np.int16).tobytes())


def tokens(text: str) -> list[str]:
    """Pieces of about the size of an LLM's tokens (up to 4 characters, leading space kept)."""
    return _TOKEN.findall(text)


async def sleep_until(at: float) -> None:
    """Answer at `at` (monotonic): a provider's delay counts from the request, work included."""
    await asyncio.sleep(max(0.0, at - time.monotonic()))


def last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, list):
            return " ".join(p.get("text", "") for p in content if isinstance(p, dict)).strip()
        return str(content or "").strip()
    return ""


class ProviderDoubles:
    """The aiohttp application serving the three doubles from one script."""

    def __init__(self, script: Script) -> None:
        self._script = script
        self._matcher = UtteranceMatcher.from_wavs(script.utterances)
        self._speech: dict[str, bytes] = {}
        self.stats: Counter[str] = Counter()

    def render_script(self) -> None:
        """Render every text the script will speak (blocking; before serving)."""
        script = self._script
        for text in [*script.replies.values(), script.fallback_reply, *script.spoken]:
            self._speech[text.strip()] = flite_pcm_24k(text.strip())

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/stats", self._stats)
        app.router.add_post("/v1/audio/transcriptions", self._transcriptions)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/audio/speech", self._speech_route)
        return app

    async def _models(self, _: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": []})

    async def _stats(self, _: web.Request) -> web.Response:
        return web.json_response(dict(self.stats))

    async def _transcriptions(self, request: web.Request) -> web.Response:
        started = time.monotonic()
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            return web.json_response({"error": {"message": "file is required"}}, status=400)
        try:
            pcm, rate = read_pcm(upload.file.read())
        except (ValueError, wave.Error, EOFError):
            return web.json_response({"error": {"message": "not a 16-bit WAV"}}, status=400)
        text = self._matcher.match(pcm, rate)
        self.stats["transcriptions"] += 1
        self.stats["transcriptions_matched" if text else "transcriptions_unmatched"] += 1
        await sleep_until(started + self._script.delays.transcript_s)
        return web.json_response({"text": text or UNHEARD})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        heard = last_user_text(body.get("messages", []))
        reply = self._script.replies.get(heard, self._script.fallback_reply)
        self.stats["chat_completions"] += 1
        if not body.get("stream"):
            self.stats["chat_completions_not_streamed"] += 1
        delays = self._script.delays
        created, model = int(time.time()), str(body.get("model", "double"))

        def chunk(delta: dict[str, str], finish: str | None = None) -> bytes:
            data = {
                "id": "chatcmpl-double",
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(data)}\n\n".encode()

        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await asyncio.sleep(delays.first_token_s)
        await response.write(chunk({"role": "assistant", "content": ""}))
        for i, piece in enumerate(tokens(reply)):
            if i:
                await asyncio.sleep(1.0 / delays.tokens_per_s)
            await response.write(chunk({"content": piece}))
        await response.write(chunk({}, "stop"))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def _speech_route(self, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        body = await request.json()
        text = str(body.get("input", "")).strip()
        self.stats["speech"] += 1
        pcm = self._speech.get(text)
        if pcm is None:
            self.stats["speech_rendered_on_request"] += 1
            pcm = await asyncio.to_thread(flite_pcm_24k, text)
            self._speech[text] = pcm
        await sleep_until(started + self._script.delays.first_audio_s)
        # `audio/pcm` whatever `response_format` asked for: the openai plugin reads the
        # response's Content-Type, as it does for any OpenAI-compatible server
        response = web.StreamResponse(
            headers={"Content-Type": "audio/pcm", "x-request-id": f"speech-{self.stats['speech']}"}
        )
        await response.prepare(request)
        for start in range(0, len(pcm), _PCM_CHUNK):
            await response.write(pcm[start : start + _PCM_CHUNK])
        await response.write_eof()
        return response


@contextmanager
def doubles_running(workdir: Path, script: Script) -> Iterator[tuple[str, int]]:
    """The doubles serving `script` in their own process (so their CPU is measured apart) until
    the block ends: (base URL, pid)."""
    from tests.services import free_port, started
    from voxroom.launcher import Component

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "bench.provider_doubles", "--port", str(port)]
    argv += ["--script", str(script.dump(workdir / "doubles-script.json"))]
    component = Component("provider_doubles", argv, health_url=f"{url}/v1/models")
    with started(component, workdir / "provider_doubles.log") as process:
        yield url, process.pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--script", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    doubles = ProviderDoubles(Script.load(args.script))
    doubles.render_script()
    web.run_app(doubles.app(), host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
