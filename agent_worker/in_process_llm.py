"""The one `chat` of the LLMs answered inside the worker (knowledge-base answerer, local GGUF
model, voicemail greeting classifier): each names the stream that writes its reply."""

from __future__ import annotations

from typing import Any, ClassVar

from livekit.agents import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions, llm
from livekit.agents.llm import ChatContext, Tool, ToolChoice
from livekit.agents.types import NOT_GIVEN, NotGivenOr


class InProcessLLM(llm.LLM):
    stream_type: ClassVar[type[llm.LLMStream]]
    """Built as `stream_type(llm, chat_ctx=..., tools=..., conn_options=...)` per reply."""
    model_name: ClassVar[str]
    provider_name: ClassVar[str] = "voxroom"

    @property
    def model(self) -> str:
        return self.model_name

    @property
    def provider(self) -> str:
        return self.provider_name

    def chat(
        self,
        *,
        chat_ctx: ChatContext,
        tools: list[Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
        tool_choice: NotGivenOr[ToolChoice] = NOT_GIVEN,
        extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN,
    ) -> llm.LLMStream:
        return self.stream_type(
            self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options
        )
