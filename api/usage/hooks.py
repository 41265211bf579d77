"""The public API's request hook: authentication, then API-call metering and plan quotas."""

from __future__ import annotations

from typing import Any

from litestar import Request

from api.auth import authenticate_request
from api.projects.schemas import Principal
from api.resources import Resources
from api.usage.meter import ApiCallMeter
from api.usage.quota import QUOTA_OPT, QuotaService
from api.usage.quota_lock import acquire, hold_until_answered

METER_STATE = "usage_meter"
"""Where the app's lifespan keeps this process's `ApiCallMeter` (`app.state`)."""


async def before_public_request(request: Request[Any, Any, Any]) -> None:
    await authenticate_request(request)
    principal: Principal = request.scope["auth"]
    meter: ApiCallMeter | None = getattr(request.app.state, METER_STATE, None)
    if meter is not None:
        meter.count(principal.project_id)
    kind = request.route_handler.opt.get(QUOTA_OPT)
    if kind:
        resources: Resources = request.app.state.resources
        # Held until the request has answered, so no other creation of this kind in the
        # project counts before this one's row is committed.
        lock = await acquire(resources.redis, resources.settings.usage, principal.project_id, kind)
        hold_until_answered(request.scope, lock)
        async with resources.sessions() as session:
            await QuotaService(session, resources.settings.usage).require(
                principal.project_id, principal.plan, kind
            )
