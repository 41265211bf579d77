"""The cloud providers' doubles of the density bench, reached by the worker's own provider code
(`agent_worker.providers` with `provider: openai` and `OPENAI_BASE_URL`) on a loopback port."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
import soxr
from aiohttp.test_utils import TestServer
from livekit import rtc
from livekit.agents import llm

from agent_worker.contracts import AgentSpec
from agent_worker.offline_models import OfflineModels
from agent_worker.providers import build_llm, build_stt, build_tts
from agent_worker.settings import WorkerSettings
from bench.provider_doubles import PCM_SAMPLE_RATE, UNHEARD, ProviderDoubles, Script, read_pcm
from tests.media import flite_wav

pytestmark = pytest.mark.unit

QUESTIONS = ["Where is the bakery located?", "Is delivery free?"]
REPLY = "We are at twelve Harbour Street, next to the library."
SPEC = AgentSpec(
    name="cloud", stt={"provider": "openai"}, llm={"provider": "openai"}, tts={"provider": "openai"}
)
SETTINGS = WorkerSettings(openai_api_key="double")


@pytest.fixture
async def doubles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Path]:
    wavs = {str(flite_wav(q, tmp_path / f"q{i}.wav")): q for i, q in enumerate(QUESTIONS)}
    script = Script(wavs, {QUESTIONS[0]: REPLY}, "Sorry, say that again?")
    served = ProviderDoubles(script)
    served.render_script()
    server = TestServer(served.app(), host="127.0.0.1")
    await server.start_server()
    monkeypatch.setenv("OPENAI_BASE_URL", str(server.make_url("/v1")))
    try:
        yield tmp_path
    finally:
        await server.close()


def as_received(wav: Path) -> rtc.AudioFrame:
    """As a call's audio reaches the STT: 48 kHz, quieter, with silence and noise around it."""
    pcm, rate = read_pcm(wav.read_bytes())
    speech = soxr.resample(pcm.astype(np.float32), rate, 48_000) * 0.8
    padded = np.concatenate([np.zeros(24_000), speech, np.zeros(30_000)])
    noisy = padded + np.random.default_rng(7).normal(0, 20, len(padded))
    data = np.clip(noisy, -32768, 32767).astype(np.int16)
    return rtc.AudioFrame(data.tobytes(), 48_000, 1, len(data))


async def test_the_stt_double_hears_the_scripts_questions_and_nothing_else(doubles: Path) -> None:
    stt = build_stt(SPEC, SETTINGS, OfflineModels())
    try:
        started = time.monotonic()
        heard = await stt.recognize([as_received(doubles / "q1.wav")])
        took = time.monotonic() - started
        other = flite_wav("Can I pay by card?", doubles / "other.wav")
        unheard = await stt.recognize([as_received(other)])
    finally:
        await stt.aclose()
    assert heard.alternatives[0].text == QUESTIONS[1]
    assert took >= 0.2
    assert unheard.alternatives[0].text == UNHEARD


async def test_the_llm_double_streams_the_reply_token_by_token(doubles: Path) -> None:
    model = build_llm(SPEC, SETTINGS)
    chat = llm.ChatContext.empty()
    chat.add_message(role="user", content=QUESTIONS[0])
    started = time.monotonic()
    arrivals: list[float] = []
    pieces: list[str] = []
    async with model.chat(chat_ctx=chat) as stream:
        async for chunk in stream:
            if chunk.delta and chunk.delta.content:
                arrivals.append(time.monotonic() - started)
                pieces.append(chunk.delta.content)
    await model.aclose()
    assert "".join(pieces) == REPLY
    assert arrivals[0] >= 0.3
    # 50 tokens per second after the first
    assert arrivals[-1] - arrivals[0] >= 0.02 * (len(pieces) - 1) * 0.9


async def test_the_tts_double_sends_24khz_pcm_after_its_delay(doubles: Path) -> None:
    tts = build_tts(SPEC, SETTINGS, OfflineModels())
    started = time.monotonic()
    frames: list[rtc.AudioFrame] = []
    first = 0.0
    async for audio in tts.synthesize(REPLY):
        first = first or time.monotonic() - started
        frames.append(audio.frame)
    await tts.aclose()
    assert first >= 0.15
    assert {frame.sample_rate for frame in frames} == {PCM_SAMPLE_RATE}
    assert rtc.combine_audio_frames(frames).duration > 2.0
