"""The database helpers keep a request's writes in one transaction, on SQLite as on Postgres."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.db import create_engine, insert_unless_present, session_factory, utcnow
from api.projects.services import ProjectService
from api.sessions.models import CallSession, SessionEvent

pytestmark = pytest.mark.integration

TABLE = SessionEvent.__table__  # type: ignore[attr-defined]


async def _count(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(select(func.count()).select_from(TABLE))).scalar())
    finally:
        await engine.dispose()


async def test_a_dedupe_row_commits_only_with_the_rest_of_the_transaction(database_url):
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            project = await ProjectService(session).create_project("acme")
            call = CallSession(project_id=project.id, room_name="p_room", id="ses_1")
            session.add(call)
            await session.commit()
        async with sessions() as session:
            # A read first, as a report does: SQLite's driver has no transaction open yet.
            await session.get(CallSession, "ses_1")
            row = {"session_id": "ses_1", "event_id": "e1", "type": "turn", "received_at": utcnow()}
            assert await insert_unless_present(session, TABLE, [row], key="event_id") == {"e1"}
            again = [row, {**row, "event_id": "e2"}, {**row, "event_id": "e2"}]
            assert await insert_unless_present(session, TABLE, again, key="event_id") == {"e2"}
            assert await _count(database_url) == 0, "committed before the transaction ended"
            await session.rollback()
        assert await _count(database_url) == 0
    finally:
        await engine.dispose()
