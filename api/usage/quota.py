"""Plan quotas: what a project may hold at once, checked before anything is created.

Routes that create a counted thing declare it in their `opt` (`opt=WRITE | quota("agents")`);
the public API's request hook checks it after authentication, under the project's lock for
that kind held until the request has answered (`quota_lock`), so concurrent creations never
pass a limit. A service that counts and creates itself holds `quota_lock.quota_lock` around
both.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.agents.models import AgentConfig
from api.errors import QuotaExceeded
from api.recordings.services import stored_gb
from api.sessions.models import CallSession
from api.telephony.models import SipPhoneLine
from api.usage.schemas import QuotaItem, QuotaRead
from api.usage.settings import QUOTA_KINDS, UsageSettings
from api.webhooks.models import WebhookEndpoint
from kb.models import KnowledgeBase

QUOTA_OPT = "quota"


def quota(kind: str) -> dict[str, str]:
    """A route's `opt` entry: creating through it counts against the plan's `kind` quota."""
    assert kind in QUOTA_KINDS, kind  # noqa: S101 - a typo here is a programming error
    return {QUOTA_OPT: kind}


async def _count(session: AsyncSession, model: type[SQLModel], project_id: str, *where: Any) -> int:
    statement = (
        select(func.count())
        .select_from(model)
        .where(
            model.project_id == project_id,  # type: ignore[attr-defined]
            *where,
        )
    )
    return int((await session.exec(statement)).one())


Counter = Callable[[AsyncSession, str], Awaitable[float]]

COUNTERS: dict[str, Counter] = {
    "agents": lambda s, p: _count(s, AgentConfig, p),
    "knowledge_bases": lambda s, p: _count(s, KnowledgeBase, p),
    "sip_configs": lambda s, p: _count(s, SipPhoneLine, p),
    "webhook_configs": lambda s, p: _count(s, WebhookEndpoint, p),
    "concurrent_sessions": lambda s, p: _count(
        s, CallSession, p, col(CallSession.status) == "active"
    ),
    "recordings_gb": stored_gb,
}
"""How much of each quota a project uses (`sip_configs` are phone lines, `/sip/configs`;
`recordings_gb` is the recording files' size, uploads under way included)."""


class QuotaService:
    def __init__(self, session: AsyncSession, settings: UsageSettings) -> None:
        self.session = session
        self.settings = settings

    def limit(self, plan: str, kind: str) -> float | None:
        return self.settings.plans.get(plan, {}).get(kind)

    async def used(self, project_id: str, kind: str) -> float:
        counter = COUNTERS.get(kind)
        return await counter(self.session, project_id) if counter else 0

    async def require(self, project_id: str, plan: str, kind: str, adding: int = 1) -> None:
        """Refuse with 429 QUOTA_EXCEEDED if `adding` more would pass the plan's limit."""
        limit = self.limit(plan, kind)
        if limit is None:
            return
        used = await self.used(project_id, kind)
        if used + adding > limit:
            raise QuotaExceeded(
                f"The {plan} plan allows {_number(limit)} {kind.replace('_', ' ')}",
                details={"quota": kind, "plan": plan, "limit": _number(limit), "used": used},
            )

    async def report(self, project_id: str, plan: str) -> QuotaRead:
        quotas: dict[str, QuotaItem] = {}
        for kind in QUOTA_KINDS:
            limit = self.limit(plan, kind)
            used = await self.used(project_id, kind)
            quotas[kind] = QuotaItem(
                limit=_number(limit) if limit is not None else None,
                used=used,
                remaining=max(0, _number(limit) - used) if limit is not None else None,
            )
        return QuotaRead(plan=plan, quotas=quotas)


def _number(value: float) -> float:
    """Whole limits read as integers on the wire (`5`, not `5.0`)."""
    return int(value) if math.isfinite(value) and value == int(value) else value
