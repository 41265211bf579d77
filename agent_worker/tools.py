"""Tools the agent's LLM may call: the built-in `end_call` and the spec's HTTP tools."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
from livekit.agents import RunContext, ToolError, function_tool, llm

from .contracts import ToolSpec

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
