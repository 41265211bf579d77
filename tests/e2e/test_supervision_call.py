"""A supervisor steers a live call over real WebRTC through the whole platform: a whisper is
never heard but shapes the next answer, the agent says what it is told, falls silent on
takeover while a supervisor speaks with a microphone-only token, and after the handback
answers from what the supervisor told the caller (the agent transcribed it)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_voice_call import RATE, session_state, start_call
from tests.media import Caller, flite_wav, normalized, transcribe

pytestmark = pytest.mark.e2e


async def test_say_takeover_and_handback_over_real_media(stack, tmp_path: Path) -> None:
    located = flite_wav("Where is the bakery located?", tmp_path / "located.wav")
    when = flite_wav("When will my order be ready?", tmp_path / "when.wav")
    discount = flite_wav("Is there a discount?", tmp_path / "discount.wav")
    manager = flite_wav(
        "Hello, this is the manager. Your order will be ready on Friday.", tmp_path / "manager.wav"
    )
    token, session_id = await start_call(stack, "supervised")
    base = f"/api/v1/sessions/{session_id}"
    async with (
        httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers) as api,
        Caller(token["wsUrl"], token["token"]) as caller,
    ):
        joined = time.monotonic()
        await caller.wait_for_agent_audio_track(limit_s=90)
        first, last = await caller.wait_until_quiet(since=joined, limit_s=60)
        assert first is not None, "the agent never greeted"

        whispered_at = time.monotonic()
        whispered = await api.post(
            f"{base}/whisper",
            json={"text": "This week every cake has a ten percent discount."},
        )
        assert whispered.status_code == 200, whispered.text
        first, _ = await caller.wait_until_quiet(since=whispered_at, limit_s=3)
        assert first is None, "the agent spoke the whisper"
        spoke_at = await caller.say_wav(discount)
        first, last = await caller.wait_until_quiet(since=spoke_at, limit_s=60)
        assert first is not None and last is not None, "the agent never answered"
        answer = normalized(transcribe(caller.recording.samples(first - 0.2, last + 0.1), RATE))
        assert "cake" in answer and "discount" in answer, answer

        asked = time.monotonic()
        said = await api.post(f"{base}/say", json={"text": "Your table is booked for eight."})
        assert said.status_code == 200, said.text
        first, last = await caller.wait_until_quiet(since=asked, limit_s=60)
        assert first is not None and last is not None, "the agent never said it"
        words = normalized(transcribe(caller.recording.samples(first - 0.2, last + 0.1), RATE))
        assert "booked" in words or "table" in words, words

        taken = await api.post(f"{base}/takeover")
        assert taken.status_code == 200, taken.text
        # the supervisor joins with the microphone-only token and speaks to the caller
        async with Caller(taken.json()["wsUrl"], taken.json()["token"]) as supervisor:
            await supervisor.say_wav(manager)
            spoke_at = await caller.say_wav(located)
            first, _ = await caller.wait_until_quiet(since=spoke_at, limit_s=8)
            # what the caller hears now is the supervisor, never an agent answer
            assert first is None, "the agent answered during the takeover"
            handed = await api.post(f"{base}/handback")
            assert handed.status_code == 200, handed.text

        # only the supervisor said when the order is ready: the agent heard it
        spoke_at = await caller.say_wav(when)
        first, last = await caller.wait_until_quiet(since=spoke_at, limit_s=60)
        assert first is not None and last is not None, "the agent did not answer after handback"
        answer = normalized(transcribe(caller.recording.samples(first - 0.2, last + 0.1), RATE))
        assert "friday" in answer, answer

    for _ in range(100):
        _, transcript = await session_state(stack, session_id)
        said = [normalized(t["content"]) for t in transcript]
        if any("located" in c for c in said) and any("friday" in c for c in said):
            break
        await asyncio.sleep(0.1)
    lines = [(t["speaker"], t["content"]) for t in transcript]
    assert ("system", "A supervisor took over the call") in lines
    assert ("system", "The supervisor handed the call back") in lines
    taken_at = lines.index(("system", "A supervisor took over the call"))
    handed_at = lines.index(("system", "The supervisor handed the call back"))
    # the caller's question and the supervisor's words are kept; the agent said nothing
    during = lines[taken_at + 1 : handed_at]
    assert any(s == "user" and "located" in normalized(c) for s, c in during), lines
    assert any(s == "supervisor" and "friday" in normalized(c) for s, c in during), lines
    assert not any(s == "agent" for s, _ in during), lines
