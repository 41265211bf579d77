from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter
from pydantic import ConfigDict, Field

from api.schemas import RequestBody, ResponseBody

ROOM_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
IDENTITY_PATTERN = r"^[^\s/][^/]{0,127}$"

ParticipantIdentity = Annotated[
    str, PathParameter(description="The participant's identity, as its token named it")
]


class RoomCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "front-desk", "empty_timeout": 300}]}
    )

    name: str = Field(pattern=ROOM_NAME_PATTERN, description="Room name, without project prefix")
    empty_timeout: int = Field(default=300, ge=0, le=86_400)
    """Seconds LiveKit keeps the room open once nobody is in it."""
    max_participants: int = Field(default=0, ge=0, le=1000)
    """Most participants at once; 0 is no limit."""
    metadata: str = Field(default="", max_length=4096)
    """Free text (often JSON) every participant can read."""


class TrackRead(ResponseBody):
    """A media track a participant publishes."""

    sid: str
    """LiveKit's track id (`TR_...`)."""
    name: str
    """The name the publisher gave it."""
    type: str
    """`AUDIO`, `VIDEO` or `DATA`."""
    source: str
    """`MICROPHONE`, `CAMERA`, `SCREEN_SHARE`, `SCREEN_SHARE_AUDIO` or `UNKNOWN`."""
    muted: bool
    """Whether it is muted."""


class ParticipantRead(ResponseBody):
    """Someone (or an agent) in a room, as LiveKit reports them."""

    sid: str
    """LiveKit's participant id (`PA_...`)."""
    identity: str
    """The identity its token named (`POST /token`'s `identity`)."""
    name: str
    """Display name; empty if none."""
    state: str
    """`JOINING`, `JOINED`, `ACTIVE` or `DISCONNECTED`."""
    kind: str
    """`STANDARD` for people, `AGENT` for agents, `SIP` for phone callers, and so on."""
    joinedAt: int
    """When it joined (Unix seconds)."""
    tracks: list[TrackRead]
    """The tracks it publishes."""


class RoomRead(ResponseBody):
    """A live LiveKit room of the project."""

    name: str
    """The room's name, without the project prefix."""
    fullName: str
    """Its name in LiveKit, with the project prefix (sessions' `room_name`)."""
    sid: str
    """LiveKit's room id (`RM_...`)."""
    emptyTimeout: int
    """Seconds LiveKit keeps the room open once nobody is in it."""
    maxParticipants: int
    """Most participants at once; 0 is no limit."""
    numParticipants: int
    """Participants in it now."""
    creationTime: int
    """When it was created (Unix seconds)."""
    metadata: str
    """The room's metadata (free text)."""
    status: str = "active"
    """Always `active`: only live rooms are listed."""


class RoomEnvelope(ResponseBody):
    success: bool = True
    """Always true; failures are error responses."""
    room: RoomRead
    """The room."""


class RoomDetail(RoomRead):
    participants: list[ParticipantRead]
    """Who is in the room now."""


class RoomDetailEnvelope(ResponseBody):
    room: RoomDetail
    """The room, with its participants."""


class RoomList(ResponseBody):
    rooms: list[RoomRead]
    """The project's live rooms."""
    total: int
    """How many there are."""


class ParticipantList(ResponseBody):
    participants: list[ParticipantRead]
    """Who is in the room now."""


class ActionResult(ResponseBody):
    success: bool = True
    """Always true; failures are error responses."""
    message: str
    """What was done."""
