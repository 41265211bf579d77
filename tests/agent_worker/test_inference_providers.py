"""With the inference service configured, the offline providers become livekit's openai plugin
pointed at it, and the worker process loads no model of its own."""

from __future__ import annotations

from typing import Any

import pytest
from livekit.plugins import openai

from agent_worker.contracts import AgentSpec
from agent_worker.errors import ModelMissingError, ProviderUnavailableError
from agent_worker.inference_client import ServiceWhisperSTT
from agent_worker.offline_models import LOCAL_LLM_MODEL, PIPER_MODEL, OfflineModels
from agent_worker.providers import build_llm, build_stt, build_tts
from agent_worker.settings import WorkerSettings

pytestmark = pytest.mark.unit

SERVICE = WorkerSettings(inference_url="http://127.0.0.1:8079")


def spec(**fields: Any) -> AgentSpec:
    return AgentSpec.model_validate({"name": "a", **fields})


def served(*names: str, flite: bool = True) -> OfflineModels:
    return OfflineModels(served=frozenset(names), flite_path="/usr/bin/flite" if flite else None)


def test_whisper_runs_on_the_service_and_keeps_the_speculative_stream() -> None:
    stt = build_stt(spec(), SERVICE, served("base", PIPER_MODEL))
    assert isinstance(stt, ServiceWhisperSTT)
    assert stt.model == "whisper-base"
    assert stt.provider == "voxroom-inference"


def test_a_whisper_model_the_service_lacks_is_refused_by_name() -> None:
    with pytest.raises(ModelMissingError, match=r"tiny\.en"):
        build_stt(spec(stt={"provider": "whisper", "model": "tiny.en"}), SERVICE, served("base"))


def test_piper_comes_from_the_service_as_pcm() -> None:
    tts = build_tts(spec(), SERVICE, served("base", PIPER_MODEL))
    assert isinstance(tts, openai.TTS)
    assert tts.model == PIPER_MODEL
    assert tts.sample_rate == 24_000


def test_without_piper_on_the_service_agents_fall_back_to_flite() -> None:
    assert build_tts(spec(), SERVICE, served("base")).provider == "flite"
    with pytest.raises(ProviderUnavailableError):
        build_tts(spec(tts={"provider": "piper"}), SERVICE, served("base"))


def test_the_local_llm_is_the_services_chat_completions() -> None:
    model = build_llm(spec(llm={"provider": "local"}), SERVICE)
    assert isinstance(model, openai.LLM)
    assert model.model == LOCAL_LLM_MODEL
