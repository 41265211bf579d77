"""`POST /token` bodies, as msgspec structs: the endpoint is the control plane's hot path, and
Litestar decodes and encodes msgspec structs natively (pydantic models take a second pass)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import msgspec

from api.rooms.schemas import IDENTITY_PATTERN, ROOM_NAME_PATTERN

TrackSourceName = Literal["microphone", "camera", "screen_share", "screen_share_audio"]


Identity = Annotated[
    str,
    msgspec.Meta(
        pattern=IDENTITY_PATTERN,
        description="Participant identity, unique in the room (a second join with it replaces "
        "the first)",
    ),
]
RoomName = Annotated[
    str,
    msgspec.Meta(
        pattern=ROOM_NAME_PATTERN,
        description="Room name, without prefix; the room is created if it does not exist",
    ),
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

    can_publish: Annotated[bool, msgspec.Meta(description="May publish audio and video")] = True
    can_subscribe: Annotated[bool, msgspec.Meta(description="May receive others' tracks")] = True
    can_publish_data: Annotated[bool, msgspec.Meta(description="May send data messages")] = True
    can_publish_sources: Annotated[
        list[TrackSourceName] | None,
        msgspec.Meta(description="Only these track sources may be published; null: any"),
    ] = None
    can_update_own_metadata: Annotated[
        bool, msgspec.Meta(description="May change its own name and metadata")
    ] = False
    hidden: Annotated[bool, msgspec.Meta(description="Invisible to the other participants")] = False


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
    name: Annotated[
        Annotated[str, msgspec.Meta(max_length=128)] | None,
        msgspec.Meta(description="Display name of the participant"),
    ] = None
    metadata: Annotated[
        Annotated[str, msgspec.Meta(max_length=4096)] | None,
        msgspec.Meta(description="The participant's metadata (free text), readable by all"),
    ] = None
    agent_config_id: Annotated[
        Annotated[str, msgspec.Meta(min_length=1, max_length=40)] | None,
        msgspec.Meta(description="The agent (`agt_...`) to dispatch into the room"),
    ] = None
    agent_config_ids: Annotated[
        Annotated[list[str], msgspec.Meta(min_length=1, max_length=5)] | None,
        msgspec.Meta(description="Several agents to dispatch, one session each"),
    ] = None
    no_agent: Annotated[
        bool,
        msgspec.Meta(description="Dispatch no agent (as when no agent id is given)"),
    ] = False
    grants: Annotated[
        ClientGrants,
        msgspec.Meta(description="What the participant may do; safe defaults if omitted"),
    ] = msgspec.field(default_factory=ClientGrants)
    ttl: Annotated[
        Ttl | None, msgspec.Meta(description="Token lifetime in seconds (default 600)")
    ] = None

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
    """An agent sent into the room, and the session that records its conversation."""

    agent_id: Annotated[str, msgspec.Meta(description="The agent (`agt_...`)")]
    session_id: Annotated[str, msgspec.Meta(description="Its session (`ses_...`)")]


class TokenResponse(msgspec.Struct):
    token: Annotated[
        str, msgspec.Meta(description="The LiveKit access token (a JWT) to connect with")
    ]
    room: Annotated[str, msgspec.Meta(description="The room's full name, with project prefix")]
    wsUrl: Annotated[str, msgspec.Meta(description="The LiveKit server URL to connect to")]
    identity: Annotated[str, msgspec.Meta(description="The participant identity, as sent")]
    expires_in: Annotated[int, msgspec.Meta(description="Seconds until the token expires")]
    agents_dispatched: Annotated[
        list[str], msgspec.Meta(description="The agents sent into the room (`agt_...`)")
    ]
    sessions: Annotated[
        list[DispatchedSession], msgspec.Meta(description="One session per agent dispatched")
    ]
