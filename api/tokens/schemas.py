"""`POST /token` bodies, as msgspec structs: the endpoint is the control plane's hot path, and
Litestar decodes and encodes msgspec structs natively (pydantic models take a second pass)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import msgspec

from api.rooms.schemas import IDENTITY_PATTERN, ROOM_NAME_PATTERN

TrackSourceName = Literal["microphone", "camera", "screen_share", "screen_share_audio"]


Identity = Annotated[
    str, msgspec.Meta(pattern=IDENTITY_PATTERN, description="Participant identity")
]
RoomName = Annotated[
    str, msgspec.Meta(pattern=ROOM_NAME_PATTERN, description="Room name, without prefix")
]
# A number that is a multiple of 1 rather than an `int`: JSON Schema counts 600.0 as an
# integer, and msgspec's strict decoding would refuse it as one.
Ttl = Annotated[
    float, msgspec.Meta(ge=60, le=3600, multiple_of=1, description="Seconds (default 600)")
]


_GIVEN = {
    "agent_config_id": {"type": "string"},
    "agent_config_ids": {"type": "array"},
    "no_agent": {"const": True},
}


def _both_given(first: str, second: str) -> dict[str, Any]:
    """JSON Schema for "`first` and `second` both given" (null and false count as not given)."""
    return {"required": [first, second], "properties": {k: _GIVEN[k] for k in (first, second)}}


class ClientGrants(msgspec.Struct, forbid_unknown_fields=True, rename="camel"):
    """The only grants a client token may carry; anything else is refused as an unknown field."""

    can_publish: bool = True
    can_subscribe: bool = True
    can_publish_data: bool = True
    can_publish_sources: list[TrackSourceName] | None = None
    can_update_own_metadata: bool = False
    hidden: bool = False


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A caller's token for `room`, with the agents to dispatch into it (`agent_config_id`, or
    up to five `agent_config_ids`, not both); `no_agent` asks for none."""

    json_schema_extra: ClassVar[dict[str, Any]] = {
        "examples": [
            {
                "identity": "caller-1",
                "room": "front-desk",
                "agent_config_id": "agt_0c1d2e3f4a5b6c7d8e9f",
            }
        ],
        "not": {
            "anyOf": [
                _both_given("agent_config_id", "agent_config_ids"),
                _both_given("no_agent", "agent_config_id"),
                _both_given("no_agent", "agent_config_ids"),
            ]
        },
    }
    identity: Identity
    room: RoomName
    name: Annotated[str, msgspec.Meta(max_length=128)] | None = None
    metadata: Annotated[str, msgspec.Meta(max_length=4096)] | None = None
    agent_config_id: Annotated[str, msgspec.Meta(min_length=1, max_length=40)] | None = None
    agent_config_ids: Annotated[list[str], msgspec.Meta(min_length=1, max_length=5)] | None = None
    no_agent: bool = False
    grants: ClientGrants = msgspec.field(default_factory=ClientGrants)
    ttl: Ttl | None = None

    def __post_init__(self) -> None:
        if self.agent_config_id and self.agent_config_ids:
            raise ValueError("give agent_config_id or agent_config_ids, not both")
        if self.no_agent and (self.agent_config_id or self.agent_config_ids):
            raise ValueError("no_agent cannot be combined with agent_config_id(s)")

    def agent_ids(self) -> list[str]:
        if self.agent_config_id:
            return [self.agent_config_id]
        return list(dict.fromkeys(self.agent_config_ids or []))


class DispatchedSession(msgspec.Struct):
    agent_id: str
    session_id: str


class TokenResponse(msgspec.Struct):
    token: str
    room: str
    wsUrl: str
    identity: str
    expires_in: int
    agents_dispatched: list[str]
    sessions: list[DispatchedSession]
