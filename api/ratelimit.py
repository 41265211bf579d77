"""Per-key request budgets, enforced by one atomic Lua script in Redis.

The script sits on every request's path, so its calls are made cheap two ways (measured in
bench/token_throughput.py's notes): requests that arrive together share one call (group
commit: while one call is in flight, new charges queue up and go together in the next one,
sent as soon as the first returns), and the calls go over one dedicated connection with
redis-py's low-level `send_packed_command`/`read_response` (the command packed by hiredis),
which costs a fraction of a pooled client call.
Each request is still counted exactly, in order, inside the script; an idle server answers
each request in one round trip.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import hiredis
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import NoScriptError

_SCRIPT = resources.files("api").joinpath("ratelimit.lua").read_text()
_SCRIPT_SHA = hashlib.sha1(_SCRIPT.encode(), usedforsecurity=False).hexdigest()  # Redis script id
_FIELDS = 6
"""Values the script returns per charged request."""


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_epoch_s: int
    retry_after_s: int

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The budget headers, as an ASGI response carries them (`Retry-After` on a refusal)."""
        headers = [
            (b"x-ratelimit-limit", b"%d" % self.limit),
            (b"x-ratelimit-remaining", b"%d" % self.remaining),
            (b"x-ratelimit-reset", b"%d" % self.reset_epoch_s),
        ]
        if not self.allowed:
            headers.append((b"retry-after", b"%d" % self.retry_after_s))
        return headers


@dataclass(slots=True)
class _Charge:
    bucket: str
    cache_key: str
    limit: int
    result: asyncio.Future[list[Any]]


class RateLimiter:
    def __init__(self, redis: Redis, plan_limits: dict[str, int], window_s: int = 60) -> None:
        self._redis = redis
        self._connection: AbstractConnection | None = None
        self._window_s = window_s
        self._plan_limits = json.dumps(plan_limits)
        self._pending: list[_Charge] = []
        self._busy = False
        """A flush is scheduled or a call is in flight; it sends what queues up meanwhile."""
        self._flushes: set[asyncio.Task[None]] = set()

    @staticmethod
    def _decision(result: list[Any]) -> RateDecision:
        # The script returns the header values ready to use (whole seconds, floored at 0/1).
        allowed, remaining, reset_epoch_s, retry_after_s, limit = result[:5]
        return RateDecision(allowed == 1, limit, remaining, reset_epoch_s, retry_after_s)

    async def _charge(self, bucket: str, cache_key: str, limit: int) -> list[Any]:
        loop = asyncio.get_running_loop()
        charge = _Charge(f"vx:rl:{bucket}", cache_key, limit, loop.create_future())
        self._pending.append(charge)
        if not self._busy:
            self._busy = True
            loop.call_soon(self._flush)
        return await charge.result

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.create_task(self._run(batch))
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _run(self, batch: list[_Charge]) -> None:
        keys = [key for charge in batch for key in (charge.bucket, charge.cache_key)]
        args: list[int | str] = [self._window_s, self._plan_limits, *(c.limit for c in batch)]
        try:
            flat = await self._call(keys, args)
        except asyncio.CancelledError:
            for charge in batch:
                charge.result.cancel()
            raise
        except Exception as exc:
            for charge in batch:
                if not charge.result.done():
                    charge.result.set_exception(exc)
            return
        finally:
            # What queued up meanwhile goes now, in one call.
            if self._pending:
                self._flush()
            else:
                self._busy = False
        for i, charge in enumerate(batch):
            if not charge.result.done():
                charge.result.set_result(flat[i * _FIELDS : (i + 1) * _FIELDS])

    async def _call(self, keys: list[str], args: list[int | str]) -> list[Any]:
        """One EVALSHA on the dedicated connection (only ever one call in flight)."""
        if self._connection is None:
            self._connection = self._redis.connection_pool.make_connection()
        connection = self._connection
        try:
            # hiredis packs the arguments in C, cheaper than redis-py's packing in Python.
            command = ("EVALSHA", _SCRIPT_SHA, len(keys), *keys, *args)
            evalsha = hiredis.pack_command(command)  # type: ignore[arg-type]  # stub types a 1-tuple
            await connection.send_packed_command(evalsha)
            try:
                result: list[Any] = await connection.read_response()
            except NoScriptError:
                await connection.send_command("SCRIPT", "LOAD", _SCRIPT)
                await connection.read_response()
                await connection.send_packed_command(evalsha)
                result = await connection.read_response()
        except BaseException:
            # A broken or interrupted exchange leaves the stream unusable: start afresh.
            self._connection = None
            await connection.disconnect()
            raise
        return result

    async def aclose(self) -> None:
        if self._connection is not None:
            await self._connection.disconnect()
            self._connection = None

    async def hit(self, bucket: str, limit: int) -> RateDecision:
        return self._decision(await self._charge(bucket, "", limit))

    async def hit_cached_key(
        self, bucket: str, cache_key: str, default_limit: int
    ) -> tuple[RateDecision, str] | None:
        """Charge an API key's budget in the same round trip that reads its cached principal.

        Returns None (and charges nothing) when the principal is not cached.
        """
        result = await self._charge(bucket, cache_key, default_limit)
        if result[0] == -1:
            return None
        return self._decision(result), str(result[5])
