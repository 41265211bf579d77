"""Public routes of recordings: list, get, download (HTTP Range), delete, and room recordings
on demand."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, Schema
from litestar.params import HeaderParameter, JSONBody, QueryParameter
from litestar.response import Stream
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth import READ, WRITE
from api.errors import ApiError, Conflict
from api.openapi import errors
from api.pagination import Page, page_body, provide_page
from api.projects.schemas import Principal
from api.recordings.rooms import RoomRecordings, recording_store
from api.recordings.schemas import (
    RecordingEnvelope,
    RecordingId,
    RecordingList,
    RecordingsStopped,
    RecordingStart,
    RecordingStatus,
    RecordingStop,
)
from api.recordings.services import RecordingService, recording_read
from api.recordings.storage import MEDIA_TYPES
from api.resources import Resources
from api.rooms.controllers import RoomName
from api.rooms.naming import project_room_name


class RangeNotSatisfiable(ApiError):
    status_code = 416
    code = "INVALID_REQUEST"


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int
    """Inclusive."""


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one byte range a `Range` header asks for (None: the whole file). A header this
    server does not read (several ranges, another unit, bad syntax) is ignored, as RFC 9110
    allows; a range outside the file raises 416."""
    match = _RANGE.match(header.strip()) if header else None
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(size)
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None
    if start >= size:
        raise _unsatisfiable(size)
    return ByteRange(start, end)


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(
        "The range is outside the file",
        details={"size_bytes": size},
        headers={"Content-Range": f"bytes */{size}"},
    )


@dataclass
class _DownloadOperation(Operation):
    """The download's document: audio bodies (whole or one range) instead of JSON."""

    def __post_init__(self) -> None:
        audio = {
            media_type: OpenAPIMediaType(schema=Schema(type="string", format="binary"))  # type: ignore[arg-type]
            for media_type in MEDIA_TYPES.values()
        }
        self.responses = {
            **(self.responses or {}),
            "200": OpenAPIResponse(description="The whole file", content=audio),
            "206": OpenAPIResponse(
                description="The requested byte range (`Content-Range` says which)",
                content=audio,
            ),
        }


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
        operation_class=_DownloadOperation,
    )
    async def download(
        self,
        recording_id: RecordingId,
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
        byte_range: Annotated[
            str | None,
            HeaderParameter(
                name="Range",
                max_length=200,
                description="One byte range, `bytes=<first>-<last>` (`bytes=100-`, `bytes=-500`): "
                "answered 206 with `Content-Range`, or 416 outside the file",
            ),
        ] = None,
    ) -> Stream:
        """The audio file (`audio/ogg`, `audio/wav` or `audio/mp4`); 409 until it is ready."""
        store = recording_store(resources)
        row = await RecordingService(db_session, store).get(principal.project_id, recording_id)
        size = (
            await store.size(row.project_id, row.id, row.format) if row.status == "ready" else None
        )
        if size is None:
            raise Conflict("The recording is not ready", details={"status": row.status})
        wanted = parse_range(byte_range, size)
        headers = {
            "Accept-Ranges": "bytes",
            "Content-Disposition": f'attachment; filename="{row.id}.{row.format}"',
        }
        if wanted is None:
            start, end, status = 0, size - 1, 200
        else:
            start, end, status = wanted.start, wanted.end, 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        headers["Content-Length"] = str(max(0, end - start + 1))
        return Stream(
            store.read(row.project_id, row.id, row.format, start, end),
            media_type=MEDIA_TYPES[row.format],
            status_code=status,
            headers=headers,
        )

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
        """Record the room's audio (every participant, mixed): a recorder joins within about
        two seconds and writes until stopped, the room ends, or its worker drains."""
        recording = await RoomRecordings(resources, principal).start(room, data.format)
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
