"""Tables of the event outbox: one row per event, one sequence counter per monitor channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field, SQLModel

from api.db import UtcDateTime, utcnow


class Event(SQLModel, table=True):
    """An event, committed in the transaction of the state change it reports.

    `relayed_at` is the relay state: NULL until a relay has handed the event to every
    subscriber (in the transaction that sets it) and to Redis. The three `*_seq` columns are
    the event's place in the monitor channels it belongs to (`rooms`, `room:<name>`,
    `session:<id>`), so that a channel's replay is one indexed range read. The room and
    session numbers are given in the event's transaction, the `rooms` number when the event
    is relayed (see `catalogue.counted_on_write`).
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_rooms_seq", "project_id", "rooms_seq"),
        Index("ix_events_room_seq", "project_id", "room_name", "room_seq"),
        Index("ix_events_session_seq", "project_id", "session_id", "session_seq"),
        Index(
            "ix_events_unrelayed",
            "created_at",
            postgresql_where=text("relayed_at IS NULL"),
            sqlite_where=text("relayed_at IS NULL"),
        ),
    )

    id: str = Field(primary_key=True, max_length=40)
    project_id: str = Field(foreign_key="projects.id", max_length=40)
    event_type: str = Field(max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    session_id: str | None = Field(default=None, max_length=40)
    room_name: str | None = Field(default=None, max_length=160)
    rooms_seq: int | None = None
    room_seq: int | None = None
    session_seq: int | None = None
    dedupe_key: str | None = Field(default=None, max_length=160, unique=True)
    """Set for events that arrive from outside (LiveKit's event id): one row per delivery."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    relayed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    relay_attempts: int = 0
    """Failed relays of this event on its own (a subscriber kept refusing it)."""
    relay_after: datetime | None = Field(default=None, sa_type=UtcDateTime)
    """Set after a failure: the event waits until then, the others do not wait for it."""


class EventChannel(SQLModel, table=True):
    """The last sequence number given out in one monitor channel of one project."""

    __tablename__ = "event_channels"

    project_id: str = Field(primary_key=True, max_length=40)
    channel: str = Field(primary_key=True, max_length=200)
    last_seq: int = 0
