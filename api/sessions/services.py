"""Sessions: one row per conversation, from dispatch to end."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from agent_worker.contracts import AgentSpec
from api.db import utcnow
from api.ids import new_id
from api.sessions.models import CallSession


class SessionService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_for_dispatch(
        self,
        project_id: str,
        agent_id: str,
        spec: AgentSpec,
        room_name: str,
        caller_identity: str | None,
        session_type: str = "voice",
    ) -> CallSession:
        row = CallSession(
            id=new_id("ses"),
            project_id=project_id,
            agent_id=agent_id,
            agent_name=spec.name,
            llm_provider=spec.llm.provider,
            llm_model=spec.llm.model,
            room_name=room_name,
            caller_identity=caller_identity,
            session_type=session_type,
        )
        self.session.add(row)
        await self.session.commit()
        return row

    async def fail(self, row: CallSession, reason: str, error: str) -> None:
        now = utcnow()
        row.status = "failed"
        row.end_reason = reason
        row.error = error
        row.ended_at = now
        row.duration_s = (now - row.started_at).total_seconds()
        self.session.add(row)
        await self.session.commit()
