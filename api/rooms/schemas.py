from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import RequestBody

ROOM_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
IDENTITY_PATTERN = r"^[^\s/][^/]{0,127}$"


class RoomCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "front-desk", "empty_timeout": 300}]}
    )

    name: str = Field(pattern=ROOM_NAME_PATTERN, description="Room name, without project prefix")
    empty_timeout: int = Field(default=300, ge=0, le=86_400)
    max_participants: int = Field(default=0, ge=0, le=1000)
    metadata: str = Field(default="", max_length=4096)


class TrackRead(BaseModel):
    sid: str
    name: str
    type: str
    source: str
    muted: bool


class ParticipantRead(BaseModel):
    sid: str
    identity: str
    name: str
    state: str
    kind: str
    joinedAt: int
    tracks: list[TrackRead]


class RoomRead(BaseModel):
    name: str
    fullName: str
    sid: str
    emptyTimeout: int
    maxParticipants: int
    numParticipants: int
    creationTime: int
    metadata: str
    status: str = "active"


class RoomEnvelope(BaseModel):
    success: bool = True
    room: RoomRead


class RoomDetail(RoomRead):
    participants: list[ParticipantRead]


class RoomDetailEnvelope(BaseModel):
    room: RoomDetail


class RoomList(BaseModel):
    rooms: list[RoomRead]
    total: int


class ParticipantList(BaseModel):
    participants: list[ParticipantRead]


class ActionResult(BaseModel):
    success: bool = True
    message: str
