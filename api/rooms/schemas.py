from __future__ import annotations

from typing import Annotated, Any

from litestar.params import PathParameter
from pydantic import ConfigDict, Field, model_validator

from api.schemas import WHITESPACE, RequestBody, ResponseBody

ROOM_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
IDENTITY_PATTERN = f"^[^{WHITESPACE}/\x00][^/\x00]{{0,127}}$"

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


MAX_DATA_BYTES = 15_000
"""Largest payload sent in one data packet (LiveKit's reliable packets stay below 15 KiB)."""
TRACK_SID_PATTERN = r"^TR_[A-Za-z0-9]{1,64}$"
ParticipantIdentityValue = Annotated[str, Field(pattern=IDENTITY_PATTERN)]


def absent_unless_sent(**constraints: Any) -> Any:
    """An optional field that may not be `null`: absent means "leave as it is"."""
    return Field(default=None, **constraints)


class SendData(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"data": "Hello everyone", "topic": "chat"},
                {"data": {"kind": "note", "text": "Only you"}, "destination_identities": ["user1"]},
            ]
        }
    )

    data: Annotated[str, Field(min_length=1, max_length=MAX_DATA_BYTES)] | dict[str, Any]
    """The payload: a string is sent as its UTF-8 bytes, an object as its JSON (at most
    15 000 bytes either way)."""
    destination_identities: list[ParticipantIdentityValue] = Field(
        default_factory=list, max_length=100
    )
    """Only these participants receive it; empty or omitted sends it to everyone."""
    topic: str = absent_unless_sent(min_length=1, max_length=128)
    """The topic receivers filter on (`data_received`'s `topic`)."""


class ParticipantPermissionUpdate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"minProperties": 1, "examples": [{"canPublish": False}]}
    )

    canPublish: bool = absent_unless_sent()
    """Whether it may publish audio and video tracks."""
    canSubscribe: bool = absent_unless_sent()
    """Whether it may receive others' tracks."""
    canPublishData: bool = absent_unless_sent()
    """Whether it may send data packets."""

    @model_validator(mode="after")
    def _not_empty(self) -> ParticipantPermissionUpdate:
        if not self.model_fields_set:
            raise ValueError("name at least one permission")
        return self


class ParticipantUpdate(RequestBody):
    """At least one of `metadata`, `permission` and `name`; the permissions not named keep
    their current value."""

    model_config = ConfigDict(
        json_schema_extra={
            "minProperties": 1,
            "examples": [{"permission": {"canPublish": False}}, {"name": "Front desk"}],
        }
    )

    metadata: str = absent_unless_sent(max_length=4096)
    """New metadata (free text, often JSON) every participant can read."""
    permission: ParticipantPermissionUpdate = absent_unless_sent()
    """Permissions to change."""
    name: str = absent_unless_sent(min_length=1, max_length=128)
    """New display name."""

    @model_validator(mode="after")
    def _not_empty(self) -> ParticipantUpdate:
        if not self.model_fields_set:
            raise ValueError("give at least one of metadata, permission and name")
        return self


class MuteRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"muted": True}, {"muted": False, "track_sid": "TR_abc"}]}
    )

    muted: bool
    """True mutes the track, false unmutes it (unmuting needs LiveKit's
    `room.enable_remote_unmute`)."""
    track_sid: str = absent_unless_sent(pattern=TRACK_SID_PATTERN)
    """The track (`TR_...`); omitted, the participant's first audio track."""


class ParticipantEnvelope(ResponseBody):
    success: bool = True
    """Always true; failures are error responses."""
    participant: ParticipantRead
    """The participant as LiveKit reports it after the change."""


class MuteResult(ResponseBody):
    success: bool = True
    """Always true; failures are error responses."""
    identity: str
    """The participant."""
    track: TrackRead
    """The track as LiveKit reports it after the change."""
