"""`POST /sip/dial` bodies, as msgspec structs (the idempotency helper stores and replays
msgspec responses)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

import msgspec

from api.rooms.schemas import ROOM_NAME_PATTERN

_E164 = r"^\+[1-9][0-9]{1,14}$"
MAX_RINGING_TIMEOUT_S = 120
_Id = msgspec.Meta(min_length=1, max_length=40)


class VoicemailOptions(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Answering-machine detection for this call."""

    action: Annotated[
        Literal["hang_up", "leave_message"],
        msgspec.Meta(
            description="When a machine answers: hang up, or leave `message` after its greeting"
        ),
    ] = "hang_up"
    message: Annotated[
        Annotated[str, msgspec.Meta(min_length=1, max_length=1000)] | None,
        msgspec.Meta(description="The message to leave (default: the agent's `phone.voicemail`)"),
    ] = None


class DialRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A phone number to call, and the agent that talks to whoever answers."""

    json_schema_extra: ClassVar[dict[str, Any]] = {
        "examples": [
            {"phone_number": "+14155550123", "agent_config_id": "agt_0c1d2e3f4a5b6c7d8e9f"}
        ]
    }
    phone_number: Annotated[
        str,
        msgspec.Meta(
            pattern=_E164,
            description="The number to call, in E.164 form",
            examples=["+14155550123"],
        ),
    ]
    agent_config_id: Annotated[
        Annotated[str, _Id] | None,
        msgspec.Meta(description="The agent (`agt_...`) that talks; none: the room only"),
    ] = None
    trunk_id: Annotated[
        Annotated[str, _Id] | None,
        msgspec.Meta(description="The outbound trunk; needed only if the project has several"),
    ] = None
    caller_id: Annotated[
        Annotated[str, msgspec.Meta(pattern=_E164)] | None,
        msgspec.Meta(description="The number shown: one of the trunk's (its first by default)"),
    ] = None
    room_name: Annotated[
        Annotated[str, msgspec.Meta(pattern=ROOM_NAME_PATTERN)] | None,
        msgspec.Meta(description="The call's room, without prefix (default: `call-<id>`)"),
    ] = None
    # A multiple of 1 rather than an `int`, as the token's `ttl`: JSON Schema counts 1800.0 as
    # an integer, and msgspec's strict decoding would refuse it as one.
    max_duration: Annotated[
        float,
        msgspec.Meta(
            ge=10, le=3600, multiple_of=1, description="Seconds before the call is hung up"
        ),
    ] = 1800
    ringing_timeout: Annotated[
        Annotated[float, msgspec.Meta(ge=1, le=MAX_RINGING_TIMEOUT_S, multiple_of=1)] | None,
        msgspec.Meta(
            description="Seconds to let the phone ring before the call is `no_answer` "
            "(default: the operator's setting, 30 s)"
        ),
    ] = None
    voicemail: Annotated[
        VoicemailOptions | None,
        msgspec.Meta(
            description="Detect answering machines: a person hears the agent's first message, "
            "a machine gets `action`; the session's `answered_by` and the call's `call.status` "
            "events say which (default: the agent's `phone.voicemail`)"
        ),
    ] = None
    scheduled_at: Annotated[
        Annotated[datetime, msgspec.Meta(tz=True)] | None,
        msgspec.Meta(
            description="When to dial (ISO 8601 with a time zone): the call waits in a queue "
            "that outlives restarts (`GET /sip/scheduled`); now or a past time up to a minute "
            "ago dials at once, earlier is refused (409)"
        ),
    ] = None


class DialedCall(msgspec.Struct):
    """The call being placed."""

    id: Annotated[str, msgspec.Meta(description="The call's id (`call_...`)")]
    room_name: Annotated[str, msgspec.Meta(description="The call's room, without prefix")]
    full_room_name: Annotated[str, msgspec.Meta(description="The room's name in LiveKit")]
    phone_number: Annotated[str, msgspec.Meta(description="The number called")]
    caller_id: Annotated[str, msgspec.Meta(description="The number shown to the callee")]
    trunk_id: Annotated[str, msgspec.Meta(description="The outbound trunk used")]
    session_id: Annotated[
        str | None, msgspec.Meta(description="The agent's session, if an agent talks")
    ]
    sip_participant_id: Annotated[
        str | None, msgspec.Meta(description="LiveKit's participant id of the phone")
    ]
    status: Annotated[
        str,
        msgspec.Meta(description="initiating, failed if LiveKit refused the call, or scheduled"),
    ]


class DialResponse(msgspec.Struct, rename={"ws_url": "wsUrl"}):
    """The call, and a way to join its room."""

    call: Annotated[DialedCall, msgspec.Meta(description="The call being placed")]
    token: Annotated[
        str | None,
        msgspec.Meta(
            description="A 10-minute token to join the call's room (listen and speak); null "
            "for a scheduled call"
        ),
    ]
    ws_url: Annotated[str, msgspec.Meta(description="LiveKit's URL for that token")]
