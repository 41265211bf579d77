"""Reading a test stack's `call.status` events."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

from tests.stack import Stack


def call_events(stack: Stack, room_name: str) -> list[dict]:
    """The data of the `call.status` events written for a room, in order (read from the
    stack's database: the same rows webhooks and the monitor deliver)."""
    with closing(sqlite3.connect(stack.workdir / "voxroom.db")) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE event_type = 'call.status' AND room_name = ? "
            "ORDER BY created_at, room_seq",
            (room_name,),
        ).fetchall()
    return [json.loads(data) for (data,) in rows]


def call_statuses(stack: Stack, room_name: str) -> list[str]:
    """The statuses of the `call.status` events written for a room, in order."""
    return [event["status"] for event in call_events(stack, room_name)]
