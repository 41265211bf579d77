"""The events a session's changes write (in the transaction of the change)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from agent_worker.contracts import ToolEvent
from api.events import catalogue, outbox
from api.events.outbox import iso_utc
from api.sessions.models import CallSession, TranscriptEntry


def _iso(moment: datetime | None) -> str | None:
    return iso_utc(moment) if moment is not None else None


def session_data(row: CallSession) -> dict[str, Any]:
    return {
        "session_id": row.id,
        "room_name": row.room_name,
        "agent_config_id": row.agent_id,
        "agent_name": row.agent_name,
        "caller_identity": row.caller_identity,
        "session_type": row.session_type,
        "status": row.status,
        "started_at": _iso(row.started_at),
        "metadata": row.extra,
    }


def transcript_data(row: CallSession, line: Mapping[str, Any]) -> dict[str, Any]:
    """`transcript.new`'s data, from a transcript line's column values."""
    return {
        "session_id": row.id,
        "room_name": row.room_name,
        "speaker": line["speaker"],
        "content": line["content"],
        "timestamp_ms": line["timestamp_ms"],
        "is_final": line["is_final"],
        "interrupted": line["interrupted"],
    }


async def record_started(db: AsyncSession, row: CallSession) -> None:
    await outbox.record(
        db,
        row.project_id,
        catalogue.SESSION_STARTED,
        session_data(row),
        session_id=row.id,
        room_name=row.room_name,
    )


async def record_transcript(db: AsyncSession, row: CallSession, line: Mapping[str, Any]) -> None:
    await outbox.record(
        db,
        row.project_id,
        catalogue.TRANSCRIPT_NEW,
        transcript_data(row, line),
        session_id=row.id,
        room_name=row.room_name,
    )


async def record_tool(db: AsyncSession, row: CallSession, tool: ToolEvent) -> None:
    await outbox.record(
        db,
        row.project_id,
        catalogue.TOOL_FAILED if tool.is_error else catalogue.TOOL_EXECUTED,
        {
            "session_id": row.id,
            "room_name": row.room_name,
            "tool": tool.name,
            "call_id": tool.call_id,
            "arguments": tool.arguments,
            "output": tool.output,
        },
        session_id=row.id,
        room_name=row.room_name,
    )


async def record_closed(db: AsyncSession, row: CallSession) -> None:
    """`session.failed` for a failed session, else `session.ended` with the transcript."""
    entries = (
        await db.exec(
            select(TranscriptEntry)
            .where(TranscriptEntry.session_id == row.id)
            .order_by(col(TranscriptEntry.timestamp_ms), col(TranscriptEntry.id))
        )
    ).all()
    data = {
        **session_data(row),
        "end_reason": row.end_reason,
        "ended_at": _iso(row.ended_at),
        "duration": row.duration_s,
        "message_count": row.message_count,
        "summary": row.summary,
        "transcript": [
            {"speaker": e.speaker, "content": e.content, "timestamp_ms": e.timestamp_ms}
            for e in entries
        ],
    }
    failed = row.status == "failed"
    if failed:
        data["error"] = row.error
    await outbox.record(
        db,
        row.project_id,
        catalogue.SESSION_FAILED if failed else catalogue.SESSION_ENDED,
        data,
        session_id=row.id,
        room_name=row.room_name,
    )
