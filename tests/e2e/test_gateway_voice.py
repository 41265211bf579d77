"""Plain WebSocket and Twilio Media Streams callers, and the SDK-free example page in headless
Chromium, reach the same agents through the media gateway, over the whole platform, offline."""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import time
import wave
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
import pytest
from playwright.async_api import async_playwright

from gateway.app import EXAMPLE_PAGE_PATH
from tests.e2e.test_voice_call import GREETING, INSTRUCTIONS
from tests.gateway.clients import PlainCaller, TwilioCaller
from tests.media import (
    Caller,
    flite_wav,
    normalized,
    read_wav,
    transcribe,
    wait_for,
    write_wav,
)
from tests.stack import Stack

pytestmark = pytest.mark.e2e


def ws_url(stack: Stack, path: str) -> str:
    return stack.gateway_url.replace("http://", "ws://") + path


async def gateway_ready(stack: Stack) -> None:
    async with httpx.AsyncClient() as http:

        async def ready() -> bool:
            return (await http.get(f"{stack.gateway_url}/healthz")).status_code == 200

        deadline = time.monotonic() + 30
        while not await ready():
            assert time.monotonic() < deadline, "the gateway never became ready"
            await asyncio.sleep(0.2)


async def create_agent(
    stack: Stack, name: str = "Bluebird", first_message: str | None = GREETING
) -> str:
    async with httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers) as api:
        response = await api.post(
            "/api/v1/agents",
            json={"name": name, "instructions": INSTRUCTIONS, "first_message": first_message},
        )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def session_state(stack: Stack, session_id: str) -> tuple[dict[str, Any], list[dict]]:
    async with httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers) as api:
        detail = (await api.get(f"/api/v1/sessions/{session_id}/detail")).json()
        transcript = (await api.get(f"/api/v1/sessions/{session_id}/transcript")).json()
    return detail["session"], transcript["transcripts"]


async def ended(stack: Stack, session_id: str, limit_s: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + limit_s
    while True:
        session, _ = await session_state(stack, session_id)
        if session["status"] != "active" or time.monotonic() > deadline:
            return session
        await asyncio.sleep(0.2)


def heard(caller: PlainCaller | TwilioCaller, first: float, last: float) -> str:
    samples = caller.recording.samples(first - 0.2, last + 0.1)
    return normalized(transcribe(samples, caller.sample_rate))


async def test_plain_websocket_caller_is_answered_with_transcripts_and_hears_a_supervisor(
    stack: Stack, tmp_path: Path
) -> None:
    await gateway_ready(stack)
    agent_id = await create_agent(stack)
    question = flite_wav("Where is the bakery located?", tmp_path / "question.wav")
    hello = flite_wav("Hello, this is the manager speaking.", tmp_path / "manager.wav")
    url = ws_url(stack, f"/ws/voice?api_key={stack.api_key}&agent_id={agent_id}")
    async with (
        httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers) as api,
        PlainCaller(url) as caller,
    ):
        connected = await caller.wait_message("connected", limit_s=30)
        assert connected["agentName"] == "Bluebird" and connected["historyKey"]
        session_id = connected["sessionId"]
        joined = time.monotonic()
        await caller.wait_message("audioEnd", limit_s=90)
        first, last = await caller.wait_until_quiet(since=joined, limit_s=30)
        assert first is not None and last is not None, "the agent never greeted"
        greeting = heard(caller, first, last)
        assert "bluebird" in greeting or "bakery" in greeting, greeting

        spoke_at = await caller.say_wav(question)
        await caller.wait_message("audioEnd", limit_s=60, since=spoke_at)
        first, last = await caller.wait_until_quiet(since=spoke_at, limit_s=30)
        assert first is not None and last is not None, "the agent never answered"
        answer = heard(caller, first, last)
        assert "harbour" in answer or "harbor" in answer or "library" in answer, answer

        finals = [m for m in caller.of_type("transcript") if m["isFinal"]]
        assert any(m["role"] == "user" and "located" in normalized(m["text"]) for m in finals)
        assert any(m["role"] == "agent" and "Harbour" in m["text"] for m in finals), finals
        partial_roles = {m["role"] for m in caller.of_type("transcript") if not m["isFinal"]}
        assert "agent" in partial_roles

        # Supervision serves every transport: a supervisor who takes over is heard.
        taken = await api.post(f"/api/v1/sessions/{session_id}/takeover")
        assert taken.status_code == 200, taken.text
        async with Caller(taken.json()["wsUrl"], taken.json()["token"]) as supervisor:
            await asyncio.sleep(1.0)  # the gateway subscribes to the new microphone
            spoke_at = time.monotonic()
            await supervisor.say_wav(hello)
            first, last = await caller.wait_until_quiet(since=spoke_at, limit_s=15)
        assert first is not None and last is not None, "the caller never heard the supervisor"
        assert "manager" in heard(caller, first, last)

    # Turns are reported as they happen: the transcript holds them without waiting for the end.
    deadline = time.monotonic() + 10
    while len(transcript := (await session_state(stack, session_id))[1]) < 3:
        assert time.monotonic() < deadline, transcript
        await asyncio.sleep(0.2)
    assert [t["speaker"] for t in transcript[:3]] == ["agent", "user", "agent"], transcript


