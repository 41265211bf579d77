"""`GET /usage` and `GET /quota` (seeds 000 and 002)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth import READ
from api.projects.schemas import Principal
from api.resources import Resources
from api.usage.quota import QuotaService
from api.usage.schemas import GroupBy, Period, QuotaRead, UsageRead
from api.usage.services import UsageService


class UsageController(Controller):
    path = "/"
    tags = ["usage"]

    @get("/usage", operation_id="getUsage", opt=READ)
    async def usage(
        self,
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
        period: Annotated[
            Period, QueryParameter(description="today (UTC), the last 7 or 30 days, or all")
        ] = Period.MONTH,
        group_by: Annotated[
            GroupBy, QueryParameter(description="How the breakdown is grouped")
        ] = GroupBy.DAY,
    ) -> UsageRead:
        """Calls, metered usage (STT audio, LLM tokens, TTS characters, call time) with its
        cost from the price table (offline models cost 0), and public API calls."""
        service = UsageService(db_session, resources.settings.usage.prices)
        return await service.usage(principal.project_id, period, group_by)

    @get("/quota", operation_id="getQuota", opt=READ)
    async def quota(
        self,
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> QuotaRead:
        """The plan's limits, what the project uses of each, and what remains."""
        service = QuotaService(db_session, resources.settings.usage)
        return await service.report(principal.project_id, principal.plan)
