"""Sessions: one row per conversation, from dispatch to end, with its transcript and usage."""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from agent_worker.contracts import (
    AgentSpec,
    SessionEndedEvent,
    SessionStartedEvent,
    ToolEvent,
    TurnEvent,
    UsageEvent,
    WorkerEvent,
)
from api.db import get_owned, insert_unless_present, scoped, utcnow
from api.errors import NotFound
from api.ids import new_id
from api.pagination import Page, paginate
from api.rooms.naming import project_room_name
from api.sessions import events as session_events
from api.sessions.models import CallSession, SessionEvent, TranscriptEntry
from api.sessions.schemas import (
    Costs,
    Elapsed,
    EventsAccepted,
    SessionDetail,
    SessionEnd,
    SessionRead,
    Transcript,
    TranscriptCreate,
    TranscriptLine,
    Usage,
)
from api.usage.settings import PriceTable

STATUS_BY_REASON = {
    "manual": "completed",
    "participant_left": "completed",
    "silence": "completed",
    "max_duration": "timeout",
    "agent_error": "failed",
    "no_show": "failed",
}

MAX_CONTINUED_SESSIONS = 20
"""How many calls of one conversation a resuming agent loads (the newest ones)."""


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def session_read(row: CallSession) -> SessionRead:
    elapsed = None
    if row.status == "active":
        seconds = (utcnow() - row.started_at).total_seconds()
        elapsed = Elapsed(totalSeconds=int(seconds), display=_clock(seconds))
    return SessionRead(
        id=row.id,
        room_name=row.room_name,
        agent_config_id=row.agent_id,
        agent_name=row.agent_name,
        caller_identity=row.caller_identity,
        session_type=row.session_type,
        status=row.status,
        end_reason=row.end_reason,
        started_at=row.started_at,
        ended_at=row.ended_at,
        duration=row.duration_s,
        message_count=row.message_count,
        summary=row.summary,
        metadata=row.extra,
        elapsed=elapsed,
    )


def _close(row: CallSession, reason: str, status: str | None = None) -> None:
    now = utcnow()
    row.status = status or STATUS_BY_REASON.get(reason, "completed")
    row.end_reason = reason
    row.ended_at = now
    row.duration_s = round((now - row.started_at).total_seconds(), 3)


