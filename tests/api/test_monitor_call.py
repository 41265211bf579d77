"""A real call (WebRTC through the whole platform, offline) watched on the monitor: the
transcript arrives line by line while the call runs, LiveKit's own webhooks arrive as
participant events, and every message of a channel counts up by one."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from tests import netns
from tests.e2e.test_voice_call import start_call
from tests.media import Caller, flite_wav
from tests.stack import Stack, voxroom_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not netns.inside():
        pytest.fail("end-to-end tests run only inside the loopback-only namespace", pytrace=False)
    with voxroom_stack(tmp_path_factory.mktemp("stack")) as running_stack:
        yield running_stack


async def test_a_live_call_streams_its_transcript_over_the_monitor(
    stack: Stack, tmp_path: Path
) -> None:
    question = flite_wav("Where is the bakery located?", tmp_path / "question.wav")
    url = stack.api_url.replace("http://", "ws://") + f"/ws/monitor?api_key={stack.api_key}"
    received: list[tuple[float, dict]] = []
    async with connect(url) as ws:
        await ws.send(json.dumps({"action": "subscribe", "channel": "rooms"}))

        async def collect() -> None:
            async for raw in ws:
                received.append((time.monotonic(), json.loads(raw)))

        collector = asyncio.create_task(collect())
        try:
            token, session_id = await start_call(stack, "monitored")
            async with Caller(token["wsUrl"], token["token"]) as caller:
                joined = time.monotonic()
                await caller.wait_for_agent_audio_track(limit_s=90)
                await caller.wait_until_quiet(since=joined, limit_s=60)
                spoke_at = await caller.say_wav(question)
                await caller.wait_until_quiet(since=spoke_at, limit_s=60)
                for _ in range(100):
                    so_far = [m for _, m in received if m["type"] == "transcript.new"]
                    if len(so_far) >= 3:
                        break
                    await asyncio.sleep(0.1)
                left = time.monotonic()
            for _ in range(150):
                if any(m["type"] in ("session.ended", "session.failed") for _, m in received):
                    break
                await asyncio.sleep(0.2)
        finally:
            collector.cancel()
    events = [m for _, m in received if m["type"] not in ("subscribed", "unsubscribed")]
    lines = [(at, m) for at, m in received if m["type"] == "transcript.new"]
    assert len(lines) >= 3, [m["type"] for m in events]
    assert all(at < left for at, _ in lines[:3]), "transcript lines came only after the call"
    assert [m["data"]["speaker"] for _, m in lines[:3]] == ["agent", "user", "agent"]
    assert all(m["data"]["session_id"] == session_id for _, m in lines)
    types = [m["type"] for m in events]
    assert "session.started" in types and "session.ended" in types
    joined_events = [m for m in events if m["type"] == "participant.joined"]
    assert {"caller-1"} <= {m["data"]["identity"] for m in joined_events}  # LiveKit's webhooks
    seqs = [m["seq"] for m in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
