"""Plain WebSocket and Twilio Media Streams callers reach the same agents through the media
gateway, over the whole platform, offline."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_voice_call import GREETING, INSTRUCTIONS
from tests.gateway.clients import PlainCaller, TwilioCaller
from tests.media import Caller, flite_wav, normalized, transcribe, wait_for
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


async def create_agent(stack: Stack, name: str = "Bluebird") -> str:
    async with httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers) as api:
        response = await api.post(
            "/api/v1/agents",
            json={"name": name, "instructions": INSTRUCTIONS, "first_message": GREETING},
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


async def test_twilio_media_stream_caller_barges_in_and_is_answered(
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
