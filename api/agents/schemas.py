from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar.params import PathParameter
from pydantic import ConfigDict, Field
from pydantic.fields import FieldInfo

from agent_worker.contracts import (
    AgentSpec,
    InterruptionConfig,
    LlmConfig,
    PhoneConfig,
    PrivacyConfig,
    SilenceConfig,
    SttConfig,
    ToolSpec,
    TtsConfig,
    TurnDetectionConfig,
)
from api.pagination import Paginated
from api.schemas import RequestBody, ResponseBody

AgentId = Annotated[str, PathParameter(description="The agent's id (`agt_...`)")]


class AgentCreate(AgentSpec):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Front desk",
                    "first_message": "Hello, Riverside Clinic, how can I help?",
                    "instructions": "We are open Monday to Friday from 9 am to 6 pm.",
                    "llm": {"temperature": 0.4},
                }
            ]
        }
    )

    is_active: bool = Field(default=True, description="Whether new calls may use this agent")


def _as_in_spec(name: str) -> Any:
    """`AgentCreate`'s field `name` with all its constraints, but absent unless sent."""
    partial = FieldInfo.merge_field_infos(AgentCreate.model_fields[name], default=None)
    partial.default_factory = None
    return partial


class AgentUpdate(RequestBody):
    """Partial update: only the fields sent change; nested objects merge into the stored
    configuration, then the whole is validated again. `null` only where the field allows it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"first_message": "Hello, Riverside Clinic, how can I help?"}]
        }
    )

    name: str = _as_in_spec("name")
    instructions: str = _as_in_spec("instructions")
    first_message: str | None = _as_in_spec("first_message")
    language: str = _as_in_spec("language")
    stt: SttConfig = _as_in_spec("stt")
    llm: LlmConfig = _as_in_spec("llm")
    tts: TtsConfig = _as_in_spec("tts")
    turn_detection: TurnDetectionConfig = _as_in_spec("turn_detection")
    interruptions: InterruptionConfig = _as_in_spec("interruptions")
    silence: SilenceConfig = _as_in_spec("silence")
    max_duration_s: int = _as_in_spec("max_duration_s")
    knowledge_base_ids: list[str] = _as_in_spec("knowledge_base_ids")
    tools: list[ToolSpec] = _as_in_spec("tools")
    privacy: PrivacyConfig = _as_in_spec("privacy")
    phone: PhoneConfig = _as_in_spec("phone")
    is_active: bool = _as_in_spec("is_active")


class AgentRead(AgentSpec):
    """An agent's whole configuration, defaults filled in."""

    model_config = ConfigDict(extra="ignore")

    id: str
    """The agent's id (`agt_...`), the `agent_config_id` of tokens and sessions."""
    is_active: bool
    """Whether new calls may use this agent."""
    created_at: datetime
    """When it was created (ISO 8601, UTC)."""
    updated_at: datetime
    """When its configuration last changed (ISO 8601, UTC)."""


class AgentList(Paginated):
    agents: list[AgentRead]
    """This page of the project's agents."""


class ToolDescription(ResponseBody):
    """A tool as the agent's LLM is offered it."""

    name: str
    """The function name the LLM calls."""
    description: str
    """What the LLM is told the tool does."""
    type: str = Field(description="builtin or http")
    parameters: dict[str, Any]
    """JSON Schema of the tool's arguments."""
    phone_only: bool = False
    """Offered on phone (SIP) calls only: `press_keys` while `phone.dtmf` is on (a phone
    line with `dtmf_enabled: false` drops it for its calls), `transfer_call` when
    `phone.transfer_targets` lists any."""


class ToolList(ResponseBody):
    tools: list[ToolDescription]
    """Built-in tools first (`end_call`, and `search_knowledge_base` when the agent has
    knowledge bases), then the agent's own, then the phone-only ones (`phone_only`)."""
