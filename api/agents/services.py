"""Agent configurations: validated as a whole on every write, scoped to one project."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from agent_worker.contracts import AgentSpec
from agent_worker.phone_tools import PHONE_TOOLS
from agent_worker.tools import describe_call_tools
from api.agents.models import AgentConfig
from api.agents.schemas import AgentCreate, AgentRead, AgentUpdate, ToolDescription
from api.db import get_owned, scoped, utcnow
from api.errors import Conflict
from api.events import catalogue, outbox
from api.ids import new_id
from api.knowledge.services import KnowledgeService
from api.pagination import Page, paginate
from api.telephony.transfer_targets import require_target_trunks
from api.validation import to_api_error


def _deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def agent_read(agent: AgentConfig) -> AgentRead:
    return AgentRead(
        **agent.spec,
        id=agent.id,
        is_active=agent.is_active,
        created_at=agent.created_at,
        updated_at=agent.updated_at,
    )


async def _record(
    session: AsyncSession, agent: AgentConfig, event_type: str, read: AgentRead | None
) -> None:
    data: dict[str, Any] = {"agent_id": agent.id, "name": agent.name}
    if read is not None:
        data["agent"] = read.model_dump(mode="json")
    await outbox.record(session, agent.project_id, event_type, data)


class AgentService:
    def __init__(self, session: AsyncSession, knowledge: KnowledgeService | None = None) -> None:
        self.session = session
        self.knowledge = knowledge

    async def _check_references(self, project_id: str, spec: AgentSpec) -> None:
        if self.knowledge is not None and spec.knowledge_base_ids:
            await self.knowledge.require_existing(project_id, spec.knowledge_base_ids)
        await require_target_trunks(self.session, project_id, spec)

    async def get(self, project_id: str, agent_id: str) -> AgentConfig:
        return await get_owned(self.session, AgentConfig, agent_id, project_id, "Agent")

    async def spec_of(self, project_id: str, agent_id: str) -> AgentSpec:
        return AgentSpec.model_validate((await self.get(project_id, agent_id)).spec)

    async def tools(self, project_id: str, agent_id: str) -> list[ToolDescription]:
        """The tools the agent's LLM is offered in a call, described from the worker's own
        tool objects (their functions and docstrings), so the description cannot drift."""
        spec = await self.spec_of(project_id, agent_id)
        try:
            schemas = await describe_call_tools(spec)
        except ValueError as exc:
            raise Conflict(
                "a custom tool is named like a built-in tool", details={"field": "tools"}
            ) from exc
        custom = {tool.name for tool in spec.tools}
        return [
            ToolDescription(
                name=schema["name"],
                description=schema.get("description") or "",
                type="http" if schema["name"] in custom else "builtin",
                parameters=schema["parameters"],
                phone_only=schema["name"] in PHONE_TOOLS,
            )
            for schema in schemas
        ]

    async def create(self, project_id: str, data: AgentCreate) -> AgentRead:
        spec = AgentSpec.model_validate(data.model_dump(exclude={"is_active"}))
        await self._check_references(project_id, spec)
        agent = AgentConfig(
            id=new_id("agt"),
            project_id=project_id,
            name=spec.name,
            spec=spec.model_dump(mode="json"),
            is_active=data.is_active,
        )
        self.session.add(agent)
        read = agent_read(agent)
        await _record(self.session, agent, catalogue.AGENT_CREATED, read)
        await self.session.commit()
        return read

    async def list_agents(
        self, project_id: str, page: Page, is_active: bool | None = None
    ) -> tuple[list[AgentRead], int]:
        statement = scoped(AgentConfig, project_id).order_by(col(AgentConfig.created_at))
        if is_active is not None:
            statement = statement.where(AgentConfig.is_active == is_active)
        rows, total = await paginate(self.session, statement, page)
        return [agent_read(agent) for agent in rows], total

    async def update(self, project_id: str, agent_id: str, changes: AgentUpdate) -> AgentRead:
        agent = await self.get(project_id, agent_id)
        patch = changes.model_dump(exclude_unset=True)
        is_active = patch.pop("is_active", None)
        try:
            spec = AgentSpec.model_validate(_deep_merge(agent.spec, patch))
        except ValidationError as exc:
            raise to_api_error(exc) from exc
        await self._check_references(project_id, spec)
        agent.spec = spec.model_dump(mode="json")
        agent.name = spec.name
        if is_active is not None:
            agent.is_active = is_active
        agent.updated_at = utcnow()
        self.session.add(agent)
        read = agent_read(agent)
        await _record(self.session, agent, catalogue.AGENT_UPDATED, read)
        await self.session.commit()
        return read

    async def delete(self, project_id: str, agent_id: str) -> None:
        agent = await self.get(project_id, agent_id)
        await self.session.delete(agent)
        await _record(self.session, agent, catalogue.AGENT_DELETED, None)
        await self.session.commit()