class SessionService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_for_dispatch(
        self,
        project_id: str,
        agent_id: str | None,
        spec: AgentSpec | None,
        room_name: str,
        caller_identity: str | None,
        session_type: str = "voice",
        metadata: dict[str, object] | None = None,
    ) -> CallSession:
        row = CallSession(
            id=new_id("ses"),
            project_id=project_id,
            agent_id=agent_id,
            agent_name=spec.name if spec else None,
            llm_provider=spec.llm.provider if spec else None,
            llm_model=spec.llm.model if spec else None,
            stt_provider=spec.stt.provider if spec else None,
            tts_provider=spec.tts.provider if spec else None,
            room_name=room_name,
            caller_identity=caller_identity,
            session_type=session_type,
            extra=dict(metadata or {}),
        )
        self.session.add(row)
        await session_events.record_started(self.session, row)
        await self.session.commit()
        return row

    async def end(self, row: CallSession, reason: str) -> None:
        """Close an active session; its status follows `reason` (`max_duration`: timeout)."""
        _close(row, reason)
        self.session.add(row)
        await session_events.record_closed(self.session, row)
        await self.session.commit()

    async def fail(self, row: CallSession, reason: str, error: str) -> None:
        _close(row, reason, "failed")
        row.error = error
        self.session.add(row)
        await session_events.record_closed(self.session, row)
        await self.session.commit()

    async def get(self, project_id: str, session_id: str) -> CallSession:
        return await get_owned(self.session, CallSession, session_id, project_id, "Session")

    async def list_sessions(
        self,
        project_id: str,
        page: Page,
        *,
        status: str | None = None,
        agent_id: str | None = None,
        session_type: str | None = None,
        started_from: datetime | None = None,
        started_to: datetime | None = None,
    ) -> tuple[list[SessionRead], int]:
        statement = scoped(CallSession, project_id).order_by(col(CallSession.started_at).desc())
        if status:
            statement = statement.where(CallSession.status == status)
        if agent_id:
            statement = statement.where(CallSession.agent_id == agent_id)
        if session_type:
            statement = statement.where(CallSession.session_type == session_type)
        if started_from:
            statement = statement.where(CallSession.started_at >= started_from)
        if started_to:
            statement = statement.where(CallSession.started_at <= started_to)
        rows, total = await paginate(self.session, statement, page)
        return [session_read(row) for row in rows], total

    async def active_in_room(self, project_id: str, room_name: str) -> list[CallSession]:
        statement = scoped(CallSession, project_id).where(
            CallSession.room_name == room_name, CallSession.status == "active"
        )
        return list((await self.session.exec(statement)).all())

    async def _active_or_404(self, project_id: str, room_prefix: str, room: str) -> CallSession:
        rows = await self.active_in_room(project_id, project_room_name(room_prefix, room))
        if not rows:
            raise NotFound("No active session in this room", details={"room": room})
        return max(rows, key=lambda row: row.started_at)

    async def add_transcript(
        self, project_id: str, room_prefix: str, room: str, data: TranscriptCreate
    ) -> TranscriptLine:
        row = await self._active_or_404(project_id, room_prefix, room)
        offset = data.timestamp_ms
        if offset is None:
            offset = int((utcnow() - row.started_at).total_seconds() * 1000)
        entry = TranscriptEntry(
            project_id=project_id,
            session_id=row.id,
            speaker=data.speaker,
            content=data.content,
            timestamp_ms=offset,
            is_final=data.is_final,
        )
        row.message_count += 1
        self.session.add_all([entry, row])
        await session_events.record_transcript(self.session, row, entry.model_dump())
        await self.session.commit()
        return _line(entry)

    async def add_system_line(self, row: CallSession, content: str) -> TranscriptEntry:
        """A `system` transcript line (e.g. a supervisor's action) and its `transcript.new`
        event, in the caller's transaction (the caller commits)."""
        entry = TranscriptEntry(
            project_id=row.project_id,
            session_id=row.id,
            speaker="system",
            content=content,
            timestamp_ms=max(0, int((utcnow() - row.started_at).total_seconds() * 1000)),
        )
        row.message_count += 1
        self.session.add_all([entry, row])
        await session_events.record_transcript(self.session, row, entry.model_dump())
        return entry

    async def end_in_room(
        self, project_id: str, room_prefix: str, room: str, data: SessionEnd
    ) -> SessionRead:
        row = await self._active_or_404(project_id, room_prefix, room)
        _close(row, "manual")
        if data.duration is not None:
            row.duration_s = data.duration
        if data.summary is not None:
            row.summary = data.summary
        self.session.add(row)
        await session_events.record_closed(self.session, row)
        await self.session.commit()
        return session_read(row)

    async def transcript(self, project_id: str, session_id: str) -> Transcript:
        row = await self.get(project_id, session_id)
        statement = (
            scoped(TranscriptEntry, project_id)
            .where(TranscriptEntry.session_id == row.id)
            .order_by(col(TranscriptEntry.timestamp_ms), col(TranscriptEntry.id))
        )
        entries = (await self.session.exec(statement)).all()
        return Transcript(session_id=row.id, transcripts=[_line(entry) for entry in entries])

    async def conversation_so_far(self, project_id: str, session_id: str) -> list[TranscriptLine]:
        """The session's transcript after those of the sessions it continues (a caller who
        reconnected: `continues_session_id` in each one's metadata), oldest first."""
        chain: list[str] = []
        row: CallSession | None = await self.get(project_id, session_id)
        while row is not None and row.id not in chain and len(chain) < MAX_CONTINUED_SESSIONS:
            chain.append(row.id)
            previous = row.extra.get("continues_session_id")
            row = await self.session.get(CallSession, previous) if previous else None
            if row is not None and row.project_id != project_id:
                row = None
        lines: list[TranscriptLine] = []
        for earlier in reversed(chain):
            lines += (await self.transcript(project_id, earlier)).transcripts
        return lines

    async def transcript_text(self, project_id: str, session_id: str) -> str:
        transcript = await self.transcript(project_id, session_id)
        return "".join(
            f"[{_clock(line.timestamp_ms / 1000)}] {line.speaker.capitalize()}: {line.content}\n"
            for line in transcript.transcripts
        )

    async def detail(self, project_id: str, session_id: str, prices: PriceTable) -> SessionDetail:
        """The session with its usage priced by the operator's table (`VOXROOM_USAGE_PRICES`),
        the same prices `/usage` uses."""
        row = await self.get(project_id, session_id)
        llm = prices.llm(row.llm_provider, row.llm_prompt_tokens, row.llm_completion_tokens)
        stt = prices.stt(row.stt_provider, row.stt_audio_seconds)
        tts = prices.tts(row.tts_provider, row.tts_characters)
        latencies = (await self.transcript(project_id, session_id)).transcripts
        stages = ("end_of_turn_ms", "stt_ms", "llm_first_token_ms", "tts_first_audio_ms")
        medians: dict[str, float | None] = {}
        for stage in stages:
            values = [
                float(line.latency[stage])
                for line in latencies
                if line.latency and line.latency.get(stage) is not None
            ]
            medians[stage] = statistics.median(values) if values else None
        return SessionDetail(
            session=session_read(row),
            llm_provider=row.llm_provider,
            llm_model=row.llm_model,
            usage=Usage(
                stt_audio_seconds=row.stt_audio_seconds,
                llm_prompt_tokens=row.llm_prompt_tokens,
                llm_completion_tokens=row.llm_completion_tokens,
                tts_characters=row.tts_characters,
            ),
            costs=Costs(
                total=round(llm + stt + tts, 6),
                llm=round(llm, 6),
                stt=round(stt, 6),
                tts=round(tts, 6),
            ),
            latency_ms=medians,
        )

    async def apply_worker_events(
        self, project_id: str, session_id: str, events: list[WorkerEvent]
    ) -> EventsAccepted:
        """Apply a worker's report; each event exactly once, however often it is retried."""
        row = await self.get(project_id, session_id)
        received_at = utcnow()
        new = await insert_unless_present(
            self.session,
            SessionEvent.__table__,  # type: ignore[attr-defined]
            [
                {
                    "session_id": row.id,
                    "event_id": event.event_id,
                    "type": event.type,
                    "received_at": received_at,
                }
                for event in events
            ],
            key="event_id",
        )
        applied = 0
        transcript: list[dict[str, Any]] = []
        for event in events:
            if event.event_id in new:
                new.discard(event.event_id)  # a report naming an event twice applies it once
                if not isinstance(event, TurnEvent):
                    # What follows may read the lines (a session's end sends its transcript).
                    await self._insert_lines(transcript)
                await self._apply(row, event, transcript)
                applied += 1
        await self._insert_lines(transcript)
        duplicates = len(events) - applied
        self.session.add(row)
        await self.session.commit()
        return EventsAccepted(applied=applied, duplicates=duplicates)

    async def _insert_lines(self, transcript: list[dict[str, Any]]) -> None:
        """Insert the pending transcript lines in one statement (the ORM would insert them one
        by one to read each generated id back) and empty the list."""
        if transcript:
            table = TranscriptEntry.__table__  # type: ignore[attr-defined]
            await self.session.exec(insert(table), params=transcript)
            transcript.clear()

    async def _apply(
        self, row: CallSession, event: WorkerEvent, transcript: list[dict[str, Any]]
    ) -> None:
        if isinstance(event, TurnEvent):
            offset_ms = max(0, int((event.started_at - row.started_at).total_seconds() * 1000))
            # Column values, not a TranscriptEntry: building a table model costs more than the
            # INSERT of its row (profiled under the webhooks bench).
            entry = {
                "project_id": row.project_id,
                "session_id": row.id,
                "speaker": event.role,
                "content": event.text,
                "timestamp_ms": offset_ms,
                "is_final": True,
                "interrupted": event.interrupted,
                "latency": event.latency.model_dump() if event.latency else None,
                "started_at": event.started_at,
                "ended_at": event.ended_at,
                "created_at": utcnow(),
            }
            transcript.append(entry)
            row.message_count += 1
            await session_events.record_transcript(self.session, row, entry)
        elif isinstance(event, UsageEvent):
            row.stt_audio_seconds += event.stt_audio_seconds
            row.llm_prompt_tokens += event.llm_prompt_tokens
            row.llm_completion_tokens += event.llm_completion_tokens
            row.tts_characters += event.tts_characters
        elif isinstance(event, ToolEvent):
            await session_events.record_tool(self.session, row, event)
        elif isinstance(event, SessionStartedEvent):
            if event.caller_identity:
                row.caller_identity = event.caller_identity
        elif isinstance(event, SessionEndedEvent) and row.status == "active":
            _close(row, event.reason)
            row.error = event.error
            await session_events.record_closed(self.session, row)

    async def close_abandoned(self, room_name: str, reason: str) -> int:
        """Close every still-active session of a room the agent is gone from (failed)."""
        statement = select(CallSession).where(
            CallSession.room_name == room_name, CallSession.status == "active"
        )
        rows = list((await self.session.exec(statement)).all())
        for row in rows:
            _close(row, reason, "failed")
            row.error = "agent left without ending the session"
            self.session.add(row)
            await session_events.record_closed(self.session, row)
        await self.session.commit()
        return len(rows)


def _line(entry: TranscriptEntry) -> TranscriptLine:
    return TranscriptLine(
        speaker=entry.speaker,
        content=entry.content,
        timestamp_ms=entry.timestamp_ms,
        is_final=entry.is_final,
        interrupted=entry.interrupted,
        latency=entry.latency,
        created_at=entry.created_at,
    )
