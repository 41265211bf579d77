"""Writing events: in the caller's transaction, with their channel sequence numbers.

A service that changes state calls `record` before it commits; the event exists if and only
if the change does. The commit then wakes this process's relay (see `wake_relay_on_commit`),
so an event usually leaves within milliseconds instead of at the relay's next poll.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlmodel import col

from api.events.catalogue import counted_on_write
from api.events.models import Event, EventChannel
from api.ids import new_id
from kb.utc import iso_utc as iso_utc  # re-exported for the event writers
from kb.utc import utcnow

_WRITTEN = "voxroom.events_written"
_UNNUMBERED = "voxroom.events_unnumbered"
WAKE_RELAY = "voxroom.wake_relay"
"""Key of the session factory's `info` holding the relay's wake-up callable."""


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event as subscribers and the monitor see it (a plain value, not a table row)."""

    id: str
    project_id: str
    event_type: str
    data: dict[str, Any]
    created_at: datetime
    session_id: str | None = None
    room_name: str | None = None
    rooms_seq: int | None = None
    room_seq: int | None = None
    session_seq: int | None = None

    @property
    def timestamp(self) -> str:
        return iso_utc(self.created_at)

    def body(self) -> dict[str, Any]:
        """The event's wire body, as webhooks deliver it (API.md)."""
        return {
            "id": self.id,
            "event_type": self.event_type,
            "project_id": self.project_id,
            "timestamp": self.timestamp,
            "data": self.data,
        }

    @classmethod
    def of(cls, row: Event | Mapping[Any, Any]) -> EventRecord:
        values = row.model_dump() if isinstance(row, Event) else dict(row)
        return cls(**{name: values[name] for name in cls.__dataclass_fields__})


def _bump(dialect_name: str, project_id: str, channel: str, count: int) -> Any:
    """One statement that creates or bumps a channel's counter by `count`, returning its last
    number. On Postgres the row stays locked until commit, so a channel's numbers commit in the
    order they are given: whoever sees number N committed can read every number below it."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return (
        dialect.insert(EventChannel)
        .values(project_id=project_id, channel=channel, last_seq=count)
        .on_conflict_do_update(
            index_elements=["project_id", "channel"],
            set_={"last_seq": col(EventChannel.last_seq) + count},
        )
        .returning(col(EventChannel.last_seq))
    )


async def next_seq(session: AsyncSession, project_id: str, channel: str, count: int = 1) -> int:
    """Take `count` numbers of a channel; returns the last of them."""
    # Through the session's connection: the same transaction, on SQLAlchemy's and SQLModel's
    # sessions alike (kb's store uses the former).
    connection = await session.connection()
    statement = _bump(connection.dialect.name, project_id, channel, count)
    return int((await connection.execute(statement)).scalar_one())


def _new_event(
    project_id: str,
    event_type: str,
    data: Mapping[str, Any],
    session_id: str | None,
    room_name: str | None,
    dedupe_key: str | None,
) -> Event:
    return Event(
        id=new_id("evt"),
        project_id=project_id,
        event_type=event_type,
        data=dict(data),
        session_id=session_id,
        room_name=room_name,
        dedupe_key=dedupe_key,
        created_at=utcnow(),
    )


async def record(
    session: AsyncSession,
    project_id: str,
    event_type: str,
    data: Mapping[str, Any],
    *,
    session_id: str | None = None,
    room_name: str | None = None,
    dedupe_key: str | None = None,
) -> Event:
    """Add an event to the caller's transaction (committed or rolled back with it).

    Its room and session numbers are given when the session flushes (`_number_on_flush`).
    """
    row = _new_event(project_id, event_type, data, session_id, room_name, dedupe_key)
    session.add(row)
    session.info.setdefault(_UNNUMBERED, []).append(row)
    session.info[_WRITTEN] = True
    return row


def _number(connection: Connection, rows: Sequence[Event]) -> None:
    """Give `rows` their room and session numbers: one counter bump per channel for all of
    them, in the order they were recorded. Channels are bumped in name order, so two
    transactions never lock two counters in opposite orders."""
    by_channel: dict[tuple[str, str], list[Event]] = {}
    for row in rows:
        for channel in counted_on_write(row.room_name, row.session_id):
            by_channel.setdefault((row.project_id, channel), []).append(row)
    for (project_id, channel), members in sorted(by_channel.items()):
        statement = _bump(connection.dialect.name, project_id, channel, len(members))
        last = int(connection.execute(statement).scalar_one())
        column = "room_seq" if channel.startswith("room:") else "session_seq"
        for seq, row in enumerate(members, start=last - len(members) + 1):
            setattr(row, column, seq)


@sa_event.listens_for(Session, "before_flush")
def _number_on_flush(session: Session, *_: object) -> None:
    """Number the events added since the last flush (a worker report of 50 turns takes 2
    statements, not 100)."""
    rows: list[Event] = session.info.pop(_UNNUMBERED, [])
    if any(counted_on_write(row.room_name, row.session_id) for row in rows):
        _number(session.connection(), rows)


async def record_once(
    session: AsyncSession,
    project_id: str,
    event_type: str,
    data: Mapping[str, Any],
    *,
    dedupe_key: str,
    session_id: str | None = None,
    room_name: str | None = None,
) -> Event | None:
    """`record`, unless an event with this dedupe key exists already (then None).

    One INSERT ... ON CONFLICT DO NOTHING, not a savepoint that catches the IntegrityError:
    on SQLite, whose driver opens a transaction only at the first write, a savepoint that is
    the transaction's first write opens it itself and its release commits the event, so what
    the caller writes next would no longer be atomic with it (see `api.db.insert_unless_present`).
    The event takes its channel numbers only once it is known to be new: a duplicate leaves no
    gap in a channel's sequence.
    """
    # Events recorded before this one in the transaction take their numbers first.
    await session.flush()
    row = _new_event(project_id, event_type, data, session_id, room_name, dedupe_key)
    connection = await session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(Event)
        .values(**row.model_dump())
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(col(Event.id))
    )
    if (await connection.execute(statement)).first() is None:
        return None
    # Now a row of the session like any other: its numbers are written at the next flush.
    make_transient_to_detached(row)
    session.add(row)
    await session.run_sync(lambda sync_session: _number(sync_session.connection(), [row]))
    session.info[_WRITTEN] = True
    return row


@sa_event.listens_for(Session, "after_commit")
def wake_relay_on_commit(session: Session) -> None:
    """After a commit that wrote events, wake the relay of the factory the session came from."""
    if session.info.pop(_WRITTEN, False):
        wake: Callable[[], None] | None = session.info.get(WAKE_RELAY)
        if wake is not None:
            wake()


@sa_event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    session.info.pop(_UNNUMBERED, None)
