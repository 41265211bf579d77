"""Cold transfer asked for by a call's agent (its `transfer_call` tool), with the session's
report token: the target is named, and resolved against the session's own agent config."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlmodel import select

from api.errors import NotFound
from api.projects.models import Project
from api.projects.services import project_principal
from api.resources import Resources
from api.sessions.tokens import session_from_token
from api.telephony.call_control import CallControlService
from api.telephony.call_control_schemas import CallControlResult, WorkerTransferRequest


class WorkerTransferController(Controller):
    path = "/internal/v1"
    tags = ["internal"]
    include_in_schema = False

    @post("/sessions/{session_id:str}/transfer", operation_id="workerTransferCall", status_code=200)
    async def transfer(
        self,
        session_id: FromPath[str],
        data: JSONBody[WorkerTransferRequest],
        request: Request[Any, Any, Any],
        resources: NamedDependency[Resources],
    ) -> CallControlResult:
        token_session, project_id = session_from_token(resources, request)
        if token_session != session_id:
            raise NotFound("Session not found")
        async with resources.sessions() as db:
            project = (await db.exec(select(Project).where(Project.id == project_id))).first()
        if project is None:
            raise NotFound("Session not found")
        service = CallControlService(resources, project_principal(project))
        await service.transfer_to_target(session_id, data.target)
        return CallControlResult(session_id=session_id, action="transfer")
