"""Recording uploads from the workers (internal): a call's recording is opened with the
session's report token, a room recorder's token names its recording. Chunks are PUT with
`Content-Range: bytes <first>-<last>/<total or *>`; a chunk that does not start where the
upload stands is refused with 409 and `received_bytes`, where the worker resumes."""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlmodel.ext.asyncio.session import AsyncSession

from agent_worker.contracts import (
    RecordingComplete,
    RecordingFailed,
    RecordingOpen,
    RecordingOpened,
    RecordingUploadState,
)
from api.errors import InvalidRequest, NotFound
from api.recordings.models import Recording
from api.recordings.rooms import recording_store
from api.recordings.services import RecordingService
from api.resources import Resources
from api.sessions.tokens import session_from_token, token_project

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


def _state(row: Recording) -> RecordingUploadState:
    return RecordingUploadState(id=row.id, received_bytes=row.received_bytes, status=row.status)


class WorkerRecordingController(Controller):
    path = "/internal/v1"
    tags = ["internal"]
    include_in_schema = False

    async def _owned(
        self, request: Request[Any, Any, Any], resources: Resources, db: AsyncSession, rid: str
    ) -> tuple[RecordingService, Recording]:
        subject, project_id = session_from_token(resources, request)
        service = RecordingService(db, recording_store(resources))
        return service, await service.for_token(subject, project_id, rid)

    @post(
        "/sessions/{session_id:str}/recordings", operation_id="openCallRecording", status_code=200
    )
    async def open_call(
        self,
        session_id: FromPath[str],
        data: JSONBody[RecordingOpen],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
    ) -> RecordingOpened:
        project_id = token_project(resources, request, session_id)
        existing = await db_session.get(Recording, data.id)
        if existing is not None:
            if existing.session_id != session_id:
                raise NotFound("Recording not found")
            return RecordingOpened(id=existing.id)
        service = RecordingService(db_session, recording_store(resources))
        row = await service.open_call(project_id, session_id, data.format, data.channels, data.id)
        return RecordingOpened(id=row.id)

    @get("/recordings/{recording_id:str}/upload", operation_id="recordingUploadState")
    async def upload_state(
        self,
        recording_id: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
    ) -> RecordingUploadState:
        _, row = await self._owned(request, resources, db_session, recording_id)
        return _state(row)

    @post("/recordings/{recording_id:str}/started", operation_id="recorderStarted", status_code=200)
    async def started(
        self,
        recording_id: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
    ) -> RecordingUploadState:
        service, row = await self._owned(request, resources, db_session, recording_id)
        return _state(await service.mark_recording(row))

    @put("/recordings/{recording_id:str}/content", operation_id="uploadRecordingChunk")
    async def upload_chunk(
        self,
        recording_id: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
    ) -> RecordingUploadState:
        service, row = await self._owned(request, resources, db_session, recording_id)
        match = _CONTENT_RANGE.match(request.headers.get("content-range", ""))
        data = await request.body()
        if match is None:
            raise InvalidRequest("Content-Range must be `bytes <first>-<last>/<total or *>`")
        first, last = int(match.group(1)), int(match.group(2))
        if last - first + 1 != len(data):
            raise InvalidRequest(
                "Content-Range does not match the body's length", details={"length": len(data)}
            )
        await service.append(row, first, data, resources.settings.usage)
        return _state(row)

    @post(
        "/recordings/{recording_id:str}/complete", operation_id="completeRecording", status_code=200
    )
    async def complete(
        self,
        recording_id: FromPath[str],
        data: JSONBody[RecordingComplete],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
    ) -> RecordingUploadState:
        service, row = await self._owned(request, resources, db_session, recording_id)
        row = await service.complete(
            row, data.size_bytes, data.duration_s, data.channels, data.channel_identities
        )
        return _state(row)

    @post("/recordings/{recording_id:str}/fail", operation_id="failRecording", status_code=200)
    async def fail(
        self,
        recording_id: FromPath[str],
        data: JSONBody[RecordingFailed],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
    ) -> RecordingUploadState:
        service, row = await self._owned(request, resources, db_session, recording_id)
        return _state(await service.fail(row, data.error))
