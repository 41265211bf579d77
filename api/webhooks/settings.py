"""Settings of outgoing webhooks, read from `VOXROOM_WEBHOOK_*` at the entrypoint."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SVIX_SCHEDULE_S = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
"""Delay before each attempt (Svix's schedule): immediately, then 5 s ... 10 h, 10 h."""


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VOXROOM_WEBHOOK_", extra="ignore")

    url_allowlist: list[str] = Field(default_factory=list)
    """`host` or `host:port` entries that skip the private-address check (local receivers).
    Empty by default; tests list their own 127.0.0.1 receiver."""
    retry_schedule_s: list[float] = Field(default_factory=lambda: list(SVIX_SCHEDULE_S))
    retry_scale: float = Field(default=1.0, gt=0, le=1.0)
    """Multiplies every delay of the schedule, `Retry-After` and the disable period (tests
    shorten them all with one number)."""
    timeout_s: float = Field(default=15.0, gt=0, le=60)
    """A 2xx must arrive within this time to count as delivered."""
    disable_after_s: float = Field(default=5 * 24 * 3600.0, gt=0)
    """An endpoint failing without a single success for this long is disabled."""
    rotation_grace_s: float = Field(default=24 * 3600.0, ge=0)
    """After a rotation, deliveries carry the old secret's signature too for this long."""
    max_retry_after_s: float = Field(default=24 * 3600.0, gt=0)
    poll_interval_s: float = Field(default=0.5, gt=0)
    """How often the delivery worker looks for due deliveries when nothing woke it."""
    batch_size: int = Field(default=100, gt=0, le=1000)
    lease_s: float = Field(default=60.0, gt=0)
    """A claimed delivery is another replica's again after this long (its claimer died)."""
    max_in_flight: int = Field(default=200, gt=0)
    retention_s: float = Field(default=30 * 24 * 3600.0, gt=0)
    """Finished deliveries (and their attempts) are deleted this long after they were queued."""
    cleanup_interval_s: float = Field(default=3600.0, gt=0)
