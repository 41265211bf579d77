"""Public routes of recordings: list, get, download (HTTP Range), delete, and room recordings
on demand."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter
from litestar.response import Stream
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth import READ, WRITE
from api.errors import Conflict
from api.openapi import errors
from api.pagination import Page, page_body, provide_page
from api.projects.schemas import Principal
from api.recordings.downloads import (
    ByteRangeHeader,
    DownloadOperation,
    serve_recording,
    signed_url,
)
from api.recordings.rooms import RoomRecordings, recording_store
from api.recordings.schemas import (
    DownloadUrl,
    DownloadUrlRequest,
    RecordingEnvelope,
    RecordingId,
    RecordingList,
    RecordingsStopped,
    RecordingStart,
    RecordingStatus,
    RecordingStop,
)
from api.recordings.services import RecordingService, recording_read
from api.resources import Resources
from api.rooms.controllers import RoomName
from api.rooms.naming import project_room_name


class RecordingController(Controller):
    path = "/recordings"
    tags = ["recordings"]
    dependencies = {"paging": Provide(provide_page, sync_to_thread=False)}

    @get(operation_id="listRecordings", opt=READ)
    async def list_recordings(
        self,
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
        paging: NamedDependency[Page],
        room_name: Annotated[
            str | None,
            QueryParameter(
                max_length=160,
                pattern=r"^[^\x00]*$",
                description="Only this room's recordings (with or without the project prefix)",
            ),
        ] = None,
        session_id: Annotated[
            str | None,
            QueryParameter(
                max_length=40, pattern=r"^[^\x00]*$", description="Only this session's (`ses_...`)"
            ),
        ] = None,
        status: Annotated[
            RecordingStatus | None, QueryParameter(description="Only recordings in this status")
        ] = None,
    ) -> RecordingList:
        """The project's recordings, newest first."""
        service = RecordingService(db_session, recording_store(resources))
        rows, total = await service.list_recordings(
            principal.project_id,
            paging,
            room_name=project_room_name(principal.room_prefix, room_name) if room_name else None,
            session_id=session_id,
            status=status,
        )
        return RecordingList(**page_body("recordings", rows, total, paging))

    @get("/{recording_id:str}", operation_id="getRecording", opt=READ)
    async def get_recording(
        self,
        recording_id: RecordingId,
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> RecordingEnvelope:
        """One recording: its status, size and duration."""
        service = RecordingService(db_session, recording_store(resources))
        row = await service.get(principal.project_id, recording_id)
        return RecordingEnvelope(recording=recording_read(row))

    @get(
        "/{recording_id:str}/download",
        operation_id="downloadRecording",
        opt=READ | errors(409, 416),
        operation_class=DownloadOperation,
    )
    async def download(
        self,
        recording_id: RecordingId,
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
        byte_range: ByteRangeHeader = None,
    ) -> Stream:
        """The audio file (`audio/ogg`, `audio/wav` or `audio/mp4`); 409 until it is ready."""
        store = recording_store(resources)
        row = await RecordingService(db_session, store).get(principal.project_id, recording_id)
        return await serve_recording(store, row, byte_range)

    @post(
        "/{recording_id:str}/download-url",
        operation_id="createRecordingDownloadUrl",
        opt=READ | errors(409),
        status_code=200,
    )
    async def download_url(
        self,
        recording_id: RecordingId,
        data: JSONBody[DownloadUrlRequest],
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> DownloadUrl:
        """A signed URL that downloads the file without an API key until it expires (for a
        browser's audio player); 409 until the recording is ready."""
        service = RecordingService(db_session, recording_store(resources))
        row = await service.get(principal.project_id, recording_id)
        if row.status != "ready":
            raise Conflict("The recording is not ready", details={"status": row.status})
        url, expires_at = signed_url(resources, row.id, row.project_id, data.expires_in)
        return DownloadUrl(url=url, expires_at=expires_at)

    @delete("/{recording_id:str}", operation_id="deleteRecording", opt=WRITE)
    async def delete_recording(
        self,
        recording_id: RecordingId,
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> None:
        """Delete the recording: its file and its record."""
        service = RecordingService(db_session, recording_store(resources))
        await service.delete(principal.project_id, recording_id)


class RoomRecordingController(Controller):
    path = "/rooms"
    tags = ["recordings"]

    @post(
        "/{room:str}/recordings/start",
        operation_id="startRoomRecording",
        opt=WRITE | errors(429, 503),
        status_code=201,
    )
    async def start(
        self,
        room: RoomName,
        data: JSONBody[RecordingStart],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> RecordingEnvelope:
        """Record the room's audio (every participant mixed, or each on a channel of their
        own): a recorder joins within about two seconds and writes until stopped, the room
        ends, or its worker drains."""
        recording = await RoomRecordings(resources, principal).start(room, data.format, data.layout)
        return RecordingEnvelope(recording=recording)

    @post(
        "/{room:str}/recordings/stop",
        operation_id="stopRoomRecording",
        opt=WRITE | errors(503),
        status_code=200,
    )
    async def stop(
        self,
        room: RoomName,
        data: JSONBody[RecordingStop],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> RecordingsStopped:
        """Stop the room's recording (the one named by `egress_id`, else all of them); each
        becomes `ready` once its recorder has uploaded the file."""
        stopped = await RoomRecordings(resources, principal).stop(room, data.egress_id)
        return RecordingsStopped(recordings=stopped)
