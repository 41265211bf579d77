"""Settings of the telephony library, built once at the entrypoint and passed down."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sip.policy import HIGH_COST_PREFIXES, DiallingPolicy


class SipSettings(BaseSettings):
    """The livekit-sip bridge and the outbound dialling policy, from `VOXROOM_SIP_*`."""

    model_config = SettingsConfigDict(env_prefix="VOXROOM_SIP_", extra="ignore")

    enabled: bool = False
    """Start livekit-sip with the platform (`voxroom up --sip` turns it on too)."""
    port: int = Field(default=5060, ge=1, le=65535)
    """SIP signalling port (UDP and TCP)."""
    listen_ip: str = "127.0.0.1"
    public_ip: str = "127.0.0.1"
    """The address livekit-sip announces in SIP and SDP (its `nat_1_to_1_ip`): its own local
    address lookup skips loopback, so it must be set even for a loopback-only install."""
    rtp_port_start: int = Field(default=10000, ge=1024, le=65535)
    rtp_port_end: int = Field(default=10999, ge=1024, le=65535)
    health_port: int = Field(default=5081, ge=1, le=65535)
    max_cpu_utilization: float = Field(default=1.0, gt=0.0, le=1.0)
    """livekit-sip refuses calls above this CPU share (default 0.9, and it silently falls back
    to 0.9 for values above 1): local speech models keep a small machine busy, so allow all."""
    max_active_calls: int = Field(default=0, ge=0)
    """0 = no limit."""
    log_level: str = "info"
    ringing_timeout_s: int = Field(default=30, ge=1, le=120)
    """How long an outbound call rings before it is given up as `no_answer` (a dial request
    may set its own)."""

    dial_refused_prefixes: list[str] = Field(default_factory=lambda: list(HIGH_COST_PREFIXES))
    """E.164 prefixes no project may call (on top of premium-rate and shared-cost numbers)."""
    max_concurrent_outbound_calls: int = Field(default=5, ge=0, le=10_000)
    """Per project: the default and the most a project may set."""
    max_daily_outbound_minutes: int = Field(default=600, ge=0, le=1_000_000)
    """Per project and UTC day: the default and the most a project may set."""

    @model_validator(mode="after")
    def _rtp_range(self) -> SipSettings:
        if self.rtp_port_end <= self.rtp_port_start:
            raise ValueError("rtp_port_end must be greater than rtp_port_start")
        return self

    def dialling_policy(
        self,
        allowed_prefixes: list[str],
        max_concurrent_calls: int | None = None,
        max_daily_minutes: int | None = None,
    ) -> DiallingPolicy:
        """A project's policy: its own allowlist and caps, bounded by this operator's."""
        concurrent = self.max_concurrent_outbound_calls
        daily = self.max_daily_outbound_minutes
        return DiallingPolicy.build(
            allowed_prefixes,
            self.dial_refused_prefixes,
            max_concurrent_calls=concurrent
            if max_concurrent_calls is None
            else min(concurrent, max_concurrent_calls),
            max_daily_minutes=daily if max_daily_minutes is None else min(daily, max_daily_minutes),
        )
