"""The wire contract between the media gateway and the control plane.

One definition imported by both sides (the control plane may import this module, the gateway
never imports `api/`). The gateway asks the control plane for a call when a WebSocket client
connects, ends it when the client goes, and on start ends every call it owned before.

All three endpoints take `Authorization: Bearer <VOXROOM_GATEWAY_SECRET>`, a shared secret
`voxroom up` writes once per installation and passes to both processes. Bodies are JSON.

- `POST {CALLS_PATH}` body `GatewayCallRequest` -> 201 `GatewayCall`.
  Errors in the API's `{"error", "code", "details"}` form; the gateway closes the client's
  WebSocket with `close_code_for_status(status)`.
- `POST {END_PATH}` body `GatewayCallEnd` -> 200/204 (ending an ended call is not an error).
- `POST {RESTARTED_PATH}` (no body) -> 200 `GatewayRestarted`: every call still active that
  this gateway id started ends as failed (its process died and lost the audio).

This module must stay importable with nothing but msgspec installed.
"""

from __future__ import annotations

from typing import Literal

import msgspec

SECRET_ENV = "VOXROOM_GATEWAY_SECRET"  # noqa: S105 - a variable name, not a secret
"""The shared secret's environment variable, read by both processes."""

CALLS_PATH = "/internal/v1/gateway/calls"
END_PATH = "/internal/v1/gateway/calls/{session_id}/end"
RESTARTED_PATH = "/internal/v1/gateway/{gateway_id}/restarted"

DEFAULT_PORT = 8090
"""The gateway's listen port unless `VOXROOM_GATEWAY_PORT` says otherwise."""
PUBLIC_URL_ENV = "VOXROOM_GATEWAY_PUBLIC_URL"
"""Base URL clients reach the gateway at (`ws://127.0.0.1:8090` by default); the control
plane builds `joinUrl` and the TwiML `<Stream url>` from it."""

# Client-facing routes of the gateway (the control plane builds URLs to the last two).
WS_VOICE_PATH = "/ws/voice"
"""`?api_key=&agent_id=&session_id=<historyKey>&format=wav|mp3` (seed 003)."""
WS_TICKET_PATH = "/ws/voice/{ticket}"
"""The `joinUrl` of `POST /voice/sessions` (seed 000): `?format=` only."""
TWILIO_STREAM_PATH = "/ws/twilio/stream"
"""Twilio Media Streams; the ticket arrives in the `start` message's customParameters."""
TWILIO_TICKET_PARAMETER = "ticket"
"""The `<Parameter name=...>` of the TwiML `<Stream>` that carries the one-time ticket."""

Transport = Literal["websocket", "twilio"]
EndReason = Literal[
    "caller_hangup",
    "max_duration",
    "error",
    "protocol_error",
    "gateway_shutdown",
    "agent_left",
]

# WebSocket close codes of API.md.
CLOSE_NORMAL = 1000
CLOSE_UNAUTHORIZED = 4001
CLOSE_UNAVAILABLE = 4004
CLOSE_AGENT_NOT_FOUND = 4005
CLOSE_RATE_LIMITED = 4029


def close_code_for_status(status: int) -> int:
    """The WebSocket close code for the control plane's answer to `POST CALLS_PATH`.

    401/403: bad, expired or used ticket, bad API key. 404: no such agent (or no active agent
    for the project). 409/429: too many sessions or connections for the key. Anything else
    (503 no worker free, 5xx, unreachable) is "provider unavailable".
    """
    if status in (401, 403):
        return CLOSE_UNAUTHORIZED
    if status == 404:
        return CLOSE_AGENT_NOT_FOUND
    if status in (409, 429):
        return CLOSE_RATE_LIMITED
    return CLOSE_UNAVAILABLE


class GatewayCallRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A client connected to the gateway: start (or continue) its call.

    Exactly one of `ticket` and `api_key` is set; the control plane answers 401 otherwise.
    """

    transport: Transport
    gateway_id: str
    """The gateway process's stable id (`VOXROOM_GATEWAY_ID`); `RESTARTED_PATH` names it."""
    ticket: str | None = None
    """A one-time ticket: a `joinUrl`'s (seed 000) or a Twilio stream's (from TwiML)."""
    api_key: str | None = None
    """The project API key of `/ws/voice?api_key=` (seed 003)."""
    agent_id: str | None = None
    """`/ws/voice?agent_id=`; null: the project's default agent (first active one)."""
    history_key: str | None = None
    """`/ws/voice?session_id=<historyKey>`: continue that conversation (within 24 h)."""
    call_sid: str | None = None
    """Twilio's CallSid, from the `start` message."""
    stream_sid: str | None = None
    """Twilio's StreamSid, from the `start` message."""
    from_number: str | None = None
    """The caller's number when Twilio passes it as a custom parameter (`from`)."""
    to_number: str | None = None
    """The called number when Twilio passes it as a custom parameter (`to`)."""


class GatewayCall(msgspec.Struct, kw_only=True):
    """The call the gateway bridges: the room to join as the caller, and for how long."""

    session_id: str
    history_key: str
    """Sent to the client in `connected`; reconnecting with it continues the conversation."""
    agent_name: str
    """The agent's display name, for `connected`."""
    livekit_url: str
    """The LiveKit URL the gateway dials (ws://...)."""
    room: str
    token: str
    """A LiveKit access token for the caller participant (join, publish, subscribe, data)."""
    max_duration_s: int
    """The gateway ends the call (reason `max_duration`) after this many seconds."""


class GatewayCallEnd(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The gateway's side of a call ended."""

    reason: EndReason


class GatewayRestarted(msgspec.Struct, kw_only=True):
    """Answer to `RESTARTED_PATH`."""

    ended: list[str]
    """Ids of the sessions ended as failed."""


def auth_header(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
