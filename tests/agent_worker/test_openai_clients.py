"""A call's openai STT, LLM and TTS share the worker process's TLS context
(agent_worker/openai_clients.py), with the client options the plugin would have used."""

from __future__ import annotations

import ssl
from typing import Any

import pytest
from livekit.plugins import openai

from agent_worker import openai_clients
from agent_worker.contracts import AgentSpec
from agent_worker.inference_client import service_llm, service_stt, service_tts
from agent_worker.offline_models import OfflineModels
from agent_worker.providers import build_llm, build_stt, build_tts
from agent_worker.settings import WorkerSettings

pytestmark = pytest.mark.unit

CLOUD = WorkerSettings(openai_api_key="sk-test")
SERVICE_URL = "http://127.0.0.1:8079"


@pytest.fixture
def tls_contexts(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every TLS context built from here on (httpx2 builds them with this function)."""
    built: list[object] = []
    create = ssl.create_default_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        built.append(args or kwargs)
        return create(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counted)
    return built


def test_the_plugin_alone_builds_a_tls_context_per_object(tls_contexts: list[object]) -> None:
    # the reason for openai_clients: if an upgrade stops doing this, it can go
    openai.LLM(api_key="sk-test")
    assert len(tls_contexts) == 1


def test_a_calls_providers_build_no_tls_context(tls_contexts: list[object]) -> None:
    spec = AgentSpec.model_validate(
        {
            "name": "a",
            "stt": {"provider": "openai"},
            "llm": {"provider": "openai"},
            "tts": {"provider": "openai"},
        }
    )
    served = OfflineModels(served=frozenset({"base"}), flite_path=None)
    built = [
        build_stt(spec, CLOUD, OfflineModels()),
        build_llm(spec, CLOUD),
        build_tts(spec, CLOUD, OfflineModels()),
        service_stt(SERVICE_URL, served, "base", "en", None),
        service_tts(SERVICE_URL, speed=1.0),
        service_llm(SERVICE_URL, temperature=0.7),
    ]
    assert len(built) == 6
    assert tls_contexts == []


def test_the_clients_options_are_the_plugins_own() -> None:
    plugins = openai.LLM(api_key="sk-test")._client
    ours = openai_clients.client(api_key="sk-test")
    assert ours.max_retries == plugins.max_retries == 0
    assert ours.base_url == plugins.base_url
    for name in ("timeout", "follow_redirects"):
        assert getattr(ours._client, name) == getattr(plugins._client, name), name
    ours_pool = ours._client._transport._pool  # type: ignore[attr-defined]
    plugins_pool = plugins._client._transport._pool  # type: ignore[attr-defined]
    for name in ("_max_connections", "_max_keepalive_connections", "_keepalive_expiry"):
        assert getattr(ours_pool, name) == getattr(plugins_pool, name), name
