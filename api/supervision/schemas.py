"""Wire models of supervising an agent call (`/sessions/{id}/whisper|say|listen|takeover|
handback`)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from api.schemas import NOT_BLANK, RequestBody, ResponseBody

MAX_TEXT = 2000


class WhisperRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"text": "Offer the 10 % discount if they hesitate."}]}
    )

    text: str = Field(min_length=1, max_length=MAX_TEXT, pattern=NOT_BLANK)
    """Guidance for the agent's LLM only: the agent never speaks it, the caller never hears
    it; its next answers follow it."""


class SayRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"text": "Please hold for a moment.", "allow_interruptions": False}]
        }
    )

    text: str = Field(min_length=1, max_length=MAX_TEXT, pattern=NOT_BLANK)
    """What the agent says now, word for word."""
    allow_interruptions: bool = True
    """Whether the caller may cut it short by speaking."""


class SupervisionResult(ResponseBody):
    success: bool = True
    """Always true; failures are error responses."""
    session_id: str
    """The supervised session (`ses_...`)."""
    action: Literal["whisper", "say", "handback"]
    """What the agent was asked to do."""


class SupervisorJoin(ResponseBody):
    """A short-lived LiveKit token for a supervisor joining the call's room."""

    success: bool = True
    """Always true; failures are error responses."""
    session_id: str
    """The supervised session (`ses_...`)."""
    token: str
    """The LiveKit access token (JWT): valid for joining only within `expires_in` seconds."""
    room: str
    """The room to join (its LiveKit name, with the project prefix)."""
    wsUrl: str
    """The LiveKit server URL to connect to."""
    identity: str
    """The supervisor's participant identity in the room."""
    expires_in: int
    """Seconds the token stays valid for joining (a joined participant stays connected)."""
    can_publish_sources: list[str]
    """What the token may publish: nothing for `listen`, the microphone for `takeover`."""
    hidden: bool
    """Whether the other participants see the supervisor (`listen` is hidden)."""
