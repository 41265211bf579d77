"""Choose STT, LLM and TTS for an agent from its spec and the worker's keys.

`auto` means: a cloud provider when its key is configured, otherwise the offline model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from livekit.agents import llm, stt, tts

from . import openai_clients
from .errors import ProviderUnavailableError
from .kb_answerer import KbAnswerer, KnowledgeSource
from .local_stt import BASE_WINDOW_S, WHISPER_WINDOW_S, SpeculativeSTT, WhisperSTT
from .local_tts import FliteTTS, PiperTTS
from .offline_models import PIPER_MODEL, WHISPER_BASE, WHISPER_TINY_EN_MODEL

if TYPE_CHECKING:
    from livekit.agents.vad import VAD
    from pydantic import SecretStr

    from .contracts import AgentSpec
    from .offline_models import OfflineModels
    from .settings import WorkerSettings

_UNUSED_KEY = "unused"
"""Sent to OpenAI-compatible servers that need no key (Ollama, vLLM, llama.cpp)."""


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _require(value: SecretStr | None, env: str, provider: str) -> str:
    secret = _secret(value)
    if not secret:
        raise ProviderUnavailableError(f"provider {provider!r} needs {env} to be set")
    return secret


def build_stt(
    spec: AgentSpec,
    settings: WorkerSettings,
    models: OfflineModels,
    *,
    vad: VAD | None = None,
) -> stt.STT:
    """The agent's STT. Given `vad` (the call's `CallVAD.for_stt()`), a batch STT streams
    through it: offline Whisper itself (see `local_stt`), a cloud one in livekit-agents'
    `StreamAdapter`, which the session would otherwise build around the session's own VAD."""
    provider = spec.stt.provider
    language = spec.stt.language or spec.language
    if provider == "auto":
        if settings.deepgram_api_key:
            provider = "deepgram"
        elif settings.openai_api_key:
            provider = "openai"
        else:
            provider = "whisper"
    if provider == "whisper":
        return _whisper_stt(spec.stt.model, language.split("-")[0], settings, models, vad)
    if provider == "deepgram":
        from livekit.plugins import deepgram

        key = _require(settings.deepgram_api_key, "DEEPGRAM_API_KEY", "deepgram")
        return deepgram.STT(model=spec.stt.model or "nova-3", language=language, api_key=key)
    from livekit.plugins import openai

    key = _require(settings.openai_api_key, "OPENAI_API_KEY", "openai")
    batch = openai.STT(
        model=spec.stt.model or "gpt-4o-mini-transcribe",
        language=language,
        api_key=key,
        client=openai_clients.client(api_key=key),
    )
    return stt.StreamAdapter(stt=batch, vad=vad) if vad is not None else batch


def _whisper_stt(
    model: str | None,
    language: str,
    settings: WorkerSettings,
    models: OfflineModels,
    vad: VAD | None,
) -> SpeculativeSTT:
    # base stays the default: over WebRTC tiny.en heard "located" as "allocated" in every
    # try and "gluten free bread" as "blue and free, Brad" (bench/VOICE_RESULTS.md)
    model = model or WHISPER_BASE
    if model == WHISPER_TINY_EN_MODEL and language != "en":
        raise ProviderUnavailableError(f"Whisper {model!r} only transcribes English")
    if settings.inference_url:
        from .inference_client import service_stt

        return service_stt(settings.inference_url, models, model, language, vad)
    return WhisperSTT(
        models.require_whisper(model),
        name=model,
        language=language,
        vad=vad,
        window_s=BASE_WINDOW_S if model == WHISPER_BASE else WHISPER_WINDOW_S,
    )


def load_llm_model(spec: AgentSpec, settings: WorkerSettings) -> None:
    """Load from disk what the agent's LLM needs (a local GGUF, once per process), so that
    `build_llm` returns at once. Blocking: run it in a thread. (Not `build_llm` itself in a
    thread: livekit plugins must be imported on the main thread.)"""
    if spec.llm.provider == "local" and not settings.inference_url:
        from .local_llm import shared_llama

        shared_llama(settings.local_llm_threads)


