"""Background sweeps of recordings: `privacy.retention_days` (an agent's calls lose their
recordings and transcripts once they ended that many days ago; the session row stays, for
usage and history), and recordings that nobody will finish."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from livekit import api as lk
from sqlalchemy import delete
from sqlmodel import col, select

from agent_worker.contracts import RECORDER_IDENTITY_PREFIX, PrivacyConfig
from api.agents.models import AgentConfig
from api.db import utcnow
from api.errors import NotFound
from api.recordings.models import Recording
from api.recordings.services import RecordingService
from api.recordings.storage import RecordingStore
from api.resources import Resources
from api.rooms.services import livekit_call
from api.sessions.models import CallSession, TranscriptEntry

logger = logging.getLogger(__name__)

_BATCH = 500


async def purge_expired(resources: Resources) -> int:
    """One pass; returns how many sessions were purged."""
    store = RecordingStore(resources.settings.recordings_dir)
    purged = 0
    async with resources.sessions() as session:
        agents = (await session.exec(select(AgentConfig.id, AgentConfig.spec))).all()
        for agent_id, spec in agents:
            days = PrivacyConfig.model_validate((spec or {}).get("privacy", {})).retention_days
            if days is None:
                continue
            cutoff = utcnow() - timedelta(days=days)
            expired = select(CallSession.id).where(
                CallSession.agent_id == agent_id,
                col(CallSession.ended_at).is_not(None),
                col(CallSession.ended_at) < cutoff,
            )
            recordings = (
                await session.exec(
                    select(Recording).where(col(Recording.session_id).in_(expired)).limit(_BATCH)
                )
            ).all()
            with_lines = (
                await session.exec(
                    select(TranscriptEntry.session_id)
                    .where(col(TranscriptEntry.session_id).in_(expired))
                    .distinct()
                    .limit(_BATCH)
                )
            ).all()
            if not recordings and not with_lines:
                continue
            await session.exec(
                delete(TranscriptEntry).where(col(TranscriptEntry.session_id).in_(with_lines))
            )
            for row in recordings:
                await session.delete(row)
            await session.commit()
            for row in recordings:
                await store.delete(row.project_id, row.id, row.format)
            purged += len({*with_lines, *(row.session_id for row in recordings)})
    if purged:
        logger.info("retention purge", extra={"sessions": purged})
    return purged


CALL_UPLOAD_GRACE = timedelta(minutes=15)
"""A call's worker uploads its recording within seconds of the end; one that has not done so
this long after the call ended was lost with its worker."""
RECORDER_JOIN_GRACE = timedelta(minutes=2)
"""A room recorder joins within seconds; one that has not after this never will."""


async def fail_abandoned(resources: Resources) -> int:
    """Fail the recordings nobody will finish (recording.failed); returns how many."""
    now = utcnow()
    async with resources.sessions() as session:
        lost_calls = select(CallSession.id).where(
            col(CallSession.ended_at).is_not(None),
            col(CallSession.ended_at) < now - CALL_UPLOAD_GRACE,
        )
        rows = (
            await session.exec(
                select(Recording)
                .where(
                    (
                        (col(Recording.kind) == "call")
                        & col(Recording.status).in_(("recording", "stopping"))
                        & col(Recording.session_id).in_(lost_calls)
                    )
                    | (
                        (col(Recording.kind) == "room")
                        & (col(Recording.status) == "starting")
                        & (col(Recording.created_at) < now - RECORDER_JOIN_GRACE)
                    )
                )
                .limit(_BATCH)
            )
        ).all()
        service = RecordingService(session, RecordingStore(resources.settings.recordings_dir))
        for row in rows:
            reason = "the call's worker was lost" if row.kind == "call" else "no recorder joined"
            await service.fail(row, reason)
    return len(rows)


RECORDER_LOST_GRACE_S = 60.0
"""A room recorder out of its room uploads at once, and its upload moves; one absent this
long with no upload progress was lost with its worker (SIGKILL, OOM, a machine gone)..."""
ENCODE_S_PER_RECORDED_S = 0.2
"""... plus the time it may spend writing a per-participant file before its upload starts
(the channels are interleaved and encoded at the end: 4 s per minute of 4-channel MP4 and
2.3 s for Ogg/Opus, measured on 2 busy cores)."""


def _absent_key(recording_id: str) -> str:
    return f"vx:recorder-absent:{recording_id}"


async def _participants(resources: Resources, room_names: set[str]) -> dict[str, set[str]]:
    """The identities in each room LiveKit runs (a room it does not run holds nobody);
    Unavailable when LiveKit cannot answer, so that nothing is failed for its outage."""
    async with livekit_call("Room"):
        running = await resources.livekit.room.list_rooms(
            lk.ListRoomsRequest(names=sorted(room_names))
        )
    found: dict[str, set[str]] = {}
    for room in running.rooms:
        try:
            async with livekit_call("Room"):
                listed = await resources.livekit.room.list_participants(
                    lk.ListParticipantsRequest(room=room.name)
                )
        except NotFound:
            continue  # ended since
        found[room.name] = {p.identity for p in listed.participants}
    return found


async def fail_lost_recorders(
    resources: Resources,
    grace_s: float = RECORDER_LOST_GRACE_S,
    encode_s_per_s: float = ENCODE_S_PER_RECORDED_S,
) -> int:
    """Fail the room recordings whose recorder is gone without uploading; returns how many.

    A recorder writes its file on its worker and uploads it once it stops, so a recorder
    killed mid-recording leaves nothing worth keeping: its recording fails (recording.failed,
    partial upload deleted) once the recorder has been out of its room, with its upload
    standing still, for `grace_s` plus `encode_s_per_s` per second it recorded. Absence is
    noted in Redis between passes."""
    async with resources.sessions() as session:
        rows = (
            await session.exec(
                select(Recording)
                .where(
                    col(Recording.kind) == "room",
                    col(Recording.status).in_(("recording", "stopping")),
                )
                .limit(_BATCH)
            )
        ).all()
        if not rows:
            return 0
        present = await _participants(resources, {row.room_name for row in rows})
        service = RecordingService(session, RecordingStore(resources.settings.recordings_dir))
        failed = 0
        now = time.time()
        for row in rows:
            key = _absent_key(row.id)
            if RECORDER_IDENTITY_PREFIX + row.id in present.get(row.room_name, ()):
                await resources.redis.delete(key)
                continue
            noted = await resources.redis.get(key)  # a str: the client decodes responses
            since, _, at_bytes = str(noted or "").partition(":")
            if noted is None or int(at_bytes) != row.received_bytes:
                await resources.redis.set(key, f"{now}:{row.received_bytes}", ex=3600)
                continue
            recorded_s = float(since) - (row.started_at or row.created_at).timestamp()
            if now - float(since) >= grace_s + encode_s_per_s * max(0.0, recorded_s):
                await service.fail(row, "the recorder was lost before it uploaded the recording")
                await resources.redis.delete(key)
                failed += 1
    if failed:
        logger.warning("room recorders lost", extra={"recordings": failed})
    return failed
