"""Wire models of scheduled outbound calls (`/sip/scheduled`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from litestar.params import PathParameter

from api.pagination import Paginated
from api.schemas import ResponseBody

ScheduledCallId = Annotated[
    str, PathParameter(description="The scheduled call's id (`call_...`, the call's own id)")
]
ScheduledStatus = Literal["scheduled", "dialing", "dialed", "failed", "cancelled"]


class ScheduledCallRead(ResponseBody):
    id: str
    """The id the call has once dialled (`call_...`)."""
    phone_number: str
    """The number to call."""
    agent_config_id: str | None
    """The agent that will talk, if any."""
    trunk_id: str | None
    """The outbound trunk named in the request, if any."""
    scheduled_at: datetime
    """When it is (or was) due."""
    status: ScheduledStatus
    """scheduled (waiting), dialing, dialed (see the call's session and `call.status`
    events), failed (see `error`) or cancelled."""
    error: str | None
    """Why dialling failed: the error code a direct dial would have answered."""
    created_at: datetime
    """When it was scheduled."""


class ScheduledCallEnvelope(ResponseBody):
    scheduled_call: ScheduledCallRead
    """The scheduled call."""


class ScheduledCallList(Paginated):
    scheduled_calls: list[ScheduledCallRead]
    """This page's scheduled calls, soonest first."""
