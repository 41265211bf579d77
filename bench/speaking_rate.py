"""What livekit-agents' speaking-rate estimate costs a speaking call's event loop, as shipped
(a Python loop over 25 ms frames) and as the worker runs it (`agent_worker.speaking_rate`,
whole-array numpy): one estimate covers the last second of the agent's 24 kHz reply audio
and runs every 100 ms of it, so 10 estimates per second of reply.

    python -m bench.speaking_rate [--estimates 200]

Prints milliseconds per estimate, median and 95th percentile, each way, and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json

import numpy as np
from livekit.agents.voice.transcription._speaking_rate import SpeakingRateDetector

from agent_worker import speaking_rate
from bench.tls_clients import figures, timings
from tests.media import speech_like

SAMPLE_RATE = 24000


async def measure(count: int) -> dict[str, object]:
    stream = SpeakingRateDetector().stream()
    audio = (speech_like(SAMPLE_RATE, 1.0, seed=1) / 32768).astype(np.float32)
    try:
        shipped = figures(
            timings(lambda: speaking_rate.original_spectral_flux(stream, audio, SAMPLE_RATE), count)
        )
        ours = figures(timings(lambda: speaking_rate.spectral_flux(audio, SAMPLE_RATE), count))
    finally:
        await stream.aclose()
    return {
        "estimates": count,
        "livekit_agents": shipped,
        "whole_array": ours,
        "p50_ratio": round(shipped["p50_ms"] / max(ours["p50_ms"], 1e-6), 1),
        "ms_per_second_of_reply_p50": {
            "livekit_agents": round(10 * shipped["p50_ms"], 1),
            "whole_array": round(10 * ours["p50_ms"], 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--estimates", type=int, default=200)
    print(json.dumps(asyncio.run(measure(parser.parse_args().estimates)), indent=2))


if __name__ == "__main__":
    main()
