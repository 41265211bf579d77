"""A caller talks to an agent over real WebRTC through the whole platform, offline."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from livekit.agents.voice.remote_session import TOPIC_SESSION_MESSAGES
from livekit.protocol.agent_pb import agent_session

from tests.media import Caller, flite_wav, normalized, transcribe, wait_for
from tests.stack import Stack

pytestmark = pytest.mark.e2e

RATE = 48_000
GREETING = "Hello, thanks for calling Bluebird Bakery. How can I help?"
INSTRUCTIONS = """You are the voice assistant of Bluebird Bakery. Keep answers short.
Our opening hours are seven in the morning to six in the evening, Monday to Saturday.
We are located at twelve Harbour Street, next to the library.
Delivery is free for orders above thirty dollars.
Our catering service covers weddings, birthdays and office parties, with cakes, pastries, \
sandwiches and coffee for up to two hundred guests, and it must be booked at least one week \
ahead by phone or at the counter, with a deposit of fifty dollars that is returned in full \
if you cancel more than three days before the event."""


async def start_call(stack: Stack, room: str) -> tuple[dict, str]:
    async with httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers) as api:
        agent = (
            await api.post(
                "/api/v1/agents",
                json={
                    "name": "Bluebird",
                    "instructions": INSTRUCTIONS,
                    "first_message": GREETING,
                },
            )
        ).json()
        token = await api.post(
            "/api/v1/token",
            json={
                "identity": "caller-1",
                "room": room,
                "agent_config_id": agent["id"],
            },
        )
    assert token.status_code == 200, token.text
    return token.json(), token.json()["sessions"][0]["session_id"]


async def session_state(stack: Stack, session_id: str) -> tuple[dict, list[dict]]:
    async with httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers) as api:
        session = (await api.get(f"/api/v1/sessions/{session_id}/detail")).json()
        transcript = (await api.get(f"/api/v1/sessions/{session_id}/transcript")).json()
    return session, transcript["transcripts"]


async def test_caller_is_greeted_and_answered_and_every_turn_is_stored(
    stack: Stack, tmp_path: Path
) -> None:
    question = flite_wav("Where is the bakery located?", tmp_path / "question.wav")
    token, session_id = await start_call(stack, "answer")
    async with Caller(token["wsUrl"], token["token"]) as caller:
        joined = time.monotonic()
        # The agent's session is not open to the room's participants (agent_worker/session.py)
        from_session: list[str] = []
        caller.room.register_byte_stream_handler(
            TOPIC_SESSION_MESSAGES, lambda _reader, sender: from_session.append(sender)
        )
        await caller.wait_for_agent_audio_track(limit_s=90)
        first, last = await caller.wait_until_quiet(since=joined, limit_s=60)
        assert first is not None and last is not None, "the agent never greeted"
        greeting = normalized(transcribe(caller.recording.samples(first - 0.2, last + 0.1), RATE))
        assert "bluebird" in greeting or "bakery" in greeting, greeting

        spoke_at = await caller.say_wav(question)
        first, last = await caller.wait_until_quiet(since=spoke_at, limit_s=60)
        assert first is not None and last is not None, "the agent never answered"
        answer = normalized(transcribe(caller.recording.samples(first - 0.2, last + 0.1), RATE))
        assert "harbour" in answer or "harbor" in answer or "library" in answer, answer
        asks_for_the_prompt = agent_session.AgentSessionMessage(
            request=agent_session.SessionRequest(
                request_id="probe", get_agent_info=agent_session.SessionRequest.GetAgentInfo()
            )
        )
        await caller.room.local_participant.send_bytes(
            asks_for_the_prompt.SerializeToString(), topic=TOPIC_SESSION_MESSAGES
        )

        async def three_turns() -> bool:
            return len((await session_state(stack, session_id))[1]) >= 3

        for _ in range(100):
            if await three_turns():
                break
            await asyncio.sleep(0.1)

    for _ in range(100):
        detail, transcript = await session_state(stack, session_id)
        if detail["session"]["status"] != "active":
            break
        await asyncio.sleep(0.2)
    assert from_session == [], "the agent's session answered or told the caller something"
    assert [t["speaker"] for t in transcript[:3]] == ["agent", "user", "agent"], transcript
    assert "bluebird" in normalized(transcript[0]["content"])
    assert "located" in normalized(transcript[1]["content"])
    assert "Harbour Street" in transcript[2]["content"]
    assert transcript[2]["latency"] is not None
    assert detail["session"]["status"] == "completed"
    assert detail["session"]["end_reason"] == "participant_left"
    assert detail["session"]["caller_identity"] == "caller-1"
    assert detail["usage"]["stt_audio_seconds"] > 0
    assert detail["usage"]["tts_characters"] > 0


async def test_caller_interrupts_the_agent_mid_answer(stack: Stack, tmp_path: Path) -> None:
    question = flite_wav("Tell me about your catering service.", tmp_path / "catering.wav")
    interruption = flite_wav("Stop, stop. Wait a moment please.", tmp_path / "stop.wav")
    token, session_id = await start_call(stack, "interrupt")
    async with Caller(token["wsUrl"], token["token"]) as caller:
        joined = time.monotonic()
        await caller.wait_for_agent_audio_track(limit_s=90)
        await caller.wait_until_quiet(since=joined, limit_s=60)

        spoke_at = await caller.say_wav(question)
        answering = await wait_for(
            lambda: caller.recording.first_audible_after(spoke_at) is not None, limit_s=30
        )
        assert answering, "the agent never started answering"
        started = caller.recording.first_audible_after(spoke_at)
        assert started is not None
        # livekit-agents ignores interruptions during the first seconds of its speech.
        await asyncio.sleep(max(0.0, started + 4.5 - time.monotonic()))
        stop_started = time.monotonic()
        stop_sent = await caller.say_wav(interruption)
        # VAD reacts within ~0.5 s of speech; the agent must be silent for the rest of the
        # caller's sentence (its reply to the interruption comes only after that).
        overlap = caller.recording.samples(stop_started + 1.5, stop_sent)
        assert overlap.size > 0
        rms = float(np.sqrt(np.mean(overlap.astype(np.float64) ** 2)))
        assert rms < 300, f"the agent kept talking over the caller (rms {rms:.0f})"

        async def interrupted_turn() -> bool:
            _, transcript = await session_state(stack, session_id)
            return any(t["speaker"] == "agent" and t["interrupted"] for t in transcript)

        for _ in range(100):
            if await interrupted_turn():
                break
            await asyncio.sleep(0.1)
    _, transcript = await session_state(stack, session_id)
    interrupted = [t for t in transcript if t["speaker"] == "agent" and t["interrupted"]]
    assert interrupted, transcript
    assert "catering" in normalized(interrupted[0]["content"])
