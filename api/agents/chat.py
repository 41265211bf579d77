"""Text turns against an agent: the worker's own LLM, instructions and tools, without audio.

With `llm.provider = "local"` the agent's LLM is a GGUF model: it is loaded off the event
loop, once per process (`agent_worker.local_llm.shared_llama`), and shared by every chat (and
call) the process serves, one completion at a time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import aiohttp
from livekit.agents import Agent, AgentSession, llm
from livekit.agents.voice.run_result import RunResult
from pydantic import ConfigDict, Field
from redis.asyncio import Redis

from agent_worker.contracts import AgentSpec
from agent_worker.errors import AgentError
from agent_worker.providers import build_llm, load_llm_model
from agent_worker.settings import WorkerSettings
from agent_worker.tools import agent_tools
from api.errors import Unavailable
from api.ids import new_id
from api.schemas import RequestBody, ResponseBody
from kb import KnowledgeStore

_HISTORY_TTL_S = 3600
_HISTORY_MAX_MESSAGES = 40


class ChatRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"message": "When are you open on Saturday?"}]}
    )

    message: str = Field(min_length=1, max_length=4000)
    """What the user says to the agent."""
    session_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    """Continue an earlier chat (kept for an hour); omit to start a new one."""
    context: dict[str, str] = Field(default_factory=dict, max_length=20)
    """Facts about the user added to the agent's instructions for this chat."""


class ChatResponse(ResponseBody):
    success: bool = True
    """Always true; failures are error responses."""
    response: str
    """The agent's reply."""
    session_id: str
    """The chat's id (`chat_...`): send it back to continue this conversation."""
    tools_used: list[str]
    """Names of the tools the agent called for this reply, in order."""


class StoreKnowledge:
    """The agent's knowledge bases, searched in process (the control plane owns the store)."""

    def __init__(self, store: KnowledgeStore, project_id: str, kb_ids: Sequence[str]) -> None:
        self._store = store
        self._project_id = project_id
        self._kb_ids = list(kb_ids)

    async def search(self, query: str, *, top_k: int) -> list[str]:
        hits = await self._store.search(self._project_id, query, self._kb_ids, top_k=top_k)
        return [hit.content for hit in hits]


def _instructions(spec: AgentSpec, context: dict[str, str]) -> str:
    if not context:
        return spec.instructions
    facts = "\n".join(f"- {key}: {value}" for key, value in context.items())
    return f"{spec.instructions}\n\nAbout the user:\n{facts}"


class ChatService:
    def __init__(self, redis: Redis, store: KnowledgeStore, settings: WorkerSettings) -> None:
        self.redis = redis
        self.store = store
        self.settings = settings

    async def turn(
        self, project_id: str, agent_id: str, spec: AgentSpec, data: ChatRequest
    ) -> ChatResponse:
        chat_id = data.session_id or new_id("chat")
        key = f"vx:chat:{project_id}:{agent_id}:{chat_id}"
        history: list[dict[str, str]] = json.loads(await self.redis.get(key) or "[]")
        knowledge = (
            StoreKnowledge(self.store, project_id, spec.knowledge_base_ids)
            if spec.knowledge_base_ids
            else None
        )
        chat_ctx = llm.ChatContext()
        for message in history:
            chat_ctx.add_message(role=message["role"], content=message["content"])  # type: ignore[arg-type]
        try:
            await asyncio.to_thread(load_llm_model, spec, self.settings)
            model = build_llm(spec, self.settings, knowledge=knowledge)
        except AgentError as exc:
            raise Unavailable(str(exc)) from exc
        async with aiohttp.ClientSession() as http:
            tools = agent_tools(
                spec,
                http=http,
                timeout_s=self.settings.tool_timeout_s,
                context={"session_id": chat_id, "agent_id": agent_id},
                knowledge=knowledge,
                on_end_call=None,
            )
            agent = Agent(
                instructions=_instructions(spec, data.context), chat_ctx=chat_ctx, tools=tools
            )
            async with AgentSession(llm=model) as session:
                await session.start(agent)
                result: RunResult[Any] = await session.run(user_input=data.message)
        replies = [
            event.item.text_content or ""
            for event in result.events
            if event.type == "message" and event.item.role == "assistant"
        ]
        tools_used = [event.item.name for event in result.events if event.type == "function_call"]
        reply = " ".join(text for text in replies if text).strip()
        history += [
            {"role": "user", "content": data.message},
            {"role": "assistant", "content": reply},
        ]
        await self.redis.set(key, json.dumps(history[-_HISTORY_MAX_MESSAGES:]), ex=_HISTORY_TTL_S)
        return ChatResponse(response=reply, session_id=chat_id, tools_used=tools_used)
