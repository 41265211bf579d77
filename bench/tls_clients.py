"""What building a call's OpenAI client costs, as livekit's openai plugin builds it (a TLS
context of its own) and as the worker does (`agent_worker.openai_clients`, one TLS context per
process). Each call builds three (STT, LLM, TTS), on its event loop.

    python -m bench.tls_clients [--clients 30]

Nothing is sent: the cost is the construction alone. Prints milliseconds per client, median
and 95th percentile, for each way, and their ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from livekit.plugins import openai

from agent_worker import openai_clients


def timings(build: Callable[[], object], count: int) -> list[float]:
    spent = []
    for _ in range(count):
        started = time.perf_counter()
        build()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def figures(spent: list[float]) -> dict[str, float]:
    ordered = sorted(spent)
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=30)
    count = parser.parse_args().clients
    plugin = figures(timings(lambda: openai.LLM(api_key="sk-bench"), count))

    def on_process_context() -> object:
        return openai.LLM(api_key="sk-bench", client=openai_clients.client(api_key="sk-bench"))

    shared = figures(timings(on_process_context, count))
    print(
        json.dumps(
            {
                "clients": count,
                "plugin_own_tls_context": plugin,
                "process_tls_context": shared,
                "p50_ratio": round(plugin["p50_ms"] / max(shared["p50_ms"], 1e-6), 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
