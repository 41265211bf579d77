"""Counting public API calls per project without a database write per request.

Each process counts in memory and adds its counts to `usage_api_calls` once a second (an
upsert that increments, so replicas add up). A process killed -9 loses at most the last
second of counts: metering, not billing-grade accounting.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from api.db import utcnow
from api.usage.models import ApiCallCount


class ApiCallMeter:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._counts: Counter[tuple[str, str]] = Counter()

    def count(self, project_id: str) -> None:
        self._counts[(project_id, utcnow().date().isoformat())] += 1

    async def flush(self) -> None:
        if not self._counts:
            return
        counts, self._counts = self._counts, Counter()
        try:
            async with self.sessions() as session:
                dialect = (await session.connection()).dialect.name
                insert = postgres_insert if dialect == "postgresql" else sqlite_insert
                for (project_id, day), n in counts.items():
                    statement = insert(ApiCallCount).values(project_id=project_id, day=day, count=n)
                    statement = statement.on_conflict_do_update(
                        index_elements=["project_id", "day"],
                        set_={"count": ApiCallCount.__table__.c.count + statement.excluded.count},  # type: ignore[attr-defined]
                    )
                    await session.exec(statement)
                await session.commit()
        except Exception:
            self._counts.update(counts)  # kept for the next flush
            raise
