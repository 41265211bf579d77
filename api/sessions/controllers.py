from __future__ import annotations

from typing import Annotated

from litestar import Controller, MediaType, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth import READ, WRITE
from api.calls.services import CallService
from api.openapi import errors
from api.pagination import Page, page_body, provide_page
from api.projects.schemas import Principal
from api.recordings.rooms import recording_store
from api.recordings.services import RecordingService
from api.resources import Resources
from api.sessions.schemas import (
    ActiveSessionRoom,
    SessionCreate,
    SessionDetail,
    SessionEnd,
    SessionEnvelope,
    SessionId,
    SessionList,
    SessionStatus,
    Transcript,
    TranscriptCreate,
    TranscriptLine,
)
from api.sessions.services import SessionService, session_read
from api.usage.quota import quota
from api.validation import parse_timestamp


class SessionController(Controller):
    path = "/sessions"
    tags = ["sessions"]
    dependencies = {"paging": Provide(provide_page, sync_to_thread=False)}

    @get(operation_id="listSessions", opt=READ)
    async def list_sessions(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        paging: NamedDependency[Page],
        status: Annotated[
            SessionStatus | None, QueryParameter(description="Only sessions in this status")
        ] = None,
        agent_config_id: Annotated[
            str | None, QueryParameter(description="Only this agent's sessions (`agt_...`)")
        ] = None,
        session_type: Annotated[
            str | None,
            QueryParameter(
                description="Only this type: `voice`, `sip`, `websocket`, `twilio` or `web`"
            ),
        ] = None,
        started_from: Annotated[
            str | None,
            QueryParameter(
                name="from", format="date-time", description="Started at or after (ISO 8601)"
            ),
        ] = None,
        started_to: Annotated[
            str | None,
            QueryParameter(name="to", format="date-time", description="Started before (ISO 8601)"),
        ] = None,
    ) -> SessionList:
        sessions, total = await SessionService(db_session).list_sessions(
            principal.project_id,
            paging,
            status=status,
            agent_id=agent_config_id,
            session_type=session_type,
            started_from=parse_timestamp(started_from, field="from"),
            started_to=parse_timestamp(started_to, field="to"),
        )
        return SessionList(**page_body("sessions", sessions, total, paging))

    @post(operation_id="createSession", opt=WRITE | quota("concurrent_sessions") | errors(404))
    async def create_session(
        self,
        data: JSONBody[SessionCreate],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> SessionEnvelope:
        session = await CallService(resources, principal).open_external(data)
        return SessionEnvelope(session=session)

    @get("/{session_id:str}", operation_id="getSession", opt=READ)
    async def get_session(
        self,
        session_id: SessionId,
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> SessionEnvelope:
        row = await SessionService(db_session).get(principal.project_id, session_id)
        recordings = await RecordingService(db_session, recording_store(resources)).of_session(
            principal.project_id, row.id
        )
        return SessionEnvelope(session=session_read(row), recordings=recordings)

    @get("/{session_id:str}/detail", operation_id="getSessionDetail", opt=READ)
    async def detail(
        self,
        session_id: SessionId,
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> SessionDetail:
        return await SessionService(db_session).detail(
            principal.project_id, session_id, resources.settings.usage.prices
        )

    @get("/{ref:str}/transcript", operation_id="getSessionTranscript", opt=READ)
    async def transcript(
        self,
        ref: SessionId,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
    ) -> Transcript:
        return await SessionService(db_session).transcript(principal.project_id, ref)

    @get(
        "/{session_id:str}/transcript/text",
        operation_id="getSessionTranscriptText",
        opt=READ,
        media_type=MediaType.TEXT,
    )
    async def transcript_text(
        self,
        session_id: SessionId,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
    ) -> str:
        return await SessionService(db_session).transcript_text(principal.project_id, session_id)

    @post("/{ref:str}/transcript", operation_id="addSessionTranscript", opt=WRITE)
    async def add_transcript(
        self,
        ref: ActiveSessionRoom,
        data: JSONBody[TranscriptCreate],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
    ) -> TranscriptLine:
        """`ref` is the room name (with or without the project prefix)."""
        return await SessionService(db_session).add_transcript(
            principal.project_id, principal.room_prefix, ref, data
        )

    @post("/{room:str}/end", operation_id="endSession", opt=WRITE, status_code=200)
    async def end_session(
        self,
        room: ActiveSessionRoom,
        data: JSONBody[SessionEnd],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> SessionEnvelope:
        session = await CallService(resources, principal).end_in_room(room, data)
        return SessionEnvelope(session=session)
