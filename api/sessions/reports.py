"""Worker reports: a worker posts its session's events (turns, usage, start, end) here, renews
its session's lease while the call runs, and (when it takes over a call whose worker died)
reads the transcript so far (with that of the calls before, when a caller reconnected to
continue a conversation)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlmodel.ext.asyncio.session import AsyncSession

from agent_worker.contracts import TranscriptSoFar, TranscriptSoFarLine, WorkerReport
from api.calls.leases import renew_lease
from api.resources import Resources
from api.sessions.schemas import EventsAccepted
from api.sessions.services import SessionService
from api.sessions.tokens import token_project


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
        project_id = token_project(resources, request, session_id)
        return await SessionService(db_session).apply_worker_events(
            project_id, session_id, list(data.events)
        )

    @post("/sessions/{session_id:str}/lease", operation_id="renewSessionLease", status_code=204)
    async def lease(
        self,
        session_id: FromPath[str],
        request: Request[Any, Any, Any],
        resources: NamedDependency[Resources],
    ) -> None:
        """The session's agent is alive; a lease left to expire means its worker died."""
        token_project(resources, request, session_id)
        await renew_lease(resources, session_id)

    @get("/sessions/{session_id:str}/transcript", operation_id="workerSessionTranscript")
    async def transcript(
        self,
        session_id: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
    ) -> TranscriptSoFar:
        project_id = token_project(resources, request, session_id)
        lines = await SessionService(db_session).conversation_so_far(project_id, session_id)
        return TranscriptSoFar(
            lines=[
                TranscriptSoFarLine(role=line.speaker, text=line.content)  # type: ignore[arg-type]
                for line in lines
                if line.speaker in ("user", "agent", "system", "supervisor")
            ]
        )