def build_llm(
    spec: AgentSpec,
    settings: WorkerSettings,
    *,
    knowledge: KnowledgeSource | None = None,
) -> llm.LLM:
    provider = spec.llm.provider
    if provider == "auto":
        configured = spec.llm.base_url or settings.llm_base_url or settings.llm_endpoint_key()
        provider = "openai" if configured else "kb_answerer"
    if provider == "kb_answerer":
        return KbAnswerer(instructions=spec.instructions, knowledge=knowledge)
    if provider == "local" and settings.inference_url:
        from .inference_client import service_llm

        return service_llm(settings.inference_url, temperature=spec.llm.temperature)
    if provider == "local":
        from .local_llm import LlamaLLM, shared_llama

        model = shared_llama(settings.local_llm_threads)
        return LlamaLLM(model, temperature=spec.llm.temperature)
    return _openai_llm(spec, settings)


def _openai_llm(spec: AgentSpec, settings: WorkerSettings) -> llm.LLM:
    from livekit.plugins import openai

    if spec.llm.base_url and spec.llm.base_url != settings.llm_base_url:
        # an agent's own endpoint never receives the platform's key
        base_url, key = spec.llm.base_url, _UNUSED_KEY
    elif settings.llm_base_url:
        base_url, key = settings.llm_base_url, settings.llm_endpoint_key() or _UNUSED_KEY
    else:
        base_url = None
        key = settings.llm_endpoint_key() or ""
        if not key:
            raise ProviderUnavailableError(
                "llm.provider 'openai' needs OPENAI_API_KEY or VOXROOM_WORKER_LLM_BASE_URL"
            )
    return openai.LLM(
        model=spec.llm.model or settings.llm_model,
        api_key=key,
        temperature=spec.llm.temperature,
        client=openai_clients.client(api_key=key, base_url=base_url),
    )


def build_tts(spec: AgentSpec, settings: WorkerSettings, models: OfflineModels) -> tts.TTS:
    provider = spec.tts.provider
    if provider == "auto":
        if settings.cartesia_api_key:
            provider = "cartesia"
        elif settings.eleven_api_key:
            provider = "elevenlabs"
        elif settings.openai_api_key:
            provider = "openai"
        else:
            has_piper = models.piper is not None or PIPER_MODEL in models.served
            provider = "piper" if has_piper else "flite"
    if provider == "piper" and settings.inference_url:
        if PIPER_MODEL not in models.served:
            raise ProviderUnavailableError("the inference service has no Piper voice")
        from .inference_client import service_tts

        return service_tts(settings.inference_url, speed=spec.tts.speed)
    if provider == "piper":
        if models.piper is None:
            raise models.errors.get("piper") or ProviderUnavailableError("piper voice not loaded")
        return PiperTTS(models.piper, speed=spec.tts.speed)
    if provider == "flite":
        if models.flite_path is None:
            raise models.errors.get("flite") or ProviderUnavailableError("flite not found")
        return FliteTTS(models.flite_path, voice=spec.tts.voice or "slt")
    if provider == "cartesia":
        from livekit.plugins import cartesia

        key = _require(settings.cartesia_api_key, "CARTESIA_API_KEY", "cartesia")
        if spec.tts.voice:
            return cartesia.TTS(api_key=key, voice=spec.tts.voice, speed=spec.tts.speed)
        return cartesia.TTS(api_key=key, speed=spec.tts.speed)
    if provider == "elevenlabs":
        from livekit.plugins import elevenlabs

        key = _require(settings.eleven_api_key, "ELEVEN_API_KEY", "elevenlabs")
        if spec.tts.voice:
            return elevenlabs.TTS(api_key=key, voice_id=spec.tts.voice)
        return elevenlabs.TTS(api_key=key)
    from livekit.plugins import openai

    key = _require(settings.openai_api_key, "OPENAI_API_KEY", "openai")
    return openai.TTS(
        api_key=key,
        voice=spec.tts.voice or "alloy",
        speed=spec.tts.speed,
        client=openai_clients.client(api_key=key),
    )