async def twilio_ticket(stack: Stack, agent_id: str) -> str:
    async with httpx.AsyncClient(base_url=stack.api_url) as api:
        response = await api.post(
            f"/api/v1/twilio/voice?api_key={stack.api_key}&agent_id={agent_id}",
            data={"CallSid": "CA" + "1" * 32, "From": "+15005550006", "To": "+15005550001"},
        )
    assert response.status_code == 200, response.text
    twiml = response.text
    assert "<Connect>" in twiml and "/ws/twilio/stream" in twiml, twiml
    found = re.search(r'<Parameter name="ticket" value="([^"]+)"', twiml)
    assert found, twiml
    return found.group(1)


async def test_twilio_media_stream_caller_barges_in_is_answered_and_presses_keys(
    stack: Stack, tmp_path: Path
) -> None:
    await gateway_ready(stack)
    agent_id = await create_agent(stack)
    ticket = await twilio_ticket(stack, agent_id)
    catering = flite_wav("Tell me about your catering service.", tmp_path / "catering.wav")
    question = flite_wav("Where is the bakery located?", tmp_path / "question.wav")
    async with TwilioCaller(ws_url(stack, "/ws/twilio/stream"), {"ticket": ticket}) as caller:
        joined = time.monotonic()
        await caller.wait_message("mark", limit_s=90)
        first, last = await caller.wait_until_quiet(since=joined, limit_s=30)
        assert first is not None and last is not None, "the agent never greeted"
        greeting = heard(caller, first, last)
        assert "bluebird" in greeting or "bakery" in greeting, greeting

        spoke_at = await caller.say_wav(catering)
        assert await wait_for(
            lambda: caller.recording.first_audible_after(spoke_at) is not None, limit_s=30
        ), "the agent never started answering"
        started = caller.recording.first_audible_after(spoke_at)
        assert started is not None
        # livekit-agents ignores interruptions during the first seconds of its speech.
        await asyncio.sleep(max(0.0, started + 4.5 - time.monotonic()))
        barged_at = time.monotonic()
        asked_at = await caller.say_wav(question)
        clear = await caller.wait_message("clear", limit_s=10, since=barged_at)
        assert clear["streamSid"] == caller.stream_sid

        # On a busy machine the agent may take the barge-in for a false one and finish its
        # sentence before it answers: listen until the answer came or a minute passed.
        deadline = time.monotonic() + 60
        answer = ""
        while not any(word in answer for word in ("harbour", "harbor", "library")):
            assert time.monotonic() < deadline, f"the agent never answered: {answer}"
            await caller.wait_message("mark", limit_s=60, since=asked_at)
            first, last = await caller.wait_until_quiet(since=asked_at, limit_s=30)
            assert first is not None and last is not None, "the agent never answered"
            answer = heard(caller, first, last)
            await asyncio.sleep(1.0)

        # A key pressed on the phone (Twilio's `dtmf` event) reaches the agent as a keypad key.
        await caller.press("5")
        async with httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers) as api:
            listed = await api.get(f"/api/v1/sessions?agent_config_id={agent_id}")
        (session,) = listed.json()["sessions"]
        assert session["status"] == "active"
        deadline = time.monotonic() + 15
        while ("system", "DTMF: caller pressed 5") not in (
            lines := [
                (t["speaker"], t["content"]) for t in (await session_state(stack, session["id"]))[1]
            ]
        ):
            assert time.monotonic() < deadline, lines
            await asyncio.sleep(0.3)


