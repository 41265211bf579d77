"""Voice sessions and the media gateway's side in the control plane (`VOXROOM_VOICE_*`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class VoiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VOXROOM_VOICE_", extra="ignore")

    ticket_ttl_s: int = Field(default=60, ge=5, le=3600)
    """How long a `joinUrl` or Twilio stream ticket may wait to be used (once)."""
    history_ttl_s: int = Field(default=24 * 3600, ge=60)
    """How long after a conversation's last call a reconnect with its history key continues
    it."""
    end_grace_s: float = Field(default=8.0, ge=0)
    """After the caller hung up or the call's time ran out, how long the agent has to close
    its session itself (with its last turns) before the control plane closes it."""
    llm_models: dict[str, str] = Field(default_factory=dict)
    """LLM model per `/config` provider tier (e.g. `{"advanced": "gpt-4o"}`) for agents on an
    OpenAI-compatible LLM; a tier without an entry runs the agent's own model."""
