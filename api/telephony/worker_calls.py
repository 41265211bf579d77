"""What a phone call's agent asks of the control plane, with the session's report token:
a cold or warm transfer to a target of its config (its `transfer_call` tool, resolved against the
session's own config), and who answered a dial-out (answering-machine detection)."""

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
from api.sessions.tokens import token_project
from api.telephony.call_control import CallControlService
from api.telephony.call_control_schemas import (
    AnsweredReport,
    CallControlResult,
    WorkerTransferRequest,
)


async def _call_control(
    resources: Resources, request: Request[Any, Any, Any], session_id: str
) -> CallControlService:
    project_id = token_project(resources, request, session_id)
    async with resources.sessions() as db:
        project = (await db.exec(select(Project).where(Project.id == project_id))).first()
    if project is None:
        raise NotFound("Session not found")
    return CallControlService(resources, project_principal(project))


class WorkerCallController(Controller):
    path = "/internal/v1/sessions/{session_id:str}"
    tags = ["internal"]
    include_in_schema = False

    @post("/transfer", operation_id="workerTransferCall", status_code=200)
    async def transfer(
        self,
        session_id: FromPath[str],
        data: JSONBody[WorkerTransferRequest],
        request: Request[Any, Any, Any],
        resources: NamedDependency[Resources],
    ) -> CallControlResult:
        service = await _call_control(resources, request, session_id)
        await service.transfer_to_target(session_id, data.target, data.briefing)
        return CallControlResult(session_id=session_id, action="transfer")

    @post("/answered", operation_id="workerCallAnswered", status_code=204)
    async def answered(
        self,
        session_id: FromPath[str],
        data: JSONBody[AnsweredReport],
        request: Request[Any, Any, Any],
        resources: NamedDependency[Resources],
    ) -> None:
        service = await _call_control(resources, request, session_id)
        await service.record_answer(session_id, data)
