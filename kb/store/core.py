"""What every part of KnowledgeStore shares: sessions, settings, the vector cache, and the
project-scoped lookups that make another project's objects behave as absent."""

from datetime import UTC, datetime

import numpy as np
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import SingletonThreadPool, StaticPool
from sqlmodel import col, func, select

from kb.embedding import Embedder, Vectors
from kb.errors import NotFound
from kb.fetch import UrlFetcher
from kb.models import IndexingStatus, KbChunk, KbDocument, KnowledgeBase
from kb.settings import KbSettings
from kb.store.changes import ChangeListener, KbChange
from kb.vectors import VectorIndex


class StoreCore:
    def __init__(
        self,
        engine: AsyncEngine,
        embedder: Embedder,
        settings: KbSettings,
        fetcher: UrlFetcher | None = None,
        listener: ChangeListener | None = None,
    ) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._listener = listener
        # A pool that hands every session the same connection cannot run two statements
        # at once (in-memory SQLite uses one).
        self._parallel_sessions = not isinstance(
            engine.sync_engine.pool, StaticPool | SingletonThreadPool
        )
        self._embedder = embedder
        self._settings = settings
        self._fetcher = fetcher
        self._vectors = VectorIndex(
            two_pass_rows=settings.vector_two_pass_rows,
            sketch_dims=settings.vector_sketch_dims,
            rescore=settings.vector_rescore_candidates,
        )

    async def _notify(self, session: AsyncSession, change: KbChange) -> None:
        if self._listener is not None:
            await self._listener(session, change)

    async def _base(self, session: AsyncSession, project_id: str, kb_id: str) -> KnowledgeBase:
        base = await session.scalar(
            select(KnowledgeBase).where(
                col(KnowledgeBase.project_id) == project_id, col(KnowledgeBase.id) == kb_id
            )
        )
        if base is None:
            raise NotFound("Knowledge base not found", field="knowledge_base_id")
        return base

    async def _document(
        self, session: AsyncSession, project_id: str, kb_id: str, document_id: str
    ) -> KbDocument:
        doc = await session.scalar(
            select(KbDocument).where(
                col(KbDocument.project_id) == project_id,
                col(KbDocument.knowledge_base_id) == kb_id,
                col(KbDocument.id) == document_id,
            )
        )
        if doc is None:
            raise NotFound("Document not found", field="document_id")
        return doc

    async def _chunk(
        self, session: AsyncSession, project_id: str, kb_id: str, chunk_id: str
    ) -> KbChunk:
        chunk = await session.scalar(
            select(KbChunk).where(
                col(KbChunk.project_id) == project_id,
                col(KbChunk.knowledge_base_id) == kb_id,
                col(KbChunk.id) == chunk_id,
            )
        )
        if chunk is None:
            raise NotFound("Chunk not found", field="chunk_id")
        return chunk

    async def _bump(
        self, session: AsyncSession, project_id: str, kb_id: str, now: datetime
    ) -> None:
        """Mark the base changed: every replica's vector cache reloads on the new version."""
        await session.execute(
            update(KnowledgeBase)
            .where(col(KnowledgeBase.project_id) == project_id, col(KnowledgeBase.id) == kb_id)
            .values(
                index_version=col(KnowledgeBase.index_version) + 1,
                last_indexed_at=now,
                updated_at=now,
                indexing_status=IndexingStatus.READY.value,
            )
        )

    async def _counts(
        self, session: AsyncSession, project_id: str, kb_ids: list[str]
    ) -> dict[str, tuple[int, int, int]]:
        """(chunk_count, total_chars, document_count) per base."""
        if not kb_ids:
            return {}
        rows = await session.execute(
            select(
                col(KbDocument.knowledge_base_id),
                func.sum(col(KbDocument.chunk_count)),
                func.sum(col(KbDocument.total_chars)),
                func.count(),
            )
            .where(
                col(KbDocument.project_id) == project_id,
                col(KbDocument.knowledge_base_id).in_(kb_ids),
            )
            .group_by(col(KbDocument.knowledge_base_id))
        )
        return {kb: (int(c or 0), int(t or 0), int(n)) for kb, c, t, n in rows}


def as_blob(vector: Vectors) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def as_aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written as UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
