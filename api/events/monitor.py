"""The monitor: live events of a project's rooms and sessions, per channel, with replay.

Every replica's relay publishes each event on Redis (`vx:events:<project_id>`); one
`MonitorHub` per process listens there and hands each event to this process's connections of
that project. A connection numbers nothing itself: `seq` is the event's place in the channel,
given in the event's own transaction or, for `rooms`, by the relay (see `outbox`), so a
subscriber can ask for what it missed (`since`) and a gap (two relays publishing out of
order) is filled from the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.events.catalogue import ROOMS_CHANNEL, room_channel, session_channel
from api.events.models import Event, EventChannel
from api.events.outbox import EventRecord
from api.events.relay import MONITOR_PREFIX
from api.rooms.naming import project_room_name

logger = logging.getLogger(__name__)

QUEUE_SIZE = 1000
"""Messages a connection may fall behind before it is closed (it reconnects with `since`)."""
REPLAY_PAGE = 500
MAX_CHANNELS = 100
"""Channels one connection may hold at once."""


class ChannelError(ValueError):
    """A channel name the monitor does not know."""


@dataclass(frozen=True, slots=True)
class Channel:
    """A subscribed channel: the name the client used and where its events are found."""

    name: str
    """As the client wrote it (`rooms`, `room:<name>`, `session:<id>`)."""
    key: str
    """Internal name: the counter's channel (`room:<full room name>`)."""
    column: str
    """The Event column holding this channel's sequence numbers."""
    match: str | None = None
    """The room name or session id events of the channel carry."""

    def seq_of(self, message: dict[str, Any]) -> int | None:
        if self.column == "room_seq" and message.get("room_name") != self.match:
            return None
        if self.column == "session_seq" and message.get("session_id") != self.match:
            return None
        seq = message.get(self.column)
        return int(seq) if seq is not None else None


def parse_channel(name: object, room_prefix: str) -> Channel:
    if not isinstance(name, str) or not name or len(name) > 200:
        raise ChannelError("channel must be rooms, room:<name> or session:<id>")
    if name == ROOMS_CHANNEL:
        return Channel(name, ROOMS_CHANNEL, "rooms_seq")
    kind, _, value = name.partition(":")
    if kind == "room" and value:
        full = project_room_name(room_prefix, value)
        return Channel(name, room_channel(full), "room_seq", full)
    if kind == "session" and value:
        return Channel(name, session_channel(value), "session_seq", value)
    raise ChannelError("channel must be rooms, room:<name> or session:<id>")


def server_message(channel: Channel, seq: int, event: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": event["event_type"],
        "channel": channel.name,
        "seq": seq,
        "data": event["data"],
        "timestamp": event["timestamp"],
    }


class MonitorHub:
    """This process's one Redis subscription, fanned out to its monitor connections."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._pubsub = redis.pubsub(ignore_subscribe_messages=True)

    def register(self, project_id: str) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._queues.setdefault(project_id, set()).add(queue)
        return queue

    def unregister(self, project_id: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        queues = self._queues.get(project_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._queues[project_id]

    async def run_pass(self, listen_s: float = 1.0) -> None:
        """Forward what Redis delivers for up to `listen_s` (a periodic job with interval 0)."""
        if not self._pubsub.subscribed:
            await self._pubsub.psubscribe(MONITOR_PREFIX + "*")
        loop = asyncio.get_running_loop()
        until = loop.time() + listen_s
        while (left := until - loop.time()) > 0:
            message = await self._pubsub.get_message(timeout=left)
            if message is None or message.get("type") != "pmessage":
                continue
            event = json.loads(message["data"])
            for queue in list(self._queues.get(event["project_id"], ())):
                try:
                    queue.put_nowait({"kind": "event", "event": event})
                except asyncio.QueueFull:
                    logger.warning("monitor connection fell behind")
                    # Make room for the notice that ends this connection.
                    queue.get_nowait()
                    queue.put_nowait({"kind": "overflow"})

    async def aclose(self) -> None:
        await self._pubsub.aclose()


Send = Callable[[dict[str, Any]], Any]


@dataclass
class MonitorConnection:
    """One client's subscriptions; every message passes through one queue, in order."""

    project_id: str
    room_prefix: str
    sessions: async_sessionmaker[AsyncSession]
    send: Send
    channels: dict[str, Channel] = field(default_factory=dict)
    last_seq: dict[str, int] = field(default_factory=dict)

    async def handle_client(self, message: object) -> None:
        if not isinstance(message, dict) or message.get("action") not in (
            "subscribe",
            "unsubscribe",
        ):
            await self._error('messages are {"action": "subscribe"|"unsubscribe", "channel"}')
            return
        try:
            channel = parse_channel(message.get("channel"), self.room_prefix)
        except ChannelError as exc:
            await self._error(str(exc))
            return
        if message["action"] == "unsubscribe":
            self.channels.pop(channel.name, None)
            self.last_seq.pop(channel.name, None)
            await self.send({"type": "unsubscribed", "channel": channel.name})
            return
        since = message.get("since")
        if since is not None and (
            not isinstance(since, int) or isinstance(since, bool) or since < 0
        ):
            await self._error("since must be a non-negative integer")
            return
        if channel.name not in self.channels and len(self.channels) >= MAX_CHANNELS:
            await self._error(f"at most {MAX_CHANNELS} channels per connection")
            return
        self.channels[channel.name] = channel
        current = await self._current_seq(channel)
        start = current if since is None else min(since, current)
        self.last_seq[channel.name] = start
        await self.send({"type": "subscribed", "channel": channel.name, "seq": current})
        await self._catch_up(channel, current)

    async def handle_event(self, event: dict[str, Any]) -> None:
        for channel in list(self.channels.values()):
            seq = channel.seq_of(event)
            if seq is None or seq <= self.last_seq[channel.name]:
                continue
            # Relays of two replicas may publish out of order: fetch what came before.
            await self._catch_up(channel, seq - 1)
            if seq == self.last_seq[channel.name] + 1:
                await self.send(server_message(channel, seq, event))
                self.last_seq[channel.name] = seq

    async def _catch_up(self, channel: Channel, upto: int) -> None:
        while self.last_seq[channel.name] < upto:
            rows = await self._replay(channel, self.last_seq[channel.name], upto)
            if not rows:
                return
            for seq, record in rows:
                await self.send(server_message(channel, seq, record.body()))
                self.last_seq[channel.name] = seq

    async def _replay(
        self, channel: Channel, after: int, upto: int
    ) -> list[tuple[int, EventRecord]]:
        seq_column = col(getattr(Event, channel.column))
        statement = (
            select(Event)
            .where(Event.project_id == self.project_id, seq_column > after, seq_column <= upto)
            .order_by(seq_column)
            .limit(REPLAY_PAGE)
        )
        if channel.column == "room_seq":
            statement = statement.where(Event.room_name == channel.match)
        elif channel.column == "session_seq":
            statement = statement.where(Event.session_id == channel.match)
        async with self.sessions() as session:
            rows = (await session.exec(statement)).all()
        return [(int(getattr(row, channel.column)), EventRecord.of(row)) for row in rows]

    async def _current_seq(self, channel: Channel) -> int:
        async with self.sessions() as session:
            last = (
                await session.exec(
                    select(EventChannel.last_seq).where(
                        EventChannel.project_id == self.project_id,
                        EventChannel.channel == channel.key,
                    )
                )
            ).first()
        return int(last or 0)

    async def _error(self, text: str) -> None:
        await self.send({"type": "error", "error": text, "code": "INVALID_REQUEST"})
