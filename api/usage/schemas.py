"""Wire models of `GET /usage` and `GET /quota`."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from api.schemas import ResponseBody


class Period(StrEnum):
    TODAY = "today"
    WEEK = "7d"
    MONTH = "30d"
    ALL = "all"


class GroupBy(StrEnum):
    DAY = "day"
    MODEL = "model"
    AGENT = "agent"
    SERVICE = "service"


class UsageTotals(ResponseBody):
    cost_usd: float = 0.0
    """Cost from the price table (`VOXROOM_USAGE_PRICES`); offline models cost 0."""
    calls: int = 0
    """Calls (sessions) started."""
    call_seconds: float = 0.0
    """Seconds of calls."""
    audio_minutes: float = Field(default=0.0, description="Speech-to-text audio, in minutes")
    input_tokens: int = 0
    """LLM prompt tokens."""
    output_tokens: int = 0
    """LLM completion tokens."""
    tts_characters: int = 0
    """Characters spoken by text-to-speech."""
    api_calls: int = 0
    """Requests to this API with the project's keys."""


class UsageTotalsNow(UsageTotals):
    active_sessions: int = Field(default=0, description="Sessions active right now")


class UsageRow(UsageTotals):
    """One group of the breakdown; only the key fields of the chosen `group_by` are set."""

    day: str | None = None
    """The UTC day (`YYYY-MM-DD`), for `group_by=day`."""
    model: str | None = Field(default=None, description="`provider/model` of the LLM")
    agent_id: str | None = None
    """The agent (`agt_...`), for `group_by=agent`."""
    agent_name: str | None = None
    """The agent's name, for `group_by=agent`."""
    service: str | None = Field(default=None, description="stt, llm, tts, calls or api")
    quantity: float | None = None
    """How much of the service was used, for `group_by=service`."""
    unit: str | None = None
    """The quantity's unit (seconds, tokens, characters, requests), for `group_by=service`."""


class UsageRead(ResponseBody):
    period: Period
    """The period asked for."""
    group_by: GroupBy
    """The grouping asked for."""
    totals: UsageTotalsNow
    """The whole period's totals."""
    breakdown: list[UsageRow]
    """The totals per group."""


class QuotaItem(ResponseBody):
    limit: float | None = Field(description="null when the plan sets no limit")
    used: float
    """How much is used now (recordings in GB)."""
    remaining: float | None
    """What is left before the limit; null when there is none."""


class QuotaRead(ResponseBody):
    plan: str
    """The project's plan (free, professional or enterprise)."""
    quotas: dict[str, QuotaItem]
    """By resource: agents, knowledge_bases, sip_configs, webhook_configs,
    concurrent_sessions, recordings_gb."""
