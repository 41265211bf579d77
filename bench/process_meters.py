"""Memory and CPU of a platform's components while a bench runs, by name (e.g. "workers",
"livekit_sip"), each component being one or more process trees: memory sampled over time to
tell flat from growing, CPU over the whole run."""

from __future__ import annotations

import asyncio
import statistics
import time

from bench.voice_latency import TreeMeter

Sizes = dict[str, tuple[float, float]]
"""(RSS, PSS) in MB by component."""


class ProcessMeters:
    def __init__(self, pids: dict[str, list[int]]) -> None:
        self.trees = {name: [TreeMeter(pid) for pid in group] for name, group in pids.items()}
        self.samples: list[tuple[float, Sizes]] = []
        """(wall-clock time, sizes) of each sample of `sample_every`."""

    def memory(self) -> Sizes:
        """Each component's process trees summed."""
        totals = {}
        for name, trees in self.trees.items():
            sizes = [tree.memory_mb() for tree in trees]
            totals[name] = (sum(s[0] for s in sizes), sum(s[1] for s in sizes))
        return totals

    def start_cpu(self) -> None:
        for trees in self.trees.values():
            for tree in trees:
                tree.start()

    def cpu_percent(self, wall_s: float) -> dict[str, float]:
        """CPU used since `start_cpu`, in % of one core, as of the last sample."""
        return {
            name: round(100 * sum(tree.cpu_seconds() for tree in trees) / wall_s, 1)
            for name, trees in self.trees.items()
        }

    async def sample_every(self, every_s: float) -> None:
        """Sample until cancelled (memory reads go to a thread: smaps of a large process is
        slow to read)."""
        while True:
            for trees in self.trees.values():
                for tree in trees:
                    tree.sample_cpu()
            self.samples.append((time.time(), await asyncio.to_thread(self.memory)))
            await asyncio.sleep(every_s)

    def report(
        self, idle: Sizes, after: Sizes, steady_from: float
    ) -> dict[str, dict[str, float | int | None]]:
        """Per component: idle before and after the run; first, last and largest sample of the
        steady state (samples from `steady_from` on; all samples in a run too short to reach it,
        which then shows lazily loaded models as growth), and the least-squares slope of its
        PSS in MB/min (near 0 when memory is flat)."""
        steady = [s for s in self.samples if s[0] >= steady_from]
        reached = len(steady) > 1
        steady = steady if reached else self.samples
        minutes = [(at - steady[0][0]) / 60 for at, _ in steady]
        out: dict[str, dict[str, float | int | None]] = {}
        for name in self.trees:
            rss = [sizes[name][0] for _, sizes in steady]
            pss = [sizes[name][1] for _, sizes in steady]
            slope = (
                statistics.linear_regression(minutes, pss).slope if len(set(minutes)) > 2 else None
            )
            out[name] = {
                "samples": len(pss),
                "steady_state_reached": reached,
                "pss_idle_before": round(idle[name][1], 1),
                "pss_first": round(pss[0], 1),
                "pss_last": round(pss[-1], 1),
                "pss_max": round(max(pss), 1),
                "pss_growth": round(pss[-1] - pss[0], 1),
                "pss_slope_mb_per_min": round(slope, 2) if slope is not None else None,
                "pss_idle_after": round(after[name][1], 1),
                "rss_first": round(rss[0], 1),
                "rss_last": round(rss[-1], 1),
                "rss_max": round(max(rss), 1),
            }
        return out
