from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent_worker.contracts import AgentSpec, ToolSpec


class AgentCreate(AgentSpec):
    is_active: bool = True


class AgentUpdate(BaseModel):
    """Partial update: nested objects merge into the stored config, then all is revalidated."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    instructions: str | None = None
    first_message: str | None = None
    language: str | None = None
    stt: dict[str, Any] | None = None
    llm: dict[str, Any] | None = None
    tts: dict[str, Any] | None = None
    turn_detection: dict[str, Any] | None = None
    interruptions: dict[str, Any] | None = None
    silence: dict[str, Any] | None = None
    max_duration_s: int | None = None
    knowledge_base_ids: list[str] | None = None
    tools: list[dict[str, Any]] | None = None
    privacy: dict[str, Any] | None = None
    is_active: bool | None = None


class AgentRead(AgentSpec):
    model_config = ConfigDict(extra="ignore")

    id: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


class AgentList(BaseModel):
    agents: list[AgentRead]
    total: int
    page: int
    per_page: int
    total_pages: int


class ToolDescription(BaseModel):
    name: str
    description: str
    type: str = Field(description="builtin or http")
    parameters: dict[str, Any]


class ToolList(BaseModel):
    tools: list[ToolDescription]


def describe_tools(spec: AgentSpec) -> list[ToolDescription]:
    """The tools the agent's LLM is offered: built-ins first, then the agent's own."""
    tools = [
        ToolDescription(
            name="end_call",
            description="End the conversation when the caller is done or asks to hang up.",
            type="builtin",
            parameters={"type": "object", "properties": {}},
        )
    ]
    if spec.knowledge_base_ids:
        tools.append(
            ToolDescription(
                name="search_knowledge_base",
                description="Search the business's documents for facts to answer the caller.",
                type="builtin",
                parameters={
                    "type": "object",
                    "properties": {"query": {"type": "string"}},
                    "required": ["query"],
                },
            )
        )
    tools.extend(_custom(tool) for tool in spec.tools)
    return tools


def _custom(tool: ToolSpec) -> ToolDescription:
    return ToolDescription(
        name=tool.name, description=tool.description, type=tool.type, parameters=tool.parameters
    )
