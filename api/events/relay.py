"""The relay: takes committed events out of the outbox, once each, and hands them on.

For a batch of unrelayed events it, in one transaction: claims them (Postgres: `FOR UPDATE
SKIP LOCKED`, so replicas split the backlog instead of waiting on each other; SQLite: the
claiming UPDATE takes the database's single write lock), numbers the room events in the
project's `rooms` channel, calls every subscriber with the batch and the transaction, and
marks them relayed. Subscribers therefore write their own rows
(webhook deliveries, usage) atomically with the mark: a crash before the commit leaves the
events unrelayed for the next pass, so nothing is lost and nothing is half-done. After the
commit it publishes the batch to Redis for the monitor WebSockets of every replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta

from redis.asyncio import Redis
from sqlalchemy import bindparam, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from api.db import utcnow
from api.events.catalogue import ROOMS_CHANNEL
from api.events.models import Event, EventChannel
from api.events.outbox import WAKE_RELAY, EventRecord, next_seq
from api.sessions.models import CallSession

logger = logging.getLogger(__name__)

EventSubscriber = Callable[[AsyncSession, Sequence[EventRecord]], Awaitable[None]]
"""`async def on_events(session, events)`: called once per relayed batch, inside the
transaction that marks the batch relayed. Write with `session`, never commit it; raise to
have the whole batch retried later."""

MONITOR_PREFIX = "vx:events:"
"""Redis pub/sub channel prefix; one channel per project (`vx:events:<project_id>`)."""


MAX_BACKOFF_S = 300.0
"""Longest wait between relays of an event a subscriber keeps refusing."""
RETENTION = timedelta(days=7)
"""How long relayed events stay for the monitor's replay (API.md asks 15 minutes at least)."""


async def _number_rooms_channel(
    session: AsyncSession, records: list[EventRecord]
) -> list[EventRecord]:
    """Give the batch's room events their `rooms` numbers, in creation order: one counter
    bump per project (held until this transaction commits, so relays of two replicas number
    a project's batches one after the other)."""
    by_project: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        if record.room_name:
            by_project.setdefault(record.project_id, []).append(index)
    numbered = list(records)
    updates: list[dict[str, object]] = []
    for project_id in sorted(by_project):
        indexes = by_project[project_id]
        last = await next_seq(session, project_id, ROOMS_CHANNEL, len(indexes))
        for seq, index in enumerate(indexes, start=last - len(indexes) + 1):
            numbered[index] = replace(records[index], rooms_seq=seq)
            updates.append({"event_id": records[index].id, "seq": seq})
    if updates:
        table = Event.__table__  # type: ignore[attr-defined]
        statement = (
            update(table)
            .where(table.c.id == bindparam("event_id"))
            .values(rooms_seq=bindparam("seq"))
        )
        connection = await session.connection()
        await connection.execute(statement, updates)
    return numbered


CHANNEL_PURGE_BATCH = 5000
"""Most channel counters one purge pass deletes (the next pass takes the rest)."""


async def purge_idle_channels(session: AsyncSession) -> int:
    """Delete the counters of room and session channels with no event left in the outbox (its
    last one was relayed more than `RETENTION` ago: the session ended, the room finished) and
    no active session; returns how many it found idle.

    An event that comes for such a channel later (a late LiveKit webhook, a room name used
    again) starts it at 1 again. Nothing is lost by that: a monitor client that resubscribes
    with a `since` beyond the channel's number is answered from the current number (none of
    the channel's old events is left to replay anyway); only a connection that stayed
    subscribed to the channel through the whole silence skips the renumbered events up to its
    last seen number. A counter is deleted only if its number is still the one read here, so
    an event numbered in between (its transaction bumped the counter) keeps it.
    """
    channels = EventChannel.__table__  # type: ignore[attr-defined]
    events = Event.__table__  # type: ignore[attr-defined]
    sessions = CallSession.__table__  # type: ignore[attr-defined]
    connection = await session.connection()
    idle: list[dict[str, object]] = []
    for prefix, event_column, session_column in (
        ("room:", events.c.room_name, sessions.c.room_name),
        ("session:", events.c.session_id, sessions.c.id),
    ):
        name = func.substr(channels.c.channel, len(prefix) + 1)
        statement = (
            select(channels.c.project_id, channels.c.channel, channels.c.last_seq)
            .where(
                channels.c.channel.startswith(prefix),
                ~exists().where(events.c.project_id == channels.c.project_id, event_column == name),
                ~exists().where(
                    sessions.c.project_id == channels.c.project_id,
                    session_column == name,
                    sessions.c.status == "active",
                ),
            )
            .limit(CHANNEL_PURGE_BATCH)
        )
        idle += [
            {"project": row.project_id, "name": row.channel, "seq": row.last_seq}
            for row in (await connection.execute(statement)).all()
        ]
    if idle:
        await connection.execute(
            delete(channels).where(
                channels.c.project_id == bindparam("project"),
                channels.c.channel == bindparam("name"),
                channels.c.last_seq == bindparam("seq"),
            ),
            idle,
        )
    await session.commit()
    return len(idle)


