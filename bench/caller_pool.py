"""The density bench's callers, in processes of their own: each runs its share of the calls
(`bench.lean_caller`) on its own event loop, apart from the bench's sampling and API calls, so
the callers' CPU is measured alone and their WebRTC work can spread over the cores.

A caller process reads one call a line on stdin (`{"id", "url", "token"}`), starts it at once
and writes one line per call ended (`{"id", "latencies", "error"}`); it writes `{"ready": true}`
once imported and ends when stdin closes and its calls have ended:

    python -m bench.caller_pool [--caller classic] --turns 3 q0.wav q1.wav ...
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import numpy as np

from agent_worker import ffi_routing
from bench.lean_caller import SAMPLE_RATE, LeanCaller, reply_span
from voxroom.voice_client import AUDIBLE_RMS, Caller, read_wav, resample

logger = logging.getLogger(__name__)

Latencies = list[float | None]
READY_LIMIT_S = 60.0


class ClassicCaller(Caller):
    """`voxroom.voice_client.Caller` as the bench used it before the lean caller (10 ms frames
    each way, every received frame kept, each read once for its loudness), to compare their
    cost and their measurement (`--caller classic`)."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(url, token)
        self._audible: list[float] = []
        self._read = 0

    @property
    def audible(self) -> list[float]:
        frames, arrivals = self.recording.frames, self.recording.arrivals
        while self._read < len(frames):
            frame, arrival = frames[self._read], arrivals[self._read]
            self._read += 1
            if frame.size and np.sqrt(np.mean(frame.astype(np.float64) ** 2)) >= AUDIBLE_RMS:
                self._audible.append(arrival)
        return self._audible


CALLERS: dict[str, type[LeanCaller | ClassicCaller]] = {
    "lean": LeanCaller,
    "classic": ClassicCaller,
}


async def converse(
    kind: str, url: str, token: str, questions: list[np.ndarray], turns: int
) -> tuple[Latencies, str | None]:
    """One caller of `kind` (`CALLERS`): wait for the greeting, then ask `turns` questions
    (48 kHz samples, cycled); latency per turn (s), from the question's end to the first
    audible reply."""
    latencies: Latencies = []
    caller = CALLERS[kind](url, token)
    async with caller:
        joined = time.monotonic()
        try:
            await caller.wait_for_agent_audio_track(limit_s=120)
        except TimeoutError:
            return [None] * turns, "no agent audio track within 120 s"
        await reply_span(caller, since=joined, quiet_s=1.5, limit_s=120)
        for turn in range(turns):
            spoke_at = await caller.say(questions[turn % len(questions)], SAMPLE_RATE)
            first, _ = await reply_span(caller, since=spoke_at, quiet_s=1.2, limit_s=60)
            latencies.append(first - spoke_at if first is not None else None)
            await asyncio.sleep(0.5)
    return latencies, None


async def _serve(kind: str, questions: list[np.ndarray], turns: int) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def call(request: dict[str, Any]) -> None:
        try:
            latencies, error = await converse(
                kind, request["url"], request["token"], questions, turns
            )
        except Exception as exc:  # reported with the call, as the bench counts errors
            latencies, error = [None] * turns, repr(exc)
        _write(sys.stdout, {"id": request["id"], "latencies": latencies, "error": error})

    _write(sys.stdout, {"ready": True})
    calls = []
    while line := await reader.readline():
        calls.append(asyncio.create_task(call(json.loads(line))))
    await asyncio.gather(*calls)


def _write(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


class CallerPool:
    """`processes` caller processes; `call` gives a call to the one with fewest calls."""

    def __init__(
        self, processes: int, wavs: list[Path], turns: int, log: Path, kind: str = "lean"
    ) -> None:
        self._argv = [
            sys.executable, "-m", "bench.caller_pool", "--caller", kind, "--turns", str(turns),
            *map(str, wavs),
        ]  # fmt: skip
        self._count = processes
        self._turns = turns
        self._log = log
        self._children: list[asyncio.subprocess.Process] = []
        self._readers: list[asyncio.Task[None]] = []
        self._pending: dict[int, asyncio.Future[tuple[Latencies, str | None]]] = {}
        self._running: dict[int, set[int]] = {}
        """Calls each process runs (by pid), until it reports them ended."""
        self._ids = itertools.count()

    @property
    def pids(self) -> list[int]:
        return [child.pid for child in self._children]

    async def __aenter__(self) -> CallerPool:
        with self._log.open("ab") as log:
            for _ in range(self._count):
                self._children.append(
                    await asyncio.create_subprocess_exec(
                        *self._argv,
                        stdin=asyncio.subprocess.PIPE,
                        stdout=asyncio.subprocess.PIPE,
                        stderr=log,
                    )
                )
        for child in self._children:
            assert child.stdout is not None
            ready = await asyncio.wait_for(child.stdout.readline(), READY_LIMIT_S)
            if json.loads(ready or b"{}").get("ready") is not True:
                raise RuntimeError(f"a caller process did not start, see {self._log}")
            self._running[child.pid] = set()
            self._readers.append(asyncio.create_task(self._read(child)))
        return self

    async def call(self, url: str, token: str) -> tuple[Latencies, str | None]:
        child = min(self._children, key=lambda c: len(self._running[c.pid]))
        call_id = next(self._ids)
        ended = asyncio.get_running_loop().create_future()
        self._pending[call_id] = ended
        self._running[child.pid].add(call_id)
        assert child.stdin is not None
        child.stdin.write(json.dumps({"id": call_id, "url": url, "token": token}).encode() + b"\n")
        try:
            await child.stdin.drain()
            return await ended
        finally:
            self._pending.pop(call_id, None)

    async def _read(self, child: asyncio.subprocess.Process) -> None:
        assert child.stdout is not None
        while line := await child.stdout.readline():
            result = json.loads(line)
            self._running[child.pid].discard(result["id"])
            ended = self._pending.get(result["id"])
            if ended is not None and not ended.done():
                ended.set_result((result["latencies"], result["error"]))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Calls still running are abandoned (the bench gave up on them): their processes are
        stopped; otherwise each process ends by itself once its stdin closes."""
        for child in self._children:
            if self._running.get(child.pid):
                child.kill()
            elif child.stdin is not None:
                child.stdin.close()
        for child in self._children:
            try:
                await asyncio.wait_for(child.wait(), 15)
            except TimeoutError:
                logger.warning("caller process did not end", extra={"pid": child.pid})
                child.kill()
                await child.wait()
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, required=True)
    parser.add_argument("--caller", choices=sorted(CALLERS), default="lean")
    parser.add_argument("wavs", type=Path, nargs="+", help="the questions, asked in turn")
    args = parser.parse_args()
    questions = [resample(*read_wav(wav), SAMPLE_RATE) for wav in args.wavs]
    # a process of many callers hears each stream's frames once, as the worker does
    ffi_routing.install()
    asyncio.run(_serve(args.caller, questions, args.turns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
