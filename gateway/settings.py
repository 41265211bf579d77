"""Gateway settings, read once at the entrypoint (`voxroom gateway`) and passed down."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.contracts import DEFAULT_PORT, SECRET_ENV

SECRETS_FILE = ".voxroom/secrets.env"
"""Where `voxroom up` keeps the installation's secrets (the shared gateway secret too)."""


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VOXROOM_GATEWAY_",
        env_file=(".env", SECRETS_FILE),
        extra="ignore",
        populate_by_name=True,
    )

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    gateway_id: str = Field(default="gateway-1", validation_alias="VOXROOM_GATEWAY_ID")
    """Stable across restarts: the control plane ends the calls this id owned when it restarts."""
    control_plane_url: str = Field(
        default="http://127.0.0.1:8000",
        validation_alias=AliasChoices(
            "VOXROOM_GATEWAY_CONTROL_PLANE_URL", "VOXROOM_PUBLIC_API_URL"
        ),
    )
    secret: SecretStr = Field(default=SecretStr(""), validation_alias=SECRET_ENV)
    max_frame_bytes: int = 64 * 1024
    """Largest WebSocket message accepted (2 s of PCM16 at 16 kHz is 64 000 bytes)."""
    max_connections_per_key: int = 10
    """Concurrent `/ws/voice?api_key=` connections per key in this process (then 4029)."""
    wav_chunk_ms: int = 100
    """Agent audio is sent as one WAV message per this much audio (and at each utterance end)."""
    mp3_chunk_ms: int = 1000
    """MP3 messages are longer: each is a standalone MP3 and carries the encoder's padding."""
    start_timeout_s: float = 15.0
    """How long a Twilio stream has to send `start`, and the room join may take."""
    control_plane_timeout_s: float = 10.0

    def require_secret(self) -> str:
        secret = self.secret.get_secret_value()
        if len(secret) < 32:
            raise ValueError(
                f"{SECRET_ENV} must be set and at least 32 characters "
                "(voxroom up writes one to .voxroom/secrets.env on first run)"
            )
        return secret
