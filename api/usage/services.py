"""Usage by period: calls and their metered usage (from the worker's per-turn reports, summed
on each session row) priced with the settings' price table, plus public API calls."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as columns
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.db import utcnow
from api.sessions.models import CallSession
from api.usage.models import ApiCallCount
from api.usage.schemas import GroupBy, Period, UsageRead, UsageRow, UsageTotalsNow
from api.usage.settings import PriceTable

_PERIOD_DAYS = {Period.WEEK: 7, Period.MONTH: 30}


def period_start(period: Period, now: datetime) -> datetime | None:
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period is Period.TODAY:
        return midnight
    if period is Period.ALL:
        return None
    return midnight - timedelta(days=_PERIOD_DAYS[period] - 1)


def _day(column: Any, dialect: str) -> ColumnElement[str]:
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)  # SQLite stores naive UTC text, date first


_SERVICE_ROWS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("stt", "minutes", ("audio_minutes",), ("audio_minutes",)),
    ("llm", "tokens", ("input_tokens", "output_tokens"), ("input_tokens", "output_tokens")),
    ("tts", "characters", ("tts_characters",), ("tts_characters",)),
    ("calls", "seconds", ("call_seconds",), ("calls", "call_seconds")),
    ("api", "requests", ("api_calls",), ("api_calls",)),
)
"""The `group_by=service` rows: service, unit, the totals summed as its quantity, the totals
it shows."""


class UsageService:
    def __init__(self, session: AsyncSession, prices: PriceTable) -> None:
        self.session = session
        self.prices = prices

    async def usage(self, project_id: str, period: Period, group_by: GroupBy) -> UsageRead:
        now = utcnow()
        since = period_start(period, now)
        dialect = (await self.session.connection()).dialect.name
        day = _day(col(CallSession.started_at), dialect)
        keys_by_group: dict[GroupBy, list[Any]] = {
            GroupBy.DAY: [day.label("day")],
            GroupBy.MODEL: [col(CallSession.llm_provider), col(CallSession.llm_model)],
            GroupBy.AGENT: [col(CallSession.agent_id)],
            GroupBy.SERVICE: [],
        }
        keys = keys_by_group[group_by]
        providers = [
            col(CallSession.llm_provider),
            col(CallSession.stt_provider),
            col(CallSession.tts_provider),
        ]
        group_columns = list(dict.fromkeys([*keys, *providers]))
        statement = (
            columns(
                *group_columns,
                func.max(CallSession.agent_name),
                func.count(),
                func.coalesce(func.sum(CallSession.duration_s), 0.0),
                func.coalesce(func.sum(CallSession.stt_audio_seconds), 0.0),
                func.coalesce(func.sum(CallSession.llm_prompt_tokens), 0),
                func.coalesce(func.sum(CallSession.llm_completion_tokens), 0),
                func.coalesce(func.sum(CallSession.tts_characters), 0),
            )
            .where(col(CallSession.project_id) == project_id)
            .group_by(*group_columns)
        )
        if since is not None:
            statement = statement.where(col(CallSession.started_at) >= since)
        rows: dict[tuple[Any, ...], UsageRow] = {}
        totals = UsageTotalsNow()
        service_costs = {"llm": 0.0, "stt": 0.0, "tts": 0.0, "calls": 0.0}
        connection = await self.session.connection()
        for record in (await connection.execute(statement)).all():
            values = dict(zip([str(c.key) for c in group_columns], record, strict=False))
            agent_name, calls, seconds, stt_s, tokens_in, tokens_out, chars = record[
                len(group_columns) :
            ]
            llm = self.prices.llm(values["llm_provider"], int(tokens_in), int(tokens_out))
            stt = self.prices.stt(values["stt_provider"], float(stt_s))
            tts = self.prices.tts(values["tts_provider"], int(chars))
            call = self.prices.call(float(seconds))
            for service, cost in (("llm", llm), ("stt", stt), ("tts", tts), ("calls", call)):
                service_costs[service] += cost
            key = tuple(record[: len(keys)])
            row = rows.get(key)
            if row is None:
                row = rows[key] = self._row(group_by, values, agent_name)
            for target in (row, totals):
                target.cost_usd += llm + stt + tts + call
                target.calls += int(calls)
                target.call_seconds += float(seconds)
                target.audio_minutes += float(stt_s) / 60
                target.input_tokens += int(tokens_in)
                target.output_tokens += int(tokens_out)
                target.tts_characters += int(chars)
        await self._add_live_calls(project_id, since, now, group_by, day, rows, totals)
        await self._add_api_calls(project_id, since, group_by, rows, totals)
        breakdown = (
            self._by_service(totals, service_costs)
            if group_by is GroupBy.SERVICE
            else [rows[key] for key in sorted(rows, key=lambda k: tuple(str(v) for v in k))]
        )
        for item in [*breakdown, totals]:
            item.cost_usd = round(item.cost_usd, 6)
            item.call_seconds = round(item.call_seconds, 3)
            item.audio_minutes = round(item.audio_minutes, 4)
        return UsageRead(period=period, group_by=group_by, totals=totals, breakdown=breakdown)

    @staticmethod
    def _row(group_by: GroupBy, values: dict[str, Any], agent_name: str | None) -> UsageRow:
        if group_by is GroupBy.DAY:
            return UsageRow(day=str(values["day"]))
        if group_by is GroupBy.MODEL:
            provider, model = values["llm_provider"], values["llm_model"]
            return UsageRow(model=f"{provider}/{model}" if provider else "none")
        if group_by is GroupBy.AGENT:
            return UsageRow(agent_id=values["agent_id"], agent_name=agent_name)
        return UsageRow()

    async def _add_live_calls(
        self,
        project_id: str,
        since: datetime | None,
        now: datetime,
        group_by: GroupBy,
        day: ColumnElement[str],
        rows: dict[tuple[Any, ...], UsageRow],
        totals: UsageTotalsNow,
    ) -> None:
        """Active calls have no duration yet: count the time they have run so far."""
        statement = columns(
            col(CallSession.started_at),
            day,
            col(CallSession.llm_provider),
            col(CallSession.llm_model),
            col(CallSession.agent_id),
        ).where(col(CallSession.project_id) == project_id, col(CallSession.status) == "active")
        connection = await self.session.connection()
        for started_at, started_day, provider, model, agent_id in (
            await connection.execute(statement)
        ).all():
            totals.active_sessions += 1
            if since is not None and started_at < since:
                continue
            seconds = max(0.0, (now - started_at).total_seconds())
            key: tuple[Any, ...] = {
                GroupBy.DAY: (started_day,),
                GroupBy.MODEL: (provider, model),
                GroupBy.AGENT: (agent_id,),
                GroupBy.SERVICE: (),
            }[group_by]
            for target in (rows.get(key), totals):
                if target is not None:
                    target.call_seconds += seconds
                    target.cost_usd += self.prices.call(seconds)

    async def _add_api_calls(
        self,
        project_id: str,
        since: datetime | None,
        group_by: GroupBy,
        rows: dict[tuple[Any, ...], UsageRow],
        totals: UsageTotalsNow,
    ) -> None:
        statement = select(ApiCallCount).where(ApiCallCount.project_id == project_id)
        if since is not None:
            statement = statement.where(col(ApiCallCount.day) >= since.date().isoformat())
        for counted in (await self.session.exec(statement)).all():
            totals.api_calls += counted.count
            if group_by is GroupBy.DAY:
                rows.setdefault(
                    (counted.day,), UsageRow(day=counted.day)
                ).api_calls += counted.count

    @staticmethod
    def _by_service(totals: UsageTotalsNow, costs: dict[str, float]) -> list[UsageRow]:
        return [
            UsageRow(
                service=service,
                quantity=sum(getattr(totals, name) for name in summed),
                unit=unit,
                cost_usd=costs.get(service, 0.0),
                **{name: getattr(totals, name) for name in shown},
            )
            for service, unit, summed, shown in _SERVICE_ROWS
        ]
