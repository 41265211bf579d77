"""Worker heartbeats in Redis: how the control plane knows whether any worker has room.

The wire contract shared by both sides: each worker keeps the key `HEARTBEAT_PREFIX +
worker_id` holding `Heartbeat` as JSON, refreshed every HEARTBEAT_INTERVAL_S with a TTL of
HEARTBEAT_TTL_S, so a worker that dies stops counting within seconds and a draining one
removes its key at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

from livekit.agents import AgentServer
from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

HEARTBEAT_PREFIX = "voxroom:worker:"
HEARTBEAT_INTERVAL_S = 1.0
HEARTBEAT_TTL_S = 5


@dataclass(frozen=True)
class Heartbeat:
    active: int
    capacity: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.active)

    def encode(self) -> str:
        return json.dumps({"active": self.active, "capacity": self.capacity})

    @classmethod
    def decode(cls, raw: bytes | str) -> Heartbeat:
        fields = json.loads(raw)
        return cls(active=int(fields["active"]), capacity=int(fields["capacity"]))


class WorkerPresence:
    """This worker as others see it: registered with LiveKit, and (with Redis) its heartbeat.

    `ready` turns true once LiveKit accepted the worker and its first heartbeat is written:
    from then on the control plane counts it and LiveKit routes calls to it.
    """

    def __init__(self, server: AgentServer, capacity: int, redis: Redis | None) -> None:
        self._server = server
        self.capacity = capacity
        self._redis = redis
        self.worker_id: str | None = None
        self.ready = False
        self._offering = True
        self._registered = asyncio.Event()
        server.on("worker_registered", self._on_registered)

    def _on_registered(self, worker_id: str, _server_info: object) -> None:
        self.worker_id = worker_id
        self._registered.set()

    def heartbeat(self) -> Heartbeat:
        return Heartbeat(active=len(self._server.active_jobs), capacity=self.capacity)

    async def run(self) -> None:
        """Keep the heartbeat fresh until cancelled."""
        await self._registered.wait()
        while self._offering:
            await self._beat()
            await asyncio.sleep(HEARTBEAT_INTERVAL_S)

    async def _beat(self) -> None:
        if self._redis is not None:
            try:
                await self._redis.set(self._key(), self.heartbeat().encode(), ex=HEARTBEAT_TTL_S)
            except RedisError:
                # The control plane then stops counting this worker; LiveKit still routes to it.
                logger.warning("worker heartbeat not written", exc_info=True)
                return
        self.ready = True

    async def withdraw(self) -> None:
        """Stop offering room (drain or shutdown): the control plane stops counting us."""
        self._offering = False
        if self._redis is not None and self.worker_id is not None:
            try:
                await self._redis.delete(self._key())
            except RedisError:
                logger.warning("worker heartbeat not removed; it expires", exc_info=True)

    def _key(self) -> str:
        return f"{HEARTBEAT_PREFIX}{self.worker_id}"
