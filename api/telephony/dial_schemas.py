"""`POST /sip/dial` bodies, as msgspec structs (the idempotency helper stores and replays
msgspec responses)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from api.rooms.schemas import ROOM_NAME_PATTERN

E164 = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^\+[1-9][0-9]{1,14}$",
        description="A phone number in E.164 form, e.g. +14155550123",
        examples=["+14155550123"],
    ),
]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class DialRequest(msgspec.Struct, forbid_unknown_fields=True):
    phone_number: E164
    agent_config_id: Id | None = None
    """The agent that talks to the callee; none: the room only (e.g. for a human)."""
    trunk_id: Id | None = None
    """Needed only when the project has several outbound trunks."""
    caller_id: E164 | None = None
    """One of the trunk's numbers; its first number by default."""
    room_name: Annotated[str, msgspec.Meta(pattern=ROOM_NAME_PATTERN)] | None = None
    max_duration: Annotated[int, msgspec.Meta(ge=10, le=3600, description="Seconds")] = 1800


class DialedCall(msgspec.Struct):
    id: str
    room_name: str
    full_room_name: str
    phone_number: str
    caller_id: str
    trunk_id: str
    session_id: str | None
    sip_participant_id: str | None
    status: str


class DialResponse(msgspec.Struct, rename={"ws_url": "wsUrl"}):
    call: DialedCall
    token: str
    """A 10-minute token to join the call's room (listen and speak), e.g. for a supervisor."""
    ws_url: str
