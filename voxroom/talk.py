"""`voxroom talk`: call an agent from the terminal with a WAV file, record what it says."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import numpy as np

from voxroom.voice_client import SAMPLE_RATE, Caller, read_wav, write_wav


async def talk(
    *,
    api_url: str,
    api_key: str,
    agent_id: str,
    say: Path,
    record: Path,
    room: str,
    listen_s: float,
) -> str:
    """Join `room` with the agent dispatched, greet, speak `say`, and return the transcript."""
    headers = {"X-API-Key": api_key}
    async with httpx.AsyncClient(base_url=api_url, headers=headers, timeout=30) as client:
        response = await client.post(
            "/api/v1/token",
            json={
                "identity": f"talk-{int(time.time())}",
                "room": room,
                "agent_config_id": agent_id,
            },
        )
        if response.status_code != 200:
            raise RuntimeError(f"token request failed: {response.json().get('error')}")
        token = response.json()
        session_id = token["sessions"][0]["session_id"]
        samples, rate = read_wav(say)
        async with Caller(token["wsUrl"], token["token"]) as caller:
            print("joined; waiting for the agent ...", flush=True)
            joined = time.monotonic()
            await caller.wait_for_agent_audio_track(limit_s=120)
            await caller.wait_until_quiet(since=joined, limit_s=60)
            print(f"speaking {say.name} ...", flush=True)
            spoke_at = await caller.say(samples, rate)
            await caller.wait_until_quiet(since=spoke_at, limit_s=listen_s)
            audio = caller.recording.samples()
        write_wav(record, audio if audio.size else np.zeros(1, np.int16), SAMPLE_RATE)
        print(f"recorded the agent to {record}", flush=True)
        await asyncio.sleep(1.0)  # the worker's last report may still be on its way
        transcript = await client.get(f"/api/v1/sessions/{session_id}/transcript/text")
        return transcript.text
