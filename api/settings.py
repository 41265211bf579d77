"""Control-plane settings, read once at the entrypoint and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agent_worker.settings import WorkerSettings
from api.usage.settings import UsageSettings
from api.voice.settings import VoiceSettings
from api.webhooks.settings import WebhookSettings
from kb.settings import KbSettings
from sip.settings import SipSettings

STATE_DIR = Path(".voxroom")
SECRETS_FILE = STATE_DIR / "secrets.env"


def normalize_database_url(url: str) -> str:
    """Map plain SQLAlchemy URLs to the async drivers the control plane runs on."""
    for plain, async_prefix in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgresql+psycopg://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return async_prefix + url[len(plain) :]
    return url


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VOXROOM_",
        env_file=(".env", str(SECRETS_FILE)),
        extra="ignore",
        populate_by_name=True,
    )

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_processes: int = Field(default=1, ge=1, le=32)
    """Control-plane processes sharing the listen port (`voxroom api --processes`)."""
    public_api_url: str | None = None
    """Base URL workers use to reach the control plane; derived from host and port if unset."""

    database_url: str = Field(
        default=f"sqlite+aiosqlite:///{STATE_DIR}/voxroom.db",
        validation_alias=AliasChoices("DATABASE_URL", "VOXROOM_DATABASE_URL"),
    )
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias=AliasChoices("REDIS_URL", "VOXROOM_REDIS_URL"),
    )
    livekit_url: str = Field(
        default="http://127.0.0.1:7880",
        validation_alias=AliasChoices("LIVEKIT_URL", "VOXROOM_LIVEKIT_URL"),
    )
    livekit_ws_url: str | None = None
    """URL handed to clients in token responses; derived from livekit_url if unset."""
    livekit_api_key: str = Field(
        default="voxroom",
        validation_alias=AliasChoices("LIVEKIT_API_KEY", "VOXROOM_LIVEKIT_API_KEY"),
    )
    livekit_api_secret: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("LIVEKIT_API_SECRET", "VOXROOM_LIVEKIT_API_SECRET"),
    )

    max_body_bytes: int = 1024 * 1024
    rate_limits: dict[str, int] = Field(
        default_factory=lambda: {"free": 60, "professional": 300, "enterprise": 1000}
    )
    """Requests per minute per API key, by plan."""
    anonymous_rate_limit: int = 60
    """Requests per minute per client address for requests without a valid key."""
    default_plan: str = "free"
    token_default_ttl_s: int = 600
    token_max_ttl_s: int = 3600
    idempotency_ttl_s: int = 24 * 3600
    api_key_cache_ttl_s: int = 60

    kb: KbSettings = Field(default_factory=KbSettings)
    agents: WorkerSettings = Field(default_factory=WorkerSettings)
    """Provider settings for text chat with agents (the same variables the worker reads)."""
    """Knowledge-base limits, read from `VOXROOM_KB_*`."""
    sip: SipSettings = Field(default_factory=SipSettings)
    """livekit-sip and the outbound dialling policy, read from `VOXROOM_SIP_*`."""
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    """Outgoing webhooks: retry schedule, timeouts, URL allowlist (`VOXROOM_WEBHOOK_*`)."""
    usage: UsageSettings = Field(default_factory=UsageSettings)
    """Price table and plan quotas (`VOXROOM_USAGE_*`)."""
    voice: VoiceSettings = Field(default_factory=VoiceSettings)
    """Voice sessions, join tickets and conversation history (`VOXROOM_VOICE_*`)."""
    gateway_secret: SecretStr = SecretStr("")
    """`VOXROOM_GATEWAY_SECRET`, shared with the media gateway: it authorizes the gateway's
    internal calls (`/internal/v1/gateway/...`); unset, they are all refused."""
    gateway_public_url: str = "ws://127.0.0.1:8090"
    """`VOXROOM_GATEWAY_PUBLIC_URL`: where clients reach the media gateway; `joinUrl` and the
    TwiML `<Stream url>` are built from it."""
    twilio_auth_token: SecretStr = SecretStr("")
    """`VOXROOM_TWILIO_AUTH_TOKEN`: when set, `POST /twilio/voice` checks Twilio's
    `X-Twilio-Signature` with it."""
    url_refresh_check_s: float = 60.0
    dispatch_check_s: float = 20.0
    """How long an agent has to join a dispatched call before it is dispatched again."""
    check_worker_capacity: bool = False
    """Refuse a call that needs an agent (503, Retry-After) when no worker's heartbeat in Redis
    shows a free slot. `voxroom up` turns it on; off, such a call waits in its room."""
    no_show_timeout_s: float = 120.0
    """How long a caller has to join a call started for them before its session fails."""

    recordings_dir: Path = STATE_DIR / "recordings"
    """Where recording files live (only the control plane writes here; workers upload)."""
    retention_check_s: float = 3600.0
    """How often recordings and transcripts past their agent's `privacy.retention_days` are
    purged."""

    state_dir: Path = STATE_DIR
    bin_dir: Path = Path.home() / ".cache" / "voxroom" / "bin"

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return normalize_database_url(value)

    @property
    def api_base_url(self) -> str:
        return self.public_api_url or f"http://{self.api_host}:{self.api_port}"

    @property
    def client_ws_url(self) -> str:
        if self.livekit_ws_url:
            return self.livekit_ws_url
        return self.livekit_url.replace("https://", "wss://").replace("http://", "ws://")

    def require_livekit_secret(self) -> str:
        secret = self.livekit_api_secret.get_secret_value()
        if len(secret) < 32:
            raise ValueError(
                "LIVEKIT_API_SECRET must be set and at least 32 characters "
                "(voxroom up writes one to .voxroom/secrets.env on first run)"
            )
        return secret
