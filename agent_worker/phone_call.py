"""Ending a phone call from the agent's side."""

from __future__ import annotations

import logging

import aiohttp
from livekit import api as lk

logger = logging.getLogger(__name__)


async def hang_up(livekit: lk.LiveKitAPI, room_name: str) -> None:
    """Remove the call's room: livekit-sip sends the phone a BYE. An agent that merely leaves
    hangs up nothing: the phone stays in the room, in silence, until its maximum duration."""
    try:
        await livekit.room.delete_room(lk.DeleteRoomRequest(room=room_name))
    except (lk.TwirpError, aiohttp.ClientError, TimeoutError) as exc:
        logger.warning("phone not hung up", extra={"error": type(exc).__name__})
