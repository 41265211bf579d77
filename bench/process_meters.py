"""Memory and CPU of a platform's components while a bench runs, by name (e.g. "workers",
"livekit_sip"), each component being one or more process trees: memory sampled over time to
tell flat from growing, CPU over the whole run.

A sample reads /proc once (`proc_table`: every process's parent and CPU time from its `stat`)
and finds each tree in that table, instead of each tree walking /proc for its children: the
bench's own sampling was 9-12 % of a core when every tree walked /proc twice a second."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Iterable
from pathlib import Path

import psutil

Sizes = dict[str, tuple[float, float]]
"""(RSS, PSS) in MB by component."""
ProcTable = dict[int, tuple[int, float]]
"""pid -> (parent pid, CPU seconds used, user + system)."""

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK")


def stat_fields(stat: str) -> tuple[int, float]:
    """(parent pid, CPU seconds) from the text of /proc/<pid>/stat; the command name, in
    parentheses, may hold spaces, so fields are counted after its closing parenthesis."""
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS


def proc_table() -> ProcTable:
    """Every process's parent and CPU time, one read of /proc."""
    table: ProcTable = {}
    for entry in os.scandir(_PROC):
        if entry.name.isdigit():
            try:
                table[int(entry.name)] = stat_fields((_PROC / entry.name / "stat").read_text())
            except (OSError, ValueError, IndexError):
                continue  # ended while being read
    return table


def descendants(table: ProcTable, roots: Iterable[int]) -> list[int]:
    """`roots` present in `table` and all their descendants."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found = [pid for pid in roots if pid in table]
    for pid in found:  # grows while it is walked: breadth first
        found.extend(children.get(pid, ()))
    return found


def rss_pss_mb(pid: int) -> tuple[float, float] | None:
    """(RSS, PSS) of one process in MB from /proc/<pid>/smaps_rollup, None once it ended."""
    try:
        text = (_PROC / str(pid) / "smaps_rollup").read_text()
    except OSError:
        return None
    sizes = {}
    for line in text.splitlines()[1:]:
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss"):
            sizes[name] = int(rest.split()[0]) / 1024
    return sizes.get("Rss", 0.0), sizes.get("Pss", 0.0)


class TreeMeter:
    """CPU seconds and memory of processes and all their descendants (or of the processes
    alone, `recursive=False`), sampled while they run."""

    def __init__(self, *pids: int, recursive: bool = True) -> None:
        self._roots = pids
        self._recursive = recursive
        self._cpu: dict[int, float] = {}
        self._cpu_at_start: dict[int, float] = {}

    def pids(self, table: ProcTable | None = None) -> list[int]:
        if not self._recursive:
            return list(self._roots)
        return descendants(proc_table() if table is None else table, self._roots)

    def processes(self) -> list[psutil.Process]:
        return [psutil.Process(pid) for pid in self.pids() if psutil.pid_exists(pid)]

    def memory_by_process(self, table: ProcTable | None = None) -> list[tuple[float, float]]:
        """(RSS, PSS) in MB of each process of the tree."""
        sizes = (rss_pss_mb(pid) for pid in self.pids(table))
        return [size for size in sizes if size is not None]

    def memory_mb(self, table: ProcTable | None = None) -> tuple[float, float]:
        """(sum of RSS, sum of PSS) of the tree, MB."""
        sizes = self.memory_by_process(table)
        return sum(s[0] for s in sizes), sum(s[1] for s in sizes)

    def pss_by_process_mb(self, table: ProcTable | None = None) -> list[float]:
        """PSS of each process of the tree, MB, largest first (worker, then job processes)."""
        return sorted((round(s[1], 1) for s in self.memory_by_process(table)), reverse=True)

    def sample_cpu(self, table: ProcTable | None = None) -> None:
        table = proc_table() if table is None else table
        for pid in self.pids(table):
            if pid in table:
                self._cpu[pid] = table[pid][1]

    def start(self, table: ProcTable | None = None) -> None:
        self._cpu = {}
        self.sample_cpu(table)
        self._cpu_at_start = dict(self._cpu)

    def cpu_seconds(self) -> float:
        return sum(used - self._cpu_at_start.get(pid, 0.0) for pid, used in self._cpu.items())


class ProcessMeters:
    def __init__(self, pids: dict[str, list[int]]) -> None:
        self.trees = {name: [TreeMeter(pid) for pid in group] for name, group in pids.items()}
        self.samples: list[tuple[float, Sizes]] = []
        """(wall-clock time, sizes) of each sample of `sample_every`."""

    def memory(self, table: ProcTable | None = None) -> Sizes:
        """Each component's process trees summed."""
        table = proc_table() if table is None else table
        totals = {}
        for name, trees in self.trees.items():
            sizes = [tree.memory_mb(table) for tree in trees]
            totals[name] = (sum(s[0] for s in sizes), sum(s[1] for s in sizes))
        return totals

    def start_cpu(self) -> None:
        table = proc_table()
        for trees in self.trees.values():
            for tree in trees:
                tree.start(table)

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
            table = await asyncio.to_thread(proc_table)
            for trees in self.trees.values():
                for tree in trees:
                    tree.sample_cpu(table)
            self.samples.append((time.time(), await asyncio.to_thread(self.memory, table)))
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
