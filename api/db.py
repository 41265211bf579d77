"""Database engine, sessions, and the one place where project scoping happens."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from api.errors import NotFound
from kb.utc import utcnow as utcnow  # re-exported: the control plane's services import it here

ModelT = TypeVar("ModelT", bound=SQLModel)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def create_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            # WAL lets readers run while the single writer commits.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def scoped(model: type[ModelT], project_id: str) -> SelectOfScalar[ModelT]:
    """A SELECT over `model` limited to one project: the only way services query owned rows."""
    return select(model).where(model.project_id == project_id)  # type: ignore[attr-defined]


async def get_owned(
    session: AsyncSession, model: type[ModelT], object_id: str, project_id: str, label: str
) -> ModelT:
    """Fetch one row owned by the project; another project's row is simply not found."""
    row = await session.get(model, object_id)
    if row is None or row.project_id != project_id:  # type: ignore[attr-defined]
        raise NotFound(f"{label} not found", details={"id": object_id})
    return row


async def insert_unless_present(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]], key: str
) -> set[Any]:
    """INSERT ... ON CONFLICT DO NOTHING of `rows` in one statement, in the session's
    transaction; returns the `key` column's values of the rows that were new.

    Not a savepoint that catches the IntegrityError: on SQLite, whose driver opens a
    transaction only at the first write, a savepoint that is the first write opens the
    transaction itself, and releasing it commits, so whatever the caller does next is no
    longer atomic with the rows.
    """
    if not rows:
        return set()
    connection = await session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing().returning(table.c[key])
    return set((await connection.execute(statement, list(rows))).scalars())
