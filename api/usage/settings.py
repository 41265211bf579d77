"""Prices and plan quotas, read from `VOXROOM_USAGE_*` at the entrypoint."""

from __future__ import annotations

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

QUOTA_KINDS = (
    "agents",
    "knowledge_bases",
    "sip_configs",
    "webhook_configs",
    "concurrent_sessions",
    "recordings_gb",
)


class PriceTable(BaseModel):
    """List prices in USD by provider; a provider missing here (every offline model, and
    `auto`, which the worker does not yet resolve in its reports) costs 0."""

    llm_per_million_tokens: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: {"openai": (0.15, 0.60)}  # (input, output), gpt-4o-mini
    )
    stt_per_minute: dict[str, float] = Field(
        default_factory=lambda: {"openai": 0.006, "deepgram": 0.0043}
    )
    tts_per_million_chars: dict[str, float] = Field(
        default_factory=lambda: {"openai": 15.0, "cartesia": 50.0, "elevenlabs": 180.0}
    )
    call_per_minute: float = Field(default=0.0, ge=0)
    """Media cost of a call minute: 0 on self-hosted LiveKit."""

    def llm(self, provider: str | None, input_tokens: int, output_tokens: int) -> float:
        rate_in, rate_out = self.llm_per_million_tokens.get(provider or "", (0.0, 0.0))
        return (input_tokens * rate_in + output_tokens * rate_out) / 1_000_000

    def stt(self, provider: str | None, audio_seconds: float) -> float:
        return self.stt_per_minute.get(provider or "", 0.0) * audio_seconds / 60

    def tts(self, provider: str | None, characters: int) -> float:
        return self.tts_per_million_chars.get(provider or "", 0.0) * characters / 1_000_000

    def call(self, seconds: float) -> float:
        return self.call_per_minute * seconds / 60


def _plans() -> dict[str, dict[str, float]]:
    return {
        "free": {
            "agents": 25,
            "knowledge_bases": 10,
            "sip_configs": 2,
            "webhook_configs": 10,
            "concurrent_sessions": 25,
            "recordings_gb": 1,
        },
        "professional": {
            "agents": 100,
            "knowledge_bases": 50,
            "sip_configs": 10,
            "webhook_configs": 25,
            "concurrent_sessions": 100,
            "recordings_gb": 100,
        },
        "enterprise": {
            "agents": 1000,
            "knowledge_bases": 500,
            "sip_configs": 100,
            "webhook_configs": 100,
            "concurrent_sessions": 1000,
            "recordings_gb": 1000,
        },
    }


class UsageSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VOXROOM_USAGE_", extra="ignore")

    prices: PriceTable = Field(default_factory=PriceTable)
    plans: dict[str, dict[str, float]] = Field(default_factory=_plans)
    """Quota limits by plan; a kind missing from a plan is unlimited."""
    meter_flush_s: float = Field(default=1.0, gt=0)
    """API calls are counted in memory and added to the database this often."""
    quota_lock_s: float = Field(default=30.0, gt=0)
    """Longest a creating request holds its project's quota lock (a crashed process's expires)."""
    quota_wait_s: float = Field(default=10.0, gt=0)
    """Longest a creating request waits for another's quota lock before a 429 RATE_LIMITED."""
