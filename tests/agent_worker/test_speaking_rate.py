"""agent_worker/speaking_rate.py computes what livekit-agents' speaking-rate method computes,
and that method is still where the shim expects it (this fails when an upgrade changes it)."""

from __future__ import annotations

import numpy as np
import pytest
from livekit.agents.voice.transcription._speaking_rate import SpeakingRateDetector

from agent_worker import speaking_rate
from tests.media import speech_like

pytestmark = pytest.mark.unit


def voice_like(sample_rate: int, seconds: float, seed: int) -> np.ndarray:
    return (speech_like(sample_rate, seconds, seed) / 32768).astype(np.float32)


@pytest.mark.parametrize("sample_rate", [16000, 24000, 48000])
@pytest.mark.parametrize("seconds", [1.0, 0.6, 0.03, 0.02])
async def test_the_flux_is_livekits_to_rounding(sample_rate: int, seconds: float) -> None:
    stream = SpeakingRateDetector().stream()
    try:
        audio = voice_like(sample_rate, seconds, seed=int(seconds * 100))
        theirs = speaking_rate.original_spectral_flux(stream, audio, sample_rate)
        ours = speaking_rate.spectral_flux(audio, sample_rate)
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)
    finally:
        await stream.aclose()


async def test_installed_streams_use_it() -> None:
    speaking_rate.install()
    stream = SpeakingRateDetector().stream()
    try:
        audio = voice_like(24000, 1.0, seed=1)
        assert stream._spectral_flux(audio, 24000) == speaking_rate.spectral_flux(audio, 24000)
    finally:
        await stream.aclose()
