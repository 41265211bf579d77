"""Wire models of `/config`, `/voice/sessions` and `/twilio/voice`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from litestar.params import PathParameter
from pydantic import ConfigDict, Field, StringConstraints, field_validator

from api.schemas import RequestBody, ResponseBody

Provider = Literal["basic", "advanced"]

DEFAULT_PROMPT = "You are a helpful voice assistant."
DEFAULT_LANGUAGE = "en"
DEFAULT_MAX_DURATION = 300

VoiceSessionId = Annotated[str, PathParameter(description="The voice session's id (`ses_...`)")]

_NO_NUL = "^[^\x00]*$"
ContextKey = Annotated[str, StringConstraints(min_length=1, max_length=64)]
ContextValue = Annotated[str, StringConstraints(max_length=500, pattern=_NO_NUL)] | int | bool


class VoiceConfigRead(ResponseBody):
    """The project's defaults for voice sessions; each applies unless a session overrides it."""

    agent_config_id: str | None
    """The agent (`agt_...`) voice sessions run; null: the project's first active agent."""
    prompt: str
    """The system prompt the agent follows in voice sessions (replaces the agent's own
    instructions)."""
    language: str
    """Language of the conversation (e.g. `en`, `de`)."""
    max_duration: int
    """Seconds after which a voice session ends itself (10 to 3600)."""
    provider: Provider
    """`basic`: low cost and latency; `advanced`: a stronger LLM where one is configured
    (`VOXROOM_VOICE_LLM_MODELS`), else the same as `basic`."""
    max_active_sessions: int | None
    """How many voice sessions may be active at once; null: only the plan's quota limits."""
    updated_at: datetime | None
    """When the configuration last changed (ISO 8601, UTC); null if never."""


class VoiceConfigUpdate(RequestBody):
    """Any combination of the defaults to change; fields left out keep their value."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "provider": "advanced",
                    "prompt": "You are a recruitment assistant.",
                    "max_duration": 180,
                }
            ]
        }
    )

    agent_config_id: str | None = Field(default=None, min_length=1, max_length=40)
    """The agent (`agt_...`) voice sessions run; null: the project's first active agent.
    404 if the project has no such agent."""
    prompt: str | None = Field(default=None, min_length=1, max_length=20_000)
    """The system prompt for voice sessions; null: the agent's own instructions."""
    language: str | None = Field(default=None, min_length=2, max_length=16)
    """Language of the conversation (e.g. `en`, `de`); null: the agent's own."""
    max_duration: int | None = Field(default=None, ge=10, le=3600)
    """Seconds after which a voice session ends itself."""
    provider: Provider | None = None
    """`basic` or `advanced`."""
    max_active_sessions: int | None = Field(default=None, ge=1, le=10_000)
    """How many voice sessions may be active at once; null: only the plan's quota."""


class VoiceSessionCreate(RequestBody):
    """A voice session for a browser (or any WebSocket client); every field is optional and
    defaults to the project's `/config`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "prompt": "You are a friendly receptionist.",
                    "max_duration": 120,
                    "context": {"customer": "Ada"},
                }
            ]
        }
    )

    agent_config_id: str | None = Field(default=None, min_length=1, max_length=40)
    """The agent (`agt_...`) to talk to; default: the config's agent, else the project's first
    active agent. 404 if there is none."""
    prompt: str | None = Field(default=None, min_length=1, max_length=20_000)
    """The system prompt for this session, replacing the agent's instructions."""
    language: str | None = Field(default=None, min_length=2, max_length=16)
    """Language of this conversation."""
    max_duration: int | None = Field(default=None, ge=10, le=3600)
    """Seconds after which this session ends itself."""
    provider: Provider | None = None
    """`basic` or `advanced` for this session."""
    context: dict[ContextKey, ContextValue | None] = Field(
        default_factory=dict,
        max_length=20,
        # pydantic would put a key pattern in `patternProperties`, which leaves other keys free.
        json_schema_extra={"propertyNames": {"minLength": 1, "maxLength": 64, "pattern": _NO_NUL}},
    )
    """Facts for the agent about this conversation (e.g. the customer's name), added to its
    instructions and kept in the session's metadata."""

    @field_validator("context")
    @classmethod
    def _keys_without_nul(cls, value: dict[str, Any]) -> dict[str, Any]:
        if any("\x00" in key for key in value):
            raise ValueError("keys must not contain a NUL character")
        return value


class VoiceSessionCreated(ResponseBody):
    """A started voice session: hand `joinUrl` to the browser, never the API key."""

    session_id: str
    """The session's id (`ses_...`), as in `/sessions`."""
    status: Literal["active"]
    """Always `active`: the agent is on its way to the session's room."""
    joinUrl: str
    """A WebSocket URL to connect once, within `expiresIn` seconds: PCM16 mono 16 kHz in,
    the agent's audio and JSON control messages out."""
    expiresIn: int
    """Seconds the `joinUrl` stays valid if unused; an unused session then ends (`no_show`)."""
    maxDuration: int
    """Seconds after which the session ends itself."""
    agent_config_id: str
    """The agent (`agt_...`) of the session."""


class TwilioVoiceForm(RequestBody):
    """Twilio's voice webhook parameters (form-encoded); Twilio sends more, which are kept
    for the signature check only."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {"CallSid": "CA0123456789abcdef", "From": "+14155550100", "To": "+14155550199"}
            ]
        },
    )

    CallSid: str | None = Field(default=None, max_length=64)
    """Twilio's id of the call."""
    From: str | None = Field(default=None, max_length=64)
    """The caller's number."""
    To: str | None = Field(default=None, max_length=64)
    """The number called."""


def context_lines(context: dict[str, Any]) -> str:
    """The session's context as lines the agent reads after its instructions."""
    facts = "\n".join(f"- {key}: {value}" for key, value in context.items())
    return f"\n\nWhat you know about this conversation:\n{facts}"
