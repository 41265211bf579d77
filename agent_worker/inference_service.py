"""The machine's inference service: the heavy offline models, loaded once, for every call.

`voxroom inference` serves Whisper, Piper and the local GGUF LLM behind OpenAI-compatible
endpoints on loopback, so a worker reaches them through livekit's openai plugin as it would
reach a cloud provider, and every call runs in a light process of its own (VAD and turn
detector only): a call's audio path never waits behind another call's model on its GIL or
event loop. Each model sits behind a bounded queue: Whisper transcribes the utterances that
wait as one batch, Piper and the LLM take one request at a time; more than
`inference_max_waiting` waiting requests are refused with 503 and Retry-After.

- `POST /v1/audio/transcriptions` (multipart WAV, `model` = `base` | `tiny.en`) -> `{"text"}`
- `POST /v1/audio/speech` (`response_format` = `pcm`) -> 24 kHz 16-bit mono PCM, streamed
  clause by clause as Piper renders it (the rate OpenAI's `pcm` has)
- `POST /v1/chat/completions` (streamed or not) on the local GGUF model
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
import wave
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import soxr
from aiohttp import web

from .errors import AgentError
from .local_stt import BASE_WINDOW_S, WHISPER_SAMPLE_RATE, WHISPER_WINDOW_S, transcribe_batch
from .local_tts import piper_chunks, trim_leading_silence
from .offline_models import (
    LOCAL_LLM_MODEL,
    PIPER_MODEL,
    WHISPER_BASE,
    OfflineModels,
    load_offline_models,
)

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

    from .local_llm import LocalModel
    from .settings import WorkerSettings

logger = logging.getLogger(__name__)

PCM_SAMPLE_RATE = 24_000
"""OpenAI's `pcm` speech format: 24 kHz, 16-bit, mono (livekit's openai plugin assumes it)."""
_MAX_UPLOAD_BYTES = 25 * 1024 * 1024
_RETRY_AFTER_S = "1"
T = TypeVar("T")


class ServiceError(Exception):
    """An answer in OpenAI's error form."""

    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


class Busy(ServiceError):
    def __init__(self, model: str) -> None:
        super().__init__(503, f"{model} has too many requests waiting", "busy")


