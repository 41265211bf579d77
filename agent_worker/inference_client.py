"""A worker's side of the machine's inference service (`inference_service`): the offline models
as livekit's openai plugin reaches any OpenAI-compatible provider, with `base_url` on loopback.

STT keeps the speculative VAD-segmented stream of `local_stt` (the transcription starts during
the end-of-speech silence); only where a segment is transcribed changes. Imported by the worker
at start: livekit plugins register on the main thread.
"""

from __future__ import annotations

import json
import time
import urllib.request

from livekit.agents import llm, tts, utils
from livekit.agents import vad as agents_vad
from livekit.agents.types import NOT_GIVEN
from livekit.plugins import openai

from . import openai_clients
from .errors import AgentError, ModelMissingError
from .local_stt import DEFAULT_SPECULATE_AFTER_S, SpeculativeSTT
from .offline_models import LOCAL_LLM_MODEL, PIPER_MODEL, OfflineModels, find_flite

_NO_KEY = "unused"
_PIPER_VOICE = "joe"


def api_base(service_url: str) -> str:
    return service_url.rstrip("/") + "/v1"


def served_models(service_url: str, *, wait_s: float = 60.0) -> OfflineModels:
    """What a worker process knows of the offline models when the service holds them: their
    names, and flite (a program each call runs itself). Blocking: for prewarm. Waits up to
    `wait_s` for a service that is (re)starting."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            names = _model_ids(service_url)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)
    models = OfflineModels(served=frozenset(names))
    try:
        models.flite_path = find_flite()
    except AgentError as exc:
        models.errors["flite"] = exc
    return models


def _model_ids(service_url: str) -> set[str]:
    request = urllib.request.Request(api_base(service_url) + "/models")  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return {entry["id"] for entry in json.load(response)["data"]}


class ServiceWhisperSTT(SpeculativeSTT):
    """Whisper on the inference service, through the openai plugin's transcription call."""

    def __init__(
        self,
        service_url: str,
        *,
        name: str,
        language: str | None = "en",
        vad: agents_vad.VAD | None = None,
        speculate_after_s: float = DEFAULT_SPECULATE_AFTER_S,
    ) -> None:
        super().__init__(name=name, language=language, vad=vad, speculate_after_s=speculate_after_s)
        self._remote = openai.STT(
            model=name,
            language=language or "en",
            api_key=_NO_KEY,
            client=openai_clients.client(api_key=_NO_KEY, base_url=api_base(service_url)),
            use_realtime=False,
        )

    @property
    def provider(self) -> str:
        return "voxroom-inference"

    async def transcribe_frames(
        self, buffer: utils.AudioBuffer, language: str | None
    ) -> tuple[str, str]:
        event = await self._remote.recognize(buffer, language=language or NOT_GIVEN)
        data = event.alternatives[0]
        return data.text, language or data.language or "en"

    async def aclose(self) -> None:
        await self._remote.aclose()
        await super().aclose()


def service_stt(
    service_url: str, models: OfflineModels, name: str, language: str, vad: agents_vad.VAD | None
) -> ServiceWhisperSTT:
    if name not in models.served:
        raise ModelMissingError(
            f"the inference service has no Whisper {name!r} (it has {sorted(models.served)})"
        )
    return ServiceWhisperSTT(service_url, name=name, language=language, vad=vad)


def service_tts(service_url: str, *, speed: float) -> tts.TTS:
    """Piper on the service: 24 kHz PCM streamed clause by clause."""
    return openai.TTS(
        model=PIPER_MODEL,
        voice=_PIPER_VOICE,
        speed=speed,
        response_format="pcm",
        api_key=_NO_KEY,
        client=openai_clients.client(api_key=_NO_KEY, base_url=api_base(service_url)),
    )


def service_llm(service_url: str, *, temperature: float) -> llm.LLM:
    return openai.LLM(
        model=LOCAL_LLM_MODEL,
        api_key=_NO_KEY,
        temperature=temperature,
        client=openai_clients.client(api_key=_NO_KEY, base_url=api_base(service_url)),
    )
