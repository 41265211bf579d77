"""A job stopped while its agent joins the room: the join is seen through, then the stop wins.

Against a real livekit-server: a join abandoned between LiveKit's ConnectCallback and the SDK's
ReadyForRoomEventRequest makes livekit's FFI panic and drained the whole worker.
"""

from __future__ import annotations

import asyncio

import pytest
from livekit import api, rtc

from agent_worker.room_connect import see_through
from tests.services import LiveKit

pytestmark = pytest.mark.integration


def _token(lk: LiveKit, room: str, identity: str) -> str:
    grants = api.VideoGrants(room_join=True, room=room)
    return (
        api.AccessToken(lk.api_key, lk.api_secret)
        .with_identity(identity)
        .with_grants(grants)
        .to_jwt()
    )


async def test_a_join_cancelled_midway_completes_before_the_cancellation(
    livekit: LiveKit,
) -> None:
    async with api.LiveKitAPI(livekit.url, livekit.api_key, livekit.api_secret) as lkapi:
        await lkapi.room.create_room(api.CreateRoomRequest(name="joining"))
    room = rtc.Room()
    url = livekit.url.replace("http://", "ws://")
    token = _token(livekit, "joining", "agent")
    joining = asyncio.create_task(see_through(lambda: room.connect(url, token)))
    await asyncio.sleep(0.01)  # the join request is with the FFI, its answer is not back yet
    assert not room.isconnected()
    joining.cancel()
    with pytest.raises(asyncio.CancelledError):
        await joining
    try:
        assert room.isconnected()
    finally:
        await room.disconnect()


async def test_a_failed_join_raises_its_own_error(livekit: LiveKit) -> None:
    room = rtc.Room()
    url = livekit.url.replace("http://", "ws://")
    with pytest.raises(rtc.ConnectError):
        await see_through(lambda: room.connect(url, "not-a-token"))