class Lane:
    """One model's queue: its requests run one at a time on a thread of their own, at most
    `max_waiting` wait, the next one is refused."""

    def __init__(self, name: str, max_waiting: int) -> None:
        self.name = name
        self.executor = ThreadPoolExecutor(1, thread_name_prefix=f"inference-{name}")
        self._limit = max_waiting + 1
        self.pending = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """One request's place in the queue, for as long as it is served (a streamed reply
        holds it across its pieces); `Busy` when the queue is full."""
        if self.pending >= self._limit:
            raise Busy(self.name)
        self.pending += 1
        try:
            yield
        finally:
            self.pending -= 1

    async def execute(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn` on the model's thread, after whatever is already there."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        with self.slot():
            return await self.execute(fn, *args)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


@dataclass(eq=False)
class _Utterance:
    audio: np.ndarray
    language: str
    done: asyncio.Future[tuple[str, str]] = field(repr=False)


class WhisperBatcher:
    """Utterances that wait while Whisper is busy are transcribed together, as one batch
    (same language, at most `max_batch`), on the Whisper lane."""

    def __init__(self, model: WhisperModel, window_s: float, lane: Lane, max_batch: int) -> None:
        self._model = model
        self._window_s = window_s
        self._lane = lane
        self._max_batch = max_batch
        self._waiting: list[_Utterance] = []
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.batches: list[int] = []
        """Sizes of the batches run so far (for tests and the bench)."""

    async def transcribe(self, audio: np.ndarray, language: str) -> tuple[str, str]:
        with self._lane.slot():
            if self._task is None or self._wake is None:
                self._wake = asyncio.Event()
                self._task = asyncio.create_task(self._run(self._wake), name="inference.whisper")
            utterance = _Utterance(audio, language, asyncio.get_running_loop().create_future())
            self._waiting.append(utterance)
            self._wake.set()
            return await asyncio.shield(utterance.done)

    async def _run(self, wake: asyncio.Event) -> None:
        while True:
            await wake.wait()
            wake.clear()
            while self._waiting:
                language = self._waiting[0].language
                batch = [u for u in self._waiting if u.language == language][: self._max_batch]
                self._waiting = [u for u in self._waiting if u not in batch]
                self.batches.append(len(batch))
                try:
                    results = await self._lane.execute(self._transcribe, batch, language)
                except Exception as exc:
                    logger.exception("whisper batch failed")
                    for utterance in batch:
                        if not utterance.done.done():
                            utterance.done.set_exception(exc)
                    continue
                for utterance, result in zip(batch, results, strict=True):
                    if not utterance.done.done():
                        utterance.done.set_result(result)

    def _transcribe(self, batch: list[_Utterance], language: str) -> list[tuple[str, str]]:
        audios = [utterance.audio for utterance in batch]
        return transcribe_batch(self._model, audios, language, window_s=self._window_s)

    async def aclose(self) -> None:
        """Stop batching (the application is stopping); a later request starts again."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = self._wake = None


def decode_wav(data: bytes) -> np.ndarray:
    """A 16-bit PCM WAV as mono float32 at Whisper's 16 kHz."""
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            if wav.getsampwidth() != 2:
                raise ServiceError(400, "only 16-bit PCM WAV is accepted", "invalid_audio")
            rate, channels = wav.getframerate(), wav.getnchannels()
            pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    except (wave.Error, EOFError) as exc:
        raise ServiceError(400, "the file is not a WAV", "invalid_audio") from exc
    audio = pcm.reshape(-1, channels).mean(axis=1).astype(np.float32) / 32768.0
    if rate != WHISPER_SAMPLE_RATE and audio.size:
        audio = soxr.resample(audio, rate, WHISPER_SAMPLE_RATE).astype(np.float32)
    return audio


def pcm_24k(chunks: Iterator[Any]) -> Callable[[], bytes | None]:
    """Blocking step function: Piper's next chunk as 24 kHz PCM, None at the end."""
    resampler: soxr.ResampleStream | None = None
    first = True

    def step() -> bytes | None:
        nonlocal resampler, first
        chunk = next(chunks, None)
        if chunk is None:
            if resampler is None:
                return None
            tail = resampler.resample_chunk(np.zeros(0, dtype=np.int16), last=True)
            resampler = None
            return tail.tobytes()
        pcm = chunk.audio_int16_bytes
        if first:
            pcm, first = trim_leading_silence(pcm, chunk.sample_rate), False
        if resampler is None:
            resampler = soxr.ResampleStream(chunk.sample_rate, PCM_SAMPLE_RATE, 1, dtype="int16")
        return bytes(resampler.resample_chunk(np.frombuffer(pcm, dtype=np.int16)).tobytes())

    return step


class InferenceService:
    """The models and their lanes, and the aiohttp application serving them."""

    def __init__(
        self, settings: WorkerSettings, models: OfflineModels, llm: LocalModel | None = None
    ) -> None:
        self._settings = settings
        self._models = models
        self._llm = llm
        waiting = settings.inference_max_waiting
        self._whisper_lane = Lane("whisper", waiting)
        self.whisper = {
            name: WhisperBatcher(
                model,
                BASE_WINDOW_S if name == WHISPER_BASE else WHISPER_WINDOW_S,
                self._whisper_lane,
                settings.inference_max_batch,
            )
            for name, model in models.whisper.items()
        }
        self._piper_lane = Lane("piper", waiting)
        self._llm_lane = Lane("llm", waiting)

    def model_ids(self) -> list[str]:
        ids = [*self.whisper]
        if self._models.piper is not None:
            ids.append(PIPER_MODEL)
        if self._llm is not None:
            ids.append(LOCAL_LLM_MODEL)
        return ids

    def app(self) -> web.Application:
        app = web.Application(middlewares=[_errors], client_max_size=_MAX_UPLOAD_BYTES)
        app.router.add_get("/healthz", self._health)
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_post("/v1/audio/transcriptions", self._transcriptions)
        app.router.add_post("/v1/audio/speech", self._speech)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.on_cleanup.append(self._close)
        return app

    async def _close(self, _: web.Application) -> None:
        for batcher in self.whisper.values():
            await batcher.aclose()

    def close(self) -> None:
        """Stop the model threads (the process is ending)."""
        for lane in (self._whisper_lane, self._piper_lane, self._llm_lane):
            lane.close()

    async def _health(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "models": self.model_ids()})

    async def _list_models(self, _: web.Request) -> web.Response:
        data = [{"id": name, "object": "model", "owned_by": "voxroom"} for name in self.model_ids()]
        return web.json_response({"object": "list", "data": data})

    async def _transcriptions(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise ServiceError(400, "a `file` part (WAV) is required", "missing_file")
        name = str(form.get("model") or WHISPER_BASE).removeprefix("whisper-")
        batcher = self.whisper.get(name)
        if batcher is None:
            raise ServiceError(404, f"Whisper model {name!r} is not loaded", "model_not_found")
        language = str(form.get("language") or "en")
        audio = decode_wav(upload.file.read())
        text, detected = await batcher.transcribe(audio, language)
        if form.get("response_format") == "verbose_json":
            return web.json_response({"text": text, "language": detected})
        return web.json_response({"text": text})

    async def _speech(self, request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        voice = self._models.piper
        if voice is None:
            raise ServiceError(404, "the Piper voice is not installed", "model_not_found")
        text = body.get("input")
        if not isinstance(text, str) or not text.strip():
            raise ServiceError(400, "`input` must be non-empty text", "invalid_input")
        if body.get("response_format", "pcm") != "pcm":
            raise ServiceError(400, "only response_format `pcm` is served", "invalid_format")
        speed = float(body.get("speed") or 1.0)
        if not 0.25 <= speed <= 4.0:
            raise ServiceError(400, "`speed` must be within 0.25-4", "invalid_speed")
        step = pcm_24k(piper_chunks(voice, text, speed=speed))
        with self._piper_lane.slot():
            response = web.StreamResponse(headers={"Content-Type": "audio/pcm"})
            await response.prepare(request)
            # one turn on the voice per clause: another call's reply can start between two
            while (pcm := await self._piper_lane.execute(step)) is not None:
                if pcm:
                    await response.write(pcm)
            await response.write_eof()
            return response

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        llm = self._llm
        if llm is None:
            raise ServiceError(404, "no local LLM is loaded (llama-cpp-python)", "model_not_found")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ServiceError(400, "`messages` must be a non-empty list", "invalid_messages")
        options = {
            "temperature": float(body.get("temperature", 0.7)),
            "max_tokens": int(body.get("max_tokens") or body.get("max_completion_tokens") or 120),
        }
        if not body.get("stream"):
            result = await self._llm_lane.run(_complete, llm, messages, options)
            return web.json_response(result)
        with self._llm_lane.slot():
            return await self._stream_chat(request, llm, messages, options)

    async def _stream_chat(
        self,
        request: web.Request,
        llm: LocalModel,
        messages: list[Any],
        options: dict[str, Any],
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        loop = asyncio.get_running_loop()
        pieces: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        gone = False

        def emit(chunk: dict[str, Any] | None) -> bool:
            loop.call_soon_threadsafe(pieces.put_nowait, chunk)
            return not gone

        generating = asyncio.ensure_future(
            self._llm_lane.execute(_stream_completion, llm, messages, options, emit)
        )
        try:
            while (chunk := await pieces.get()) is not None:
                await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
            await response.write(b"data: [DONE]\n\n")
        finally:
            gone = True
            await generating
        await response.write_eof()
        return response


def _complete(llm: LocalModel, messages: list[Any], options: dict[str, Any]) -> dict[str, Any]:
    with llm.lock:
        result: dict[str, Any] = llm.llama.create_chat_completion(messages=messages, **options)
    return result


def _stream_completion(
    llm: LocalModel,
    messages: list[Any],
    options: dict[str, Any],
    emit: Callable[[dict[str, Any] | None], bool],
) -> None:
    try:
        with llm.lock:
            for chunk in llm.llama.create_chat_completion(
                messages=messages, stream=True, **options
            ):
                if not emit(chunk):
                    return
    finally:
        emit(None)


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise ServiceError(400, "the body is not JSON", "invalid_json") from exc
    if not isinstance(body, dict):
        raise ServiceError(400, "the body must be a JSON object", "invalid_json")
    return body


@web.middleware
async def _errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
    except ServiceError as exc:
        headers = {"Retry-After": _RETRY_AFTER_S} if isinstance(exc, Busy) else None
        return web.json_response(
            {"error": {"message": exc.message, "type": "voxroom_inference", "code": exc.code}},
            status=exc.status,
            headers=headers,
        )
    return response


def load_service(settings: WorkerSettings) -> InferenceService:
    """Load every installed offline model (blocking, seconds)."""
    started = time.monotonic()
    models = load_offline_models(settings)
    llm = None
    try:
        from .local_llm import shared_llama

        llm = shared_llama(settings.local_llm_threads)
    except AgentError as exc:
        logger.info("local LLM unavailable", extra={"error": str(exc)})
    service = InferenceService(settings, models, llm)
    logger.info(
        "inference models loaded",
        extra={"models": service.model_ids(), "seconds": round(time.monotonic() - started, 1)},
    )
    return service


def run_inference_service(settings: WorkerSettings) -> None:
    """Blocking entry point of `voxroom inference`."""
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    service = load_service(settings)
    try:
        web.run_app(
            service.app(),
            host=settings.inference_host,
            port=settings.inference_port,
            access_log=None,
            print=None,
        )
    finally:
        service.close()
