"""Wire contracts shared by the control plane and the agent worker.

One definition of each message that crosses the process boundary: the agent
configuration (validated by the API, snapshotted into dispatch metadata), the
dispatch metadata itself, and the events a worker reports back.
This module must stay importable without livekit-agents installed.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

AGENT_NAME = "voxroom-agent"
"""The one agent name workers register under; the config travels in metadata."""

SttProvider = Literal["auto", "whisper", "openai", "deepgram"]
LlmProvider = Literal["auto", "kb_answerer", "local", "openai"]
TtsProvider = Literal["auto", "piper", "flite", "openai", "cartesia", "elevenlabs"]


class ConfigConflict(Exception):
    """Fields of a configuration that contradict each other, a rule JSON Schema cannot state.

    Deliberately not a ValueError: pydantic lets it through, so the control plane answers it
    as a 409 CONFLICT naming the field instead of a 422 for a body its schema allows.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@cache
def _integer_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(
        name
        for name, info in model.model_fields.items()
        if info.annotation is int or int in get_args(info.annotation)
    )


class Strict(BaseModel):
    """Base for wire models: unknown fields are an error, not silently dropped, and types are
    strict (`false` is not 0, `"5"` is not a number), as the API's OpenAPI document says.
    Strict mode on decoded JSON also wants `datetime` objects: such fields relax it."""

    model_config = ConfigDict(extra="forbid", strict=True, use_attribute_docstrings=True)

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers_are_integers(cls, data: Any) -> Any:
        """JSON Schema counts `600.0` as an integer, and clients may send it; strict pydantic
        alone would refuse it where the API's schema says `integer`."""
        if not isinstance(data, dict):
            return data
        return {
            key: int(value)
            if isinstance(value, float) and value.is_integer() and key in _integer_fields(cls)
            else value
            for key, value in data.items()
        }


class SttConfig(Strict):
    provider: SttProvider = "auto"
    model: str | None = Field(default=None, max_length=100)
    language: str | None = Field(default=None, max_length=16)


class LlmConfig(Strict):
    provider: LlmProvider = "auto"
    model: str | None = Field(default=None, max_length=100)
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    base_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")


class TtsConfig(Strict):
    provider: TtsProvider = "auto"
    voice: str | None = Field(default=None, max_length=100)
    speed: float = Field(default=1.0, ge=0.5, le=2.0)


class TurnDetectionConfig(Strict):
    mode: Literal["model", "vad", "stt"] = "model"
    min_endpointing_delay: float = Field(default=0.4, ge=0.0, le=10.0)
    max_endpointing_delay: float = Field(default=3.0, ge=0.0, le=30.0)

    @model_validator(mode="after")
    def _delays_ordered(self) -> TurnDetectionConfig:
        if self.max_endpointing_delay < self.min_endpointing_delay:
            raise ConfigConflict(
                "turn_detection.max_endpointing_delay",
                "max_endpointing_delay must be at least min_endpointing_delay",
            )
        return self


class InterruptionConfig(Strict):
    enabled: bool = True
    min_words: int = Field(default=0, ge=0, le=20)
    min_duration: float = Field(default=0.5, ge=0.0, le=10.0)


class SilenceConfig(Strict):
    end_call_after_s: float | None = Field(default=None, ge=5.0, le=3600.0)


class PrivacyConfig(Strict):
    retention_days: int | None = Field(default=None, ge=1, le=3650)
    record_audio: bool = False


class ToolSpec(Strict):
    """A custom tool the LLM may call; `http` tools POST their arguments to `url`."""

    type: Literal["http"] = "http"
    name: str = Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]{0,63}$")
    description: str = Field(min_length=1, max_length=1000)
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})
    url: str = Field(max_length=2000, pattern=r"^https?://")


