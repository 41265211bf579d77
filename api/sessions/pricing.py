"""List prices for cost estimates. Offline providers cost nothing.

`auto` counts as offline: it resolves to a cloud provider only where the operator set a key,
and the worker does not yet report which one it picked.
"""

from __future__ import annotations

LLM_USD_PER_MILLION_TOKENS = {"openai": (0.15, 0.60)}  # (prompt, completion), gpt-4o-mini
STT_USD_PER_MINUTE = {"openai": 0.006, "deepgram": 0.0043}
TTS_USD_PER_MILLION_CHARS = {"openai": 15.0, "cartesia": 50.0, "elevenlabs": 180.0}


def llm_cost(provider: str | None, prompt_tokens: int, completion_tokens: int) -> float:
    prompt_rate, completion_rate = LLM_USD_PER_MILLION_TOKENS.get(provider or "", (0.0, 0.0))
    return (prompt_tokens * prompt_rate + completion_tokens * completion_rate) / 1_000_000


def stt_cost(provider: str | None, audio_seconds: float) -> float:
    return STT_USD_PER_MINUTE.get(provider or "", 0.0) * audio_seconds / 60


def tts_cost(provider: str | None, characters: int) -> float:
    return TTS_USD_PER_MILLION_CHARS.get(provider or "", 0.0) * characters / 1_000_000