class _BatchRefused(Exception):
    def __init__(self, event_ids: list[str]) -> None:
        super().__init__(f"a subscriber refused {len(event_ids)} events")
        self.event_ids = event_ids


def monitor_channel(project_id: str) -> str:
    return MONITOR_PREFIX + project_id


def monitor_message(record: EventRecord) -> str:
    return json.dumps(
        {
            **record.body(),
            "session_id": record.session_id,
            "room_name": record.room_name,
            "rooms_seq": record.rooms_seq,
            "room_seq": record.room_seq,
            "session_seq": record.session_seq,
        }
    )


class EventRelay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis,
        *,
        batch_size: int = 200,
        idle_s: float = 0.5,
    ) -> None:
        self._sessions = sessions
        self._redis = redis
        self._subscribers: list[EventSubscriber] = []
        self._batch_size = batch_size
        self._idle_s = idle_s
        self._wake = asyncio.Event()
        # Commits through this factory that wrote events wake this relay at once.
        sessions.configure(info={WAKE_RELAY: self.wake})

    def subscribe(self, subscriber: EventSubscriber) -> None:
        """Register a subscriber (in the app's lifespan, before the relay job starts)."""
        self._subscribers.append(subscriber)

    def wake(self) -> None:
        self._wake.set()

    async def relay_batch(self) -> int:
        """Relay one batch of pending events; returns how many were relayed.

        When a subscriber refuses the batch, its events are relayed one by one, so a single
        event a subscriber keeps refusing backs off alone instead of holding up the rest.
        """
        try:
            return len(await self._relay())
        except _BatchRefused as refused:
            logger.warning("event batch refused; relaying its events one by one", exc_info=True)
            relayed = 0
            for event_id in refused.event_ids:
                try:
                    relayed += len(await self._relay(event_id))
                except _BatchRefused:
                    logger.exception("event refused; retried later", extra={"event_id": event_id})
                    await self._back_off(event_id)
            return relayed

    async def _relay(self, event_id: str | None = None) -> list[EventRecord]:
        table = Event.__table__  # type: ignore[attr-defined]
        now = utcnow()
        pending = (
            select(table.c.id)
            .where(
                table.c.relayed_at.is_(None),
                or_(table.c.relay_after.is_(None), table.c.relay_after <= now),
            )
            .order_by(table.c.created_at)
            .limit(self._batch_size)
            .with_for_update(skip_locked=True)
        )
        if event_id is not None:
            pending = pending.where(table.c.id == event_id)
        claim = (
            update(table)
            .where(table.c.id.in_(pending.scalar_subquery()))
            .values(relayed_at=now)
            .returning(*table.c)
        )
        async with self._sessions() as session:
            rows = (await session.exec(claim)).mappings().all()
            if not rows:
                await session.rollback()
                return []
            records = sorted((EventRecord.of(row) for row in rows), key=lambda r: r.created_at)
            records = await _number_rooms_channel(session, records)
            try:
                for subscriber in self._subscribers:
                    await subscriber(session, records)
            except Exception as exc:
                raise _BatchRefused([record.id for record in records]) from exc
            await session.commit()
        async with self._redis.pipeline(transaction=False) as pipe:
            for record in records:
                pipe.publish(monitor_channel(record.project_id), monitor_message(record))
            await pipe.execute()
        return records

    async def _back_off(self, event_id: str) -> None:
        table = Event.__table__  # type: ignore[attr-defined]
        async with self._sessions() as session:
            attempts = (
                await session.exec(
                    update(table)
                    .where(table.c.id == event_id)
                    .values(relay_attempts=table.c.relay_attempts + 1)
                    .returning(table.c.relay_attempts)
                )
            ).scalar_one()
            delay_s = min(2.0**attempts, MAX_BACKOFF_S)
            await session.exec(
                update(table)
                .where(table.c.id == event_id)
                .values(relay_after=utcnow() + timedelta(seconds=delay_s))
            )
            await session.commit()

    async def purge(self, older_than: timedelta = RETENTION) -> int:
        """Delete events relayed longer ago than `older_than`, then the counters of the channels
        this left without events (a periodic job); returns how many events went."""
        table = Event.__table__  # type: ignore[attr-defined]
        async with self._sessions() as session:
            result = await session.exec(
                delete(table).where(table.c.relayed_at < utcnow() - older_than)
            )
            await session.commit()
            await purge_idle_channels(session)
        return int(result.rowcount or 0)

    async def run_pass(self) -> None:
        """Relay until the outbox is empty, then wait for a wake-up (or poll after idle_s).

        Run as a periodic job with interval 0: the waiting happens here.
        """
        self._wake.clear()
        while await self.relay_batch() == self._batch_size:
            pass
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._idle_s)
