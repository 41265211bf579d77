"""Machine-to-machine endpoints: worker reports and LiveKit webhooks (no API keys here)."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from livekit import api as lk
from sqlmodel.ext.asyncio.session import AsyncSession

from agent_worker.contracts import WorkerReport
from api.auth import extract_api_key
from api.errors import NotFound, Unauthorized
from api.knowledge.schemas import SearchRequest, SearchResponse
from api.knowledge.services import KnowledgeService
from api.resources import Resources
from api.sessions.reconciler import schedule_room_check
from api.sessions.schemas import EventsAccepted
from api.sessions.services import SessionService
from api.sessions.tokens import verify_report_token

logger = logging.getLogger(__name__)

_WEBHOOK_SEEN_TTL_S = 24 * 3600


def session_from_token(resources: Resources, request: Request[Any, Any, Any]) -> tuple[str, str]:
    token = extract_api_key(request.scope)
    claims = (
        verify_report_token(resources.settings.require_livekit_secret(), token) if token else None
    )
    if claims is None:
        raise Unauthorized("Invalid or expired report token")
    return claims


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

    @post("/knowledge/search", operation_id="workerKnowledgeSearch", status_code=200)
    async def knowledge_search(
        self,
        data: JSONBody[SearchRequest],
        request: Request[Any, Any, Any],
        resources: NamedDependency[Resources],
    ) -> SearchResponse:
        """Knowledge search for a worker, limited to the project of its session."""
        _, project_id = session_from_token(resources, request)
        service = KnowledgeService(resources.knowledge, resources.redis)
        return SearchResponse(query=data.query, results=await service.search(project_id, data))

    @post("/livekit/webhook", operation_id="livekitWebhook", status_code=200)
    async def livekit_webhook(
        self, request: Request[Any, Any, Any], resources: NamedDependency[Resources]
    ) -> dict[str, bool]:
        settings = resources.settings
        receiver = lk.WebhookReceiver(
            lk.TokenVerifier(settings.livekit_api_key, settings.require_livekit_secret())
        )
        body = (await request.body()).decode()
        try:
            event = receiver.receive(body, request.headers.get("authorization", ""))
        except Exception as exc:
            raise Unauthorized("Invalid LiveKit webhook signature") from exc
        # LiveKit retries deliveries: act on each event id once.
        first = await resources.redis.set(f"vx:lkwh:{event.id}", 1, nx=True, ex=_WEBHOOK_SEEN_TTL_S)
        if not first:
            return {"duplicate": True}
        agent_left = (
            event.event == "participant_left"
            and event.participant.kind == lk.ParticipantInfo.Kind.AGENT
        )
        if agent_left or event.event == "room_finished":
            await schedule_room_check(resources, event.room.name)
        return {"duplicate": False}
