"""Media helpers for tests and benchmarks: speech WAVs, a caller over real WebRTC, STT.

- `flite_wav()` speaks text into a 16 kHz mono WAV with Debian's flite.
- `Caller` (from `voxroom.voice_client`) joins a room, speaks WAVs and records the agent.
- `transcribe()` uses the same faster-whisper model as the worker.
"""

from __future__ import annotations

import asyncio
import functools
import subprocess
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
from livekit import api

from voxroom.voice_client import (
    AUDIBLE_RMS,
    FRAME_MS,
    SAMPLE_RATE,
    Caller,
    Recording,
    read_wav,
    resample,
    write_wav,
)

__all__ = [
    "AUDIBLE_RMS",
    "FRAME_MS",
    "SAMPLE_RATE",
    "Caller",
    "Recording",
    "caller_token",
    "flite_wav",
    "normalized",
    "read_wav",
    "resample",
    "transcribe",
    "wait_for",
    "write_wav",
]


def speech_like(rate: int, seconds: float, seed: int) -> np.ndarray:
    """Noise shaped by a syllable-rate envelope: Opus codes it as it codes a voice (int16)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2
    return (rng.normal(0, 3000, t.size) * envelope).clip(-32768, 32767).astype(np.int16)


def flite_wav(text: str, path: Path, *, voice: str = "slt") -> Path:
    """Speak `text` into `path` (16 kHz mono WAV) with flite."""
    subprocess.run(
        ["flite", "-voice", voice, "-t", text, "-o", str(path)],
        check=True,
        capture_output=True,
    )
    return path


def caller_token(
    api_key: str, api_secret: str, *, room: str, identity: str, ttl_s: int = 600
) -> str:
    grants = api.VideoGrants(
        room_join=True, room=room, can_publish=True, can_subscribe=True, can_publish_data=True
    )
    return (
        api.AccessToken(api_key, api_secret)
        .with_identity(identity)
        .with_grants(grants)
        .with_ttl(timedelta(seconds=ttl_s))
        .to_jwt()
    )


@functools.cache
def _whisper() -> object:
    from agent_worker.offline_models import load_whisper
    from agent_worker.settings import WorkerSettings

    return load_whisper(WorkerSettings())


def transcribe(samples: np.ndarray, sample_rate: int) -> str:
    """Text of int16 mono `samples` with the worker's Whisper base model."""
    from agent_worker.local_stt import WHISPER_SAMPLE_RATE
    from agent_worker.local_stt import transcribe as whisper_transcribe

    audio = resample(samples, sample_rate, WHISPER_SAMPLE_RATE).astype(np.float32) / 32768.0
    text, _ = whisper_transcribe(_whisper(), audio, "en")
    return text


def normalized(text: str) -> str:
    return " ".join("".join(c.lower() if c.isalnum() else " " for c in text).split())


async def wait_for(predicate: Callable[[], bool], limit_s: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(interval)
    return predicate()
