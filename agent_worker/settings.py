"""Configuration of one agent worker process.

Built once at the entrypoint (`voxroom worker`, `python -m agent_worker`) and passed down;
nothing else in the package reads the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "voxroom" / "models"


class WorkerSettings(BaseSettings):
    """Worker settings: `VOXROOM_WORKER_*`, plus the conventional LiveKit and provider names."""

    model_config = SettingsConfigDict(
        env_prefix="VOXROOM_WORKER_", extra="ignore", populate_by_name=True
    )

    livekit_url: str = Field(
        default="ws://127.0.0.1:7880",
        validation_alias=AliasChoices("VOXROOM_WORKER_LIVEKIT_URL", "LIVEKIT_URL"),
    )
    livekit_api_key: str = Field(
        default="devkey",
        validation_alias=AliasChoices("VOXROOM_WORKER_LIVEKIT_API_KEY", "LIVEKIT_API_KEY"),
    )
    livekit_api_secret: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("VOXROOM_WORKER_LIVEKIT_API_SECRET", "LIVEKIT_API_SECRET"),
    )

    openai_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("VOXROOM_WORKER_OPENAI_API_KEY", "OPENAI_API_KEY"),
    )
    deepgram_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("VOXROOM_WORKER_DEEPGRAM_API_KEY", "DEEPGRAM_API_KEY"),
    )
    cartesia_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("VOXROOM_WORKER_CARTESIA_API_KEY", "CARTESIA_API_KEY"),
    )
    eleven_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("VOXROOM_WORKER_ELEVEN_API_KEY", "ELEVEN_API_KEY"),
    )

    llm_base_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description=(
            "OpenAI-compatible endpoint (OpenAI, Groq, Ollama, vLLM, llama.cpp server). Setting it "
            "alone switches agents whose llm.provider is `auto` to this endpoint."
        ),
    )
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr | None = Field(
        default=None, description="Key for llm_base_url; falls back to openai_api_key."
    )

    model_cache_dir: Path = Field(default_factory=_default_cache_dir)
    whisper_models: list[str] = Field(
        default=["base"],
        description="Whisper models loaded at start (`base`, `tiny.en`); agents pick `stt.model`.",
    )
    whisper_threads: int = Field(default=2, ge=1, le=64)
    whisper_compute_type: str = "int8"
    local_llm_threads: int = Field(default=2, ge=1, le=64)

    inference_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description=(
            "The machine's inference service (`voxroom inference`, OpenAI-compatible): when set, "
            "Whisper, Piper and the local LLM of every call run there, loaded once per machine, "
            "and worker processes load none of them."
        ),
    )
    inference_host: str = "127.0.0.1"
    inference_port: int = Field(
        default=8079, ge=1, le=65535, description="Where `voxroom inference` listens."
    )
    inference_max_waiting: int = Field(
        default=32,
        ge=1,
        le=1000,
        description="Requests waiting per model; beyond, the service answers 503 + Retry-After.",
    )
    inference_max_batch: int = Field(
        default=4, ge=1, le=32, description="Whisper utterances transcribed as one batch."
    )

    job_executor: Literal["thread", "process"] = Field(
        default="thread",
        description=(
            "`thread` runs calls as threads of one process sharing one copy of the models; "
            "`process` isolates each call in its own process with its own models."
        ),
    )
    num_idle_processes: int = Field(default=1, ge=0, le=32)
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("VOXROOM_WORKER_REDIS_URL", "REDIS_URL"),
        description="The control plane's Redis, where the worker keeps its capacity heartbeat.",
    )
    capacity: int = Field(
        default=8,
        ge=1,
        le=1000,
        description=(
            "Calls this worker takes at once. It reports load = active calls / capacity, so "
            "LiveKit routes a call to the worker with most room and a full worker refuses."
        ),
    )
    http_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Health endpoint (200 once registered with LiveKit); 0 = any free port.",
    )
    http_host: str = "127.0.0.1"
    drain_timeout_s: int = Field(default=1800, ge=0)
    log_level: str = "INFO"

    report_timeout_s: float = Field(default=5.0, gt=0.0)
    report_max_attempts: int = Field(default=8, ge=1, le=100)
    report_backoff_base_s: float = Field(default=0.25, gt=0.0)
    report_backoff_max_s: float = Field(default=10.0, gt=0.0)
    tool_timeout_s: float = Field(default=10.0, gt=0.0)

    def llm_endpoint_key(self) -> str | None:
        """The key used for the OpenAI-compatible LLM, if any."""
        key = self.llm_api_key or self.openai_api_key
        return key.get_secret_value() if key is not None else None