def looped_question(text: str, path: Path) -> Path:
    """Chromium's fake microphone plays this file from `getUserMedia` on, in a loop: a second
    of silence, the question, then silence long enough for the whole answer. Should the first
    question come before the caller's track reached the agent, the next one is heard."""
    samples, rate = read_wav(flite_wav(text, path))
    lead, tail = np.zeros(rate, np.int16), np.zeros(14 * rate, np.int16)
    write_wav(path, np.concatenate([lead, samples, tail]), rate)
    return path


def chromium_args(microphone: Path) -> list[str]:
    return [
        "--no-sandbox",  # root inside the test's namespace; the page is our own
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={microphone}",
        # Nothing but the page's own requests (and those stay on 127.0.0.1 anyway).
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-domain-reliability",
        "--disable-sync",
        "--no-default-browser-check",
        "--no-first-run",
    ]


def wav_pcm(messages: list[bytes]) -> np.ndarray:
    """The agent's audio as the page received it: one standalone WAV per message."""
    chunks = []
    for message in messages:
        with wave.open(io.BytesIO(message)) as wav:
            chunks.append(np.frombuffer(wav.readframes(wav.getnframes()), np.int16))
    return np.concatenate(chunks) if chunks else np.zeros(0, np.int16)


async def test_browser_example_page_talks_to_the_agent_without_an_sdk(
    stack: Stack, tmp_path: Path
) -> None:
    await gateway_ready(stack)
    agent_id = await create_agent(stack, first_message=None)
    microphone = looped_question("Where is the bakery located?", tmp_path / "question.wav")
    # The backend's part (seed 000): it holds the key and hands the page a joinUrl only.
    async with httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers) as api:
        response = await api.post(
            "/api/v1/voice/sessions",
            json={"agent_config_id": agent_id, "prompt": INSTRUCTIONS, "max_duration": 120},
        )
    assert response.status_code == 201, response.text
    session_id, join_url = response.json()["session_id"], response.json()["joinUrl"]
    page_url = f"{stack.gateway_url}{EXAMPLE_PAGE_PATH}#joinUrl={quote(join_url, safe='')}"

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make system-deps` installs it"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, args=chromium_args(microphone)
        )
        try:
            page = await browser.new_page()
            received: list[bytes] = []  # the agent's audio, as the browser's socket got it
            page.on(
                "websocket",
                lambda socket: socket.on(
                    "framereceived",
                    lambda data: received.append(data) if isinstance(data, bytes) else None,
                ),
            )
            await page.goto(page_url)
            assert await page.input_value("#joinUrl") == join_url
            assert stack.api_key not in await page.content()
            await page.click("#start")
            await page.wait_for_function(
                "voiceCall.status === 'connected'", polling=100, timeout=30_000
            )
            await page.wait_for_function(
                "voiceCall.agentAudio.utterances > 0 && voiceCall.agentAudio.playedSeconds > 1"
                " && voiceCall.transcripts.some(line => line.role === 'agent')",
                polling=100,
                timeout=90_000,
            )
            state = await page.evaluate("voiceCall")
            await page.click("#hangUp")
            await page.wait_for_function(
                "voiceCall.status === 'ended'", polling=100, timeout=10_000
            )
            assert await page.evaluate("voiceCall.closeCode") == 1000
        finally:
            await browser.close()

    assert state["agentAudio"]["seconds"] > 1, state
    answer = normalized(transcribe(wav_pcm(received), 16_000))
    lines = state["transcripts"]
    assert any(line["role"] == "user" and "located" in normalized(line["text"]) for line in lines)
    assert any(line["role"] == "agent" and "Harbour" in line["text"] for line in lines), lines
    assert "harbour" in answer or "harbor" in answer or "library" in answer, answer
    assert (await ended(stack, session_id))["status"] == "completed"
    _, transcript = await session_state(stack, session_id)
    said = [(t["speaker"], t["content"]) for t in transcript]
    assert any(who == "user" and "located" in normalized(text) for who, text in said), said
    assert any(who == "agent" and "Harbour" in text for who, text in said), said
