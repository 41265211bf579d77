"""A worker's load is its calls over its capacity: full at capacity, open below it."""

from __future__ import annotations

import pytest

from agent_worker.capacity import Heartbeat
from agent_worker.worker import load_threshold

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("capacity", [1, 2, 3, 7, 8, 10, 100, 1000])
def test_a_worker_refuses_only_when_every_slot_is_taken(capacity: int) -> None:
    threshold = load_threshold(capacity)
    # livekit-agents refuses when load (plus slots it has promised) >= threshold.
    assert (capacity - 1) / capacity < threshold
    assert capacity / capacity >= threshold
    # LiveKit offers a job only below agents.target_load 1.0: a worker with room is offered.
    assert (capacity - 1) / capacity < 1.0


def test_heartbeat_round_trips_and_never_shows_negative_room() -> None:
    beat = Heartbeat(active=3, capacity=8)
    assert Heartbeat.decode(beat.encode()) == beat
    assert beat.free == 5
    # A worker whose capacity was lowered under its running calls has no room, not less.
    assert Heartbeat(active=5, capacity=2).free == 0
