"""Reading a test stack's `call.status` events, and those of its calls' transfers."""

from __future__ import annotations

import asyncio
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


async def transfer_events(stack: Stack, room: str) -> list[dict]:
    """The `call.status` events of a room's transfers (their `transfer`), once the person's
    call has ended (or after 20 s)."""
    events: list[dict] = []
    for _ in range(70):
        events = [e for e in call_events(stack, room) if "transfer" in e]
        person = [e["status"] for e in events if e["transfer"]["leg"] == "person"]
        if person[-1:] in (["completed"], ["busy"], ["no_answer"], ["failed"]):
            break
        await asyncio.sleep(0.3)
    return events


def steps_and_person(events: list[dict]) -> tuple[list[str], list[str]]:
    """The caller's transfer steps and the statuses of the person's call, of one transfer."""
    assert len({e["transfer"]["id"] for e in events}) == 1, events
    assert all(e["transfer"]["mode"] == "warm" for e in events), events
    steps = [e["transfer"]["step"] for e in events if e["transfer"]["leg"] == "caller"]
    return steps, [e["status"] for e in events if e["transfer"]["leg"] == "person"]


def assert_bridged_until_hang_up(system: list[str], events: list[dict], *, hung_up: str) -> None:
    """A warm transfer that bridged caller and person, until `hung_up` ("the caller", "the
    person") hung up: the transcript's last system lines and the transfer's events say so."""
    assert system[-2:] == [
        "Call transferred (warm): caller and person connected",
        f"Transferred call ended: {hung_up} hung up",
    ], system
    steps, person = steps_and_person(events)
    assert steps == ["on_hold", "briefing", "bridged"], events
    assert person == ["initiating", "ringing", "in_progress", "completed"], events