class AgentSpec(Strict):
    """Everything that defines how an agent behaves in a conversation."""

    name: str = Field(min_length=1, max_length=100)
    instructions: str = Field(default="You are a helpful voice assistant.", max_length=20_000)
    first_message: str | None = Field(default=None, max_length=2000)
    language: str = Field(default="en", min_length=2, max_length=16)
    stt: SttConfig = Field(default_factory=SttConfig)
    llm: LlmConfig = Field(default_factory=LlmConfig)
    tts: TtsConfig = Field(default_factory=TtsConfig)
    turn_detection: TurnDetectionConfig = Field(default_factory=TurnDetectionConfig)
    interruptions: InterruptionConfig = Field(default_factory=InterruptionConfig)
    silence: SilenceConfig = Field(default_factory=SilenceConfig)
    max_duration_s: int = Field(default=1800, ge=10, le=3600)
    knowledge_base_ids: list[str] = Field(default_factory=list, max_length=20)
    tools: list[ToolSpec] = Field(default_factory=list, max_length=32)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)

    @model_validator(mode="after")
    def _tool_names_unique(self) -> AgentSpec:
        names = [tool.name for tool in self.tools]
        if len(names) != len(set(names)):
            raise ConfigConflict("tools", "tool names must be unique")
        return self


class DispatchMetadata(Strict):
    """JSON put in the LiveKit agent dispatch; the worker's only source of config."""

    version: Literal[1] = 1
    session_id: str
    project_id: str
    agent_id: str
    room: str
    agent: AgentSpec
    report_url: str
    """Base URL of the control plane's internal API, e.g. http://127.0.0.1:8000/internal/v1."""
    report_token: str
    """Bearer token that authorizes reports for this one session only."""


class TurnLatency(Strict):
    end_of_turn_ms: float | None = None
    stt_ms: float | None = None
    llm_first_token_ms: float | None = None
    tts_first_audio_ms: float | None = None


class TurnEvent(Strict):
    type: Literal["turn"] = "turn"
    event_id: str = Field(min_length=1, max_length=100)
    role: Literal["user", "agent", "system"]
    text: str = Field(max_length=50_000)
    started_at: datetime = Field(strict=False)
    ended_at: datetime | None = Field(default=None, strict=False)
    interrupted: bool = False
    latency: TurnLatency | None = None


class UsageEvent(Strict):
    type: Literal["usage"] = "usage"
    event_id: str = Field(min_length=1, max_length=100)
    stt_audio_seconds: float = Field(default=0.0, ge=0)
    llm_prompt_tokens: int = Field(default=0, ge=0)
    llm_completion_tokens: int = Field(default=0, ge=0)
    tts_characters: int = Field(default=0, ge=0)


class SessionStartedEvent(Strict):
    type: Literal["session_started"] = "session_started"
    event_id: str = Field(min_length=1, max_length=100)
    caller_identity: str | None = Field(default=None, max_length=256)


class SessionEndedEvent(Strict):
    type: Literal["session_ended"] = "session_ended"
    event_id: str = Field(min_length=1, max_length=100)
    reason: Literal["manual", "max_duration", "silence", "participant_left", "agent_error"]
    error: str | None = Field(default=None, max_length=1000)


class ToolEvent(Strict):
    """A tool call the agent's LLM made during the conversation, and how it went."""

    type: Literal["tool"] = "tool"
    """Event kind."""
    event_id: str = Field(min_length=1, max_length=100)
    """Unique per event: a retried report applies it once."""
    name: str = Field(min_length=1, max_length=100)
    """The tool's name as the LLM sees it."""
    call_id: str = Field(default="", max_length=200)
    """The LLM's id for this call."""
    arguments: str = Field(default="", max_length=4000)
    """The arguments as the LLM wrote them (JSON text, cut to 4000 characters)."""
    is_error: bool = False
    """Whether the tool failed (its error is what the LLM was told)."""
    output: str = Field(default="", max_length=4000)
    """What the tool answered (cut to 4000 characters)."""


WorkerEvent = Annotated[
    TurnEvent | UsageEvent | SessionStartedEvent | SessionEndedEvent | ToolEvent,
    Field(discriminator="type"),
]


class WorkerReport(Strict):
    """Body of POST {report_url}/sessions/{session_id}/events."""

    events: list[WorkerEvent] = Field(min_length=1, max_length=100)
