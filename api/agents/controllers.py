from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter
from sqlmodel.ext.asyncio.session import AsyncSession

from api.agents.chat import ChatRequest, ChatResponse, ChatService
from api.agents.schemas import (
    AgentCreate,
    AgentId,
    AgentList,
    AgentRead,
    AgentUpdate,
    ToolList,
)
from api.agents.services import AgentService, agent_read
from api.auth import READ, WRITE
from api.knowledge.controllers import provide_knowledge
from api.knowledge.services import KnowledgeService
from api.openapi import errors
from api.pagination import Page, page_body, provide_page
from api.projects.schemas import Principal
from api.resources import Resources
from api.usage.quota import quota


class AgentController(Controller):
    path = "/agents"
    tags = ["agents"]
    dependencies = {
        "paging": Provide(provide_page, sync_to_thread=False),
        "knowledge": Provide(provide_knowledge, sync_to_thread=False),
    }

    @get(operation_id="listAgents", opt=READ)
    async def list_agents(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        paging: NamedDependency[Page],
        is_active: Annotated[
            bool | None, QueryParameter(description="Only active (true) or inactive (false)")
        ] = None,
    ) -> AgentList:
        agents, total = await AgentService(db_session).list_agents(
            principal.project_id, paging, is_active
        )
        return AgentList(**page_body("agents", agents, total, paging))

    @post(operation_id="createAgent", opt=WRITE | quota("agents") | errors(404, 409))
    async def create_agent(
        self,
        data: JSONBody[AgentCreate],
        db_session: NamedDependency[AsyncSession],
        knowledge: NamedDependency[KnowledgeService],
        principal: NamedDependency[Principal],
    ) -> AgentRead:
        return await AgentService(db_session, knowledge).create(principal.project_id, data)

    @get("/{agent_id:str}", operation_id="getAgent", opt=READ)
    async def get_agent(
        self,
        agent_id: AgentId,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
    ) -> AgentRead:
        return agent_read(await AgentService(db_session).get(principal.project_id, agent_id))

    @patch("/{agent_id:str}", operation_id="updateAgent", opt=WRITE | errors(409))
    async def update_agent(
        self,
        agent_id: AgentId,
        data: JSONBody[AgentUpdate],
        db_session: NamedDependency[AsyncSession],
        knowledge: NamedDependency[KnowledgeService],
        principal: NamedDependency[Principal],
    ) -> AgentRead:
        return await AgentService(db_session, knowledge).update(
            principal.project_id, agent_id, data
        )

    @delete("/{agent_id:str}", operation_id="deleteAgent", opt=WRITE)
    async def delete_agent(
        self,
        agent_id: AgentId,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
    ) -> None:
        await AgentService(db_session).delete(principal.project_id, agent_id)

    @post(
        "/{agent_id:str}/chat",
        operation_id="chatWithAgent",
        opt=WRITE | errors(503),
        status_code=200,
    )
    async def chat(
        self,
        agent_id: AgentId,
        data: JSONBody[ChatRequest],
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> ChatResponse:
        """A text turn through the agent's own instructions, tools and LLM (no audio)."""
        spec = await AgentService(db_session).spec_of(principal.project_id, agent_id)
        chat = ChatService(resources.redis, resources.knowledge, resources.settings.agents)
        return await chat.turn(principal.project_id, agent_id, spec, data)

    @get("/{agent_id:str}/tools", operation_id="listAgentTools", opt=READ | errors(409))
    async def agent_tools(
        self,
        agent_id: AgentId,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
    ) -> ToolList:
        """The tools the agent's LLM is offered in a call, as the LLM is told them."""
        return ToolList(tools=await AgentService(db_session).tools(principal.project_id, agent_id))
