"""Wire models of `GET /usage` and `GET /quota`."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


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


class UsageTotals(BaseModel):
    cost_usd: float = 0.0
    calls: int = 0
    call_seconds: float = 0.0
    audio_minutes: float = Field(default=0.0, description="Speech-to-text audio, in minutes")
    input_tokens: int = 0
    output_tokens: int = 0
    tts_characters: int = 0
    api_calls: int = 0


class UsageTotalsNow(UsageTotals):
    active_sessions: int = Field(default=0, description="Sessions active right now")


class UsageRow(UsageTotals):
    """One group of the breakdown; only the key fields of the chosen `group_by` are set."""

    day: str | None = None
    model: str | None = Field(default=None, description="`provider/model` of the LLM")
    agent_id: str | None = None
    agent_name: str | None = None
    service: str | None = Field(default=None, description="stt, llm, tts, calls or api")
    quantity: float | None = None
    unit: str | None = None


class UsageRead(BaseModel):
    period: Period
    group_by: GroupBy
    totals: UsageTotalsNow
    breakdown: list[UsageRow]


class QuotaItem(BaseModel):
    limit: float | None = Field(description="null when the plan sets no limit")
    used: float
    remaining: float | None


class QuotaRead(BaseModel):
    plan: str
    quotas: dict[str, QuotaItem]
