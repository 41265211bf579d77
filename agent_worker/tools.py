"""Tools the agent's LLM may call: the built-in `end_call` and `search_knowledge_base`, and
the spec's HTTP tools; and their description, built from the same tool objects."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
from livekit.agents import RunContext, ToolError, function_tool, llm

from .contracts import AgentSpec, ToolSpec
from .kb_answerer import KnowledgeSource
from .knowledge import search_knowledge_base_tool
from .phone_tools import described_phone_tools

logger = logging.getLogger(__name__)

GOODBYE = "Thank you for calling. Goodbye!"
_MAX_TOOL_RESULT_CHARS = 4000


def end_call_tool(on_end_call: Callable[[], None]) -> llm.Tool:
    @function_tool(name="end_call")
    async def end_call(context: RunContext) -> None:
        """End the call. Use it when the caller says goodbye or asks to hang up."""
        context.session.say(GOODBYE, allow_interruptions=False)
        on_end_call()

    return end_call


def http_tool(
    spec: ToolSpec,
    *,
    http: aiohttp.ClientSession,
    timeout_s: float,
    context: dict[str, str],
) -> llm.Tool:
    """POST `{"arguments": ..., **context}` to the tool's URL; its text reply goes to the LLM."""

    async def call_http_tool(raw_arguments: dict[str, Any]) -> str:
        body = {"tool": spec.name, "arguments": raw_arguments, **context}
        try:
            async with http.post(
                spec.url, json=body, timeout=aiohttp.ClientTimeout(total=timeout_s)
            ) as resp:
                text = await resp.text()
                if resp.status >= 400:
                    logger.warning(
                        "http tool failed", extra={"tool": spec.name, "status": resp.status}
                    )
                    raise ToolError(f"the {spec.name} service answered with an error")
        except (aiohttp.ClientError, TimeoutError) as exc:
            logger.warning(
                "http tool unreachable", extra={"tool": spec.name, "error": type(exc).__name__}
            )
            raise ToolError(f"the {spec.name} service is unreachable") from exc
        return text[:_MAX_TOOL_RESULT_CHARS]

    schema = {
        "name": spec.name,
        "description": spec.description,
        "parameters": json.loads(json.dumps(spec.parameters)),
    }
    return function_tool(call_http_tool, raw_schema=schema)


def agent_tools(
    spec: AgentSpec,
    *,
    http: aiohttp.ClientSession,
    timeout_s: float,
    context: dict[str, str],
    knowledge: KnowledgeSource | None,
    on_end_call: Callable[[], None] | None,
) -> list[llm.Tool | llm.Toolset]:
    """The agent's tools in the order the LLM is offered them: `end_call` (calls only, not
    text chats), `search_knowledge_base` when the agent has knowledge, then its HTTP tools."""
    tools: list[llm.Tool | llm.Toolset] = []
    if on_end_call is not None:
        tools.append(end_call_tool(on_end_call))
    if knowledge is not None:
        tools.append(search_knowledge_base_tool(knowledge))
    tools.extend(
        http_tool(tool, http=http, timeout_s=timeout_s, context=context) for tool in spec.tools
    )
    return tools


def function_schemas(tools: Sequence[llm.Tool | llm.Toolset]) -> list[dict[str, Any]]:
    """`{name, description, parameters}` of each tool, as livekit-agents builds them for the
    LLM request: from the function's signature and docstring, or from its raw schema."""
    schemas = llm.ToolContext(tools).parse_function_tools("openai", strict=False)
    return [schema["function"] for schema in schemas]


class _NeverSearched:
    """Stands in for the knowledge source of tools that are described, never called."""

    async def search(self, query: str, *, top_k: int) -> list[str]:
        return []


async def describe_call_tools(spec: AgentSpec) -> list[dict[str, Any]]:
    """What the agent's LLM is offered in a call, from the tool objects a call builds; the
    phone-only ones (`phone_tools.PHONE_TOOLS`) last, as a phone call gets them.

    Raises `ValueError` when a custom tool is named like a built-in one (livekit-agents
    refuses two functions of one name).
    """
    async with aiohttp.ClientSession() as http:
        tools = agent_tools(
            spec,
            http=http,
            timeout_s=0.0,
            context={},
            knowledge=_NeverSearched() if spec.knowledge_base_ids else None,
            on_end_call=lambda: None,
        )
        return function_schemas([*tools, *described_phone_tools(spec.phone)])
