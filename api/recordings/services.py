"""The rules of recordings: opening, chunked uploads, sealing, reading, deleting.

A worker never touches the database or the storage directory: it opens a recording, uploads
the file in chunks (each names its offset, so an upload cut off resumes where the control plane
stopped) and seals it with its size; the control plane writes the file and the events.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.db import get_owned, scoped, utcnow
from api.errors import Conflict, NotFound, QuotaExceeded
from api.events import catalogue, outbox
from api.pagination import Page, paginate
from api.projects.models import Project
from api.recordings.models import Recording
from api.recordings.schemas import ACTIVE_STATUSES, RecordingRead
from api.recordings.storage import RecordingStore
from api.sessions.models import CallSession
from api.usage.settings import UsageSettings

BYTES_PER_GB = 1_000_000_000


def recording_read(row: Recording) -> RecordingRead:
    return RecordingRead(
        id=row.id,
        kind=row.kind,
        egress_id=row.egress_id,
        room_name=row.room_name,
        session_id=row.session_id,
        format=row.format,
        channels=row.channels,
        channel_identities=row.channel_identities,
        status=row.status,
        size_bytes=row.size_bytes,
        duration_s=row.duration_s,
        error=row.error,
        created_at=row.created_at,
        started_at=row.started_at,
        ended_at=row.ended_at,
    )


async def stored_gb(session: AsyncSession, project_id: str) -> float:
    """Recording storage a project uses, in GB (uploads under way included)."""
    statement = select(
        func.coalesce(
            func.sum(func.coalesce(col(Recording.size_bytes), col(Recording.received_bytes))), 0
        )
    ).where(Recording.project_id == project_id)
    return int((await session.exec(statement)).one()) / BYTES_PER_GB


class RecordingService:
    def __init__(self, session: AsyncSession, store: RecordingStore) -> None:
        self.session = session
        self.store = store

    async def _event(self, row: Recording, event_type: str) -> None:
        await outbox.record(
            self.session,
            row.project_id,
            event_type,
            {"recording": recording_read(row).model_dump(mode="json")},
            session_id=row.session_id,
            room_name=row.room_name,
        )

    async def get(self, project_id: str, recording_id: str) -> Recording:
        return await get_owned(self.session, Recording, recording_id, project_id, "Recording")

    async def list_recordings(
        self,
        project_id: str,
        page: Page,
        *,
        room_name: str | None = None,
        session_id: str | None = None,
        status: str | None = None,
    ) -> tuple[list[RecordingRead], int]:
        statement = scoped(Recording, project_id)
        if room_name is not None:
            statement = statement.where(Recording.room_name == room_name)
        if session_id is not None:
            statement = statement.where(Recording.session_id == session_id)
        if status is not None:
            statement = statement.where(Recording.status == status)
        statement = statement.order_by(col(Recording.created_at).desc(), col(Recording.id))
        rows, total = await paginate(self.session, statement, page)
        return [recording_read(row) for row in rows], total

    async def of_session(self, project_id: str, session_id: str) -> list[RecordingRead]:
        rows = await self.session.exec(
            scoped(Recording, project_id)
            .where(Recording.session_id == session_id)
            .order_by(col(Recording.created_at))
        )
        return [recording_read(row) for row in rows]

    async def delete(self, project_id: str, recording_id: str) -> None:
        row = await self.get(project_id, recording_id)
        await self.session.delete(row)
        await self.session.commit()
        await self.store.delete(row.project_id, row.id, row.format)

    async def require_room_for(self, project_id: str, plan: str, usage: UsageSettings) -> None:
        """Refuse a new recording (429 QUOTA_EXCEEDED) once the plan's storage is full."""
        limit = usage.plans.get(plan, {}).get("recordings_gb")
        used = await stored_gb(self.session, project_id)
        if limit is not None and used >= limit:
            raise QuotaExceeded(
                f"The {plan} plan allows {limit:g} GB of recordings",
                details={"quota": "recordings_gb", "plan": plan, "limit": limit, "used": used},
            )

    # --- worker side: open, upload, seal, fail ---------------------------------------------

    async def open_call(
        self, project_id: str, session_id: str, fmt: str, channels: int, recording_id: str
    ) -> Recording:
        call = await self.session.get(CallSession, session_id)
        if call is None or call.project_id != project_id:
            raise NotFound("Session not found")
        row = Recording(
            id=recording_id,
            project_id=project_id,
            session_id=session_id,
            room_name=call.room_name,
            kind="call",
            format=fmt,
            channels=channels,
            status="recording",
            started_at=utcnow(),
        )
        self.session.add(row)
        await self._event(row, catalogue.RECORDING_STARTED)
        await self.session.commit()
        return row

    async def for_token(self, token_subject: str, project_id: str, recording_id: str) -> Recording:
        """The recording a worker's token may upload: its session's (a call) or itself (a room
        recorder's token names the recording)."""
        row = await self.session.get(Recording, recording_id)
        if (
            row is None
            or row.project_id != project_id
            or token_subject not in (row.id, row.session_id)
        ):
            raise NotFound("Recording not found")
        return row

    async def mark_recording(self, row: Recording) -> Recording:
        """A room recorder has joined and writes."""
        if row.status == "starting":
            row.status = "recording"
            row.started_at = utcnow()
            self.session.add(row)
            await self._event(row, catalogue.RECORDING_STARTED)
            await self.session.commit()
        return row

    async def append(self, row: Recording, offset: int, data: bytes, usage: UsageSettings) -> int:
        if row.status in ("ready", "failed"):
            raise Conflict("Recording is closed", details={"status": row.status})
        if offset > row.received_bytes:
            raise Conflict(
                "Chunk does not start where the upload stands",
                details={"received_bytes": row.received_bytes},
            )
        project = await self.session.get(Project, row.project_id)
        limit = usage.plans.get(project.plan if project else "free", {}).get("recordings_gb")
        added = offset + len(data) - row.received_bytes
        if limit is not None and added > 0:
            used = await stored_gb(self.session, row.project_id)
            if used + added / BYTES_PER_GB > limit:
                await self.fail(row, "storage quota exceeded")
                raise QuotaExceeded(
                    "The project's recording storage is full",
                    details={"quota": "recordings_gb", "limit": limit, "used": used},
                )
        size = await self.store.append(row.project_id, row.id, row.format, offset, data)
        row.received_bytes = size
        self.session.add(row)
        await self.session.commit()
        return size

    async def complete(
        self,
        row: Recording,
        size_bytes: int,
        duration_s: float,
        channels: int | None,
        channel_identities: list[str] | None = None,
    ) -> Recording:
        if row.status == "ready":
            return row
        if row.status == "failed":
            raise Conflict("Recording failed", details={"status": row.status})
        if size_bytes != row.received_bytes:
            raise Conflict(
                "Not all of the file was received",
                details={"received_bytes": row.received_bytes, "size_bytes": size_bytes},
            )
        row.size_bytes = await self.store.seal(row.project_id, row.id, row.format)
        row.duration_s = duration_s
        if channels is not None:
            row.channels = channels
        if channel_identities is not None:
            row.channel_identities = channel_identities
        row.status = "ready"
        row.ended_at = utcnow()
        self.session.add(row)
        await self._event(row, catalogue.RECORDING_STOPPED)
        await self._event(row, catalogue.RECORDING_READY)
        await self.session.commit()
        return row

    async def fail(self, row: Recording, error: str) -> Recording:
        if row.status in ("ready", "failed"):
            return row
        row.status = "failed"
        row.error = error[:1000]
        row.ended_at = utcnow()
        self.session.add(row)
        await self._event(row, catalogue.RECORDING_FAILED)
        await self.session.commit()
        await self.store.delete(row.project_id, row.id, row.format)
        return row

    async def active_in_room(
        self, project_id: str, room_name: str, egress_id: str | None
    ) -> list[Recording]:
        statement = scoped(Recording, project_id).where(
            Recording.room_name == room_name,
            Recording.kind == "room",
            col(Recording.status).in_(ACTIVE_STATUSES),
        )
        if egress_id is not None:
            statement = statement.where(Recording.egress_id == egress_id)
        return list((await self.session.exec(statement)).all())
