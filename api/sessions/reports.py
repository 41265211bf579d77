"""Worker reports: a worker posts its session's events (turns, usage, start, end) here."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlmodel.ext.asyncio.session import AsyncSession

from agent_worker.contracts import WorkerReport
from api.errors import NotFound
from api.resources import Resources
from api.sessions.schemas import EventsAccepted
from api.sessions.services import SessionService
from api.sessions.tokens import session_from_token


class WorkerReportController(Controller):
    path = "/internal/v1"
    tags = ["internal"]
    include_in_schema = False

    @post("/sessions/{session_id:str}/events", operation_id="reportSessionEvents", status_code=200)
    async def report(
        self,
        session_id: FromPath[str],
        data: JSONBody[WorkerReport],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
    ) -> EventsAccepted:
        token_session, project_id = session_from_token(resources, request)
        if token_session != session_id:
            raise NotFound("Session not found")
        return await SessionService(db_session).apply_worker_events(
            project_id, session_id, list(data.events)
        )
