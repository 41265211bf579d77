"""Serving recording files: one byte range per request (HTTP Range), and signed URLs that
expire, for browsers and players that cannot send an API key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, Schema
from litestar.params import HeaderParameter, QueryParameter
from litestar.response import Stream
from sqlmodel.ext.asyncio.session import AsyncSession

from api.errors import ApiError, Conflict, NotFound
from api.openapi import errors
from api.recordings.models import Recording
from api.recordings.rooms import recording_store
from api.recordings.schemas import RecordingId
from api.recordings.storage import MEDIA_TYPES, RecordingStore
from api.resources import Resources

ByteRangeHeader = Annotated[
    str | None,
    HeaderParameter(
        name="Range",
        max_length=200,
        description="One byte range, `bytes=<first>-<last>` (`bytes=100-`, `bytes=-500`): "
        "answered 206 with `Content-Range`, or 416 outside the file",
    ),
]


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
class DownloadOperation(Operation):
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


async def serve_recording(store: RecordingStore, row: Recording, byte_range: str | None) -> Stream:
    """The file, whole (200) or the one range asked for (206); 409 until it is ready."""
    size = await store.size(row.project_id, row.id, row.format) if row.status == "ready" else None
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


def _url_key(livekit_secret: str) -> bytes:
    # Derived, so a URL signature can never pass as a token of any other kind.
    return hmac.new(livekit_secret.encode(), b"voxroom recording urls", hashlib.sha256).digest()


def _signature(livekit_secret: str, recording_id: str, project_id: str, expires: int) -> str:
    message = f"{recording_id}.{project_id}.{expires}".encode()
    digest = hmac.new(_url_key(livekit_secret), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def signed_url(
    resources: Resources, recording_id: str, project_id: str, expires_in_s: int
) -> tuple[str, datetime]:
    expires = int(time.time()) + expires_in_s
    signature = _signature(
        resources.settings.require_livekit_secret(), recording_id, project_id, expires
    )
    url = (
        f"{resources.settings.api_base_url}/api/v1/recordings/{recording_id}/file"
        f"?expires={expires}&signature={signature}"
    )
    return url, datetime.fromtimestamp(expires, UTC)


class SignedDownloadController(Controller):
    """Downloads by signed URL, without an API key (the signature names the project)."""

    path = "/api/v1/recordings"
    tags = ["recordings"]

    @get(
        "/{recording_id:str}/file",
        operation_id="downloadRecordingBySignedUrl",
        opt=errors(404, 409, 416),
        operation_class=DownloadOperation,
    )
    async def file(
        self,
        recording_id: RecordingId,
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        byte_range: ByteRangeHeader = None,
        expires: Annotated[
            int | None,
            QueryParameter(description="When the URL expires (Unix seconds), as signed"),
        ] = None,
        signature: Annotated[
            str | None,
            QueryParameter(
                max_length=100,
                pattern=r"^[A-Za-z0-9_-]*$",
                description="The signature `POST /recordings/{id}/download-url` gave",
            ),
        ] = None,
    ) -> Stream:
        """The audio file by a URL from `POST /recordings/{id}/download-url`, with HTTP Range;
        a wrong or expired signature is 404."""
        row = await db_session.get(Recording, recording_id)
        secret = resources.settings.require_livekit_secret()
        if (
            row is None
            or expires is None
            or signature is None
            or expires < time.time()
            or not hmac.compare_digest(
                signature, _signature(secret, row.id, row.project_id, expires)
            )
        ):
            raise NotFound("Recording not found (or the URL expired)")
        return await serve_recording(recording_store(resources), row, byte_range)
