"""The local GGUF LLM shares one loaded model: completions take turns on it, each reply whole.

llama-cpp-python is an optional build, so a stand-in with its `create_chat_completion`
streaming shape plays the model; what is tested is our wrapper around it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from livekit.agents import llm

from agent_worker.local_llm import LlamaLLM, LocalModel

pytestmark = pytest.mark.unit


class StreamingModel:
    """Streams the last user message back word by word, noting how many completions overlap."""

    def __init__(self) -> None:
        self.running = 0
        self.most_at_once = 0
        self._count = threading.Lock()

    def create_chat_completion(self, *, messages: list[dict[str, str]], **_: Any) -> Iterator[Any]:
        with self._count:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            for word in messages[-1]["content"].split():
                time.sleep(0.01)
                yield {"choices": [{"delta": {"content": f"{word} "}}]}
        finally:
            with self._count:
                self.running -= 1


async def _reply(model: llm.LLM, text: str) -> str:
    chat_ctx = llm.ChatContext()
    chat_ctx.add_message(role="user", content=text)
    parts = []
    async with model.chat(chat_ctx=chat_ctx) as stream:
        async for chunk in stream:
            if chunk.delta and chunk.delta.content:
                parts.append(chunk.delta.content)
    return "".join(parts).strip()


async def test_llms_sharing_one_model_take_turns_and_each_gets_its_whole_reply() -> None:
    stand_in = StreamingModel()
    shared = LocalModel(stand_in)
    first, second = LlamaLLM(shared), LlamaLLM(shared, temperature=0.2)
    replies = await asyncio.gather(
        _reply(first, "one two three four"), _reply(second, "five six seven eight")
    )
    assert replies == ["one two three four", "five six seven eight"]
    assert stand_in.most_at_once == 1
