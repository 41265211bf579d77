"""KnowledgeStore: the knowledge-base service the control plane calls.

Every method takes `project_id` and filters on it, so another project's objects behave as
absent (NotFound). Each write commits with a bump of the base's `index_version`, the signal
that tells every replica's vector cache to reload.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from kb.chunking import ChunkDraft, validate_chunking
from kb.embedding import Embedder, Vectors
from kb.errors import InvalidInput, NotFound
from kb.fetch import UrlFetcher
from kb.ingest import ProgressCallback, check_size, embed_with_progress, prepare, report
from kb.models import (
    DocumentStatus,
    IndexingStatus,
    KbChunk,
    KbDocument,
    KnowledgeBase,
    SourceType,
    new_id,
    utcnow,
)
from kb.search import (
    TEXT_WEIGHT,
    VECTOR_WEIGHT,
    SearchHit,
    SearchMode,
    VectorIndex,
    fulltext_ranking,
    reciprocal_rank_fusion,
)
from kb.settings import KbSettings
from kb.views import ChunkInfo, DocumentInfo, IngestResult, KnowledgeBaseInfo, Page

logger = logging.getLogger(__name__)

MAX_CHUNK_CHARS = 8000
_TITLE_MAX = 1000
_SOURCE_MAX = 500


@dataclass(frozen=True, slots=True)
class DueDocument:
    project_id: str
    knowledge_base_id: str
    document_id: str


class KnowledgeStore:
    """Create once per application (in the lifespan) with the app's engine and embedder."""

    def __init__(
        self,
        engine: AsyncEngine,
        embedder: Embedder,
        settings: KbSettings,
        fetcher: UrlFetcher | None = None,
    ) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._embedder = embedder
        self._settings = settings
        self._fetcher = fetcher
        self._vectors = VectorIndex()

    # -- knowledge bases ---------------------------------------------------------------

    async def create_knowledge_base(
        self,
        project_id: str,
        *,
        name: str,
        description: str | None = None,
        chunk_size: int | None = None,
        chunk_overlap: int | None = None,
    ) -> KnowledgeBaseInfo:
        size = chunk_size if chunk_size is not None else self._settings.default_chunk_size
        overlap = (
            chunk_overlap if chunk_overlap is not None else (self._settings.default_chunk_overlap)
        )
        validate_chunking(size, overlap)
        if not name.strip():
            raise InvalidInput("name must not be empty", field="name")
        base = KnowledgeBase(
            project_id=project_id,
            name=name.strip(),
            description=description,
            chunk_size=size,
            chunk_overlap=overlap,
        )
        async with self._sessions.begin() as session:
            session.add(base)
        return KnowledgeBaseInfo.of(base, chunk_count=0, total_chars=0, document_count=0)

    async def get_knowledge_base(self, project_id: str, kb_id: str) -> KnowledgeBaseInfo:
        async with self._sessions() as session:
            base = await self._base(session, project_id, kb_id)
            counts = await self._counts(session, project_id, [kb_id])
        return KnowledgeBaseInfo.of(base, *counts.get(kb_id, (0, 0, 0)))

    async def list_knowledge_bases(
        self, project_id: str, *, page: int = 1, per_page: int = 25
    ) -> Page[KnowledgeBaseInfo]:
        async with self._sessions() as session:
            total = await session.scalar(
                select(func.count()).where(KnowledgeBase.project_id == project_id)
            )
            bases = (
                await session.scalars(
                    select(KnowledgeBase)
                    .where(KnowledgeBase.project_id == project_id)
                    .order_by(KnowledgeBase.created_at.desc(), KnowledgeBase.id)
                    .offset((page - 1) * per_page)
                    .limit(per_page)
                )
            ).all()
            counts = await self._counts(session, project_id, [b.id for b in bases])
        items = [KnowledgeBaseInfo.of(b, *counts.get(b.id, (0, 0, 0))) for b in bases]
        return Page(items, total or 0, page, per_page)

    async def delete_knowledge_base(self, project_id: str, kb_id: str) -> None:
        async with self._sessions.begin() as session:
            await self._base(session, project_id, kb_id)
            # Explicit deletes rather than ON DELETE CASCADE: SQLite enforces foreign keys
            # only when each connection opts in, and the FTS triggers must fire per chunk.
            for model in (KbChunk, KbDocument):
                await session.execute(
                    delete(model).where(
                        model.project_id == project_id, model.knowledge_base_id == kb_id
                    )
                )
            await session.execute(
                delete(KnowledgeBase).where(
                    KnowledgeBase.project_id == project_id, KnowledgeBase.id == kb_id
                )
            )
        self._vectors.forget(project_id, kb_id)

    # -- ingestion ---------------------------------------------------------------------

    async def ingest_upload(
        self,
        project_id: str,
        kb_id: str,
        data: bytes,
        *,
        source_name: str,
        progress: ProgressCallback | None = None,
    ) -> IngestResult:
        """Ingest file bytes; the type is detected from the content, not from source_name."""
        check_size(len(data), self._settings.max_upload_bytes)
        return await self._ingest(
            project_id,
            kb_id,
            data,
            source_name=source_name,
            source_type=SourceType.UPLOAD,
            progress=progress,
        )

    async def ingest_text(
        self,
        project_id: str,
        kb_id: str,
        content: str,
        *,
        source_name: str,
        progress: ProgressCallback | None = None,
    ) -> IngestResult:
        check_size(len(content.encode()), self._settings.max_upload_bytes)
        if not content.strip():
            raise InvalidInput("content must not be empty", field="content")
        return await self._ingest(
            project_id,
            kb_id,
            content,
            source_name=source_name,
            source_type=SourceType.TEXT,
            progress=progress,
        )

    async def ingest_url(
        self,
        project_id: str,
        kb_id: str,
        url: str,
        *,
        refresh_interval_s: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> IngestResult:
        """Fetch `url` (SSRF-checked) and ingest it; unchanged content is not re-embedded."""
        if self._fetcher is None:
            raise InvalidInput("URL ingestion is not configured", field="url")
        if refresh_interval_s is not None and refresh_interval_s < 300:
            raise InvalidInput(
                "refresh_interval must be at least 300 seconds", field="refresh_interval"
            )
        async with self._sessions() as session:
            await self._base(session, project_id, kb_id)
        fetched = await self._fetcher.fetch(url)
        return await self._ingest(
            project_id,
            kb_id,
            fetched.content,
            source_name=url[:_SOURCE_MAX],
            source_type=SourceType.URL,
            url=url,
            refresh_interval_s=refresh_interval_s,
            content_hash=fetched.content_hash,
            progress=progress,
        )

    async def due_url_documents(self, now: datetime | None = None) -> list[DueDocument]:
        """URL documents whose refresh interval has elapsed, across all projects.

        The one cross-project query: it feeds the periodic refresh job, which then calls
        `refresh_document` with each document's own project.
        """
        now = now or utcnow()
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(
                        KbDocument.project_id,
                        KbDocument.knowledge_base_id,
                        KbDocument.id,
                        KbDocument.refresh_interval_s,
                        KbDocument.last_fetched_at,
                    ).where(
                        KbDocument.source_type == SourceType.URL.value,
                        KbDocument.refresh_interval_s.is_not(None),  # type: ignore[union-attr]
                    )
                )
            ).all()
        due = []
        for project_id, kb_id, doc_id, interval, fetched_at in rows:
            if fetched_at is None or _aware(fetched_at) + timedelta(seconds=interval) <= now:
                due.append(DueDocument(project_id, kb_id, doc_id))
        return due

    async def refresh_document(self, project_id: str, kb_id: str, document_id: str) -> IngestResult:
        async with self._sessions() as session:
            doc = await self._document(session, project_id, kb_id, document_id)
        if doc.url is None:
            raise InvalidInput("Only URL documents can be refreshed", field="document_id")
        return await self.ingest_url(
            project_id, kb_id, doc.url, refresh_interval_s=doc.refresh_interval_s
        )

    async def _ingest(
        self,
        project_id: str,
        kb_id: str,
        data: bytes | str,
        *,
        source_name: str,
        source_type: SourceType,
        url: str | None = None,
        refresh_interval_s: int | None = None,
        content_hash: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> IngestResult:
        source_name = source_name.strip()[:_SOURCE_MAX]
        if not source_name:
            raise InvalidInput("source_name must not be empty", field="source_name")
        async with self._sessions() as session:
            base = await self._base(session, project_id, kb_id)
            existing = await session.scalar(
                select(KbDocument).where(
                    KbDocument.project_id == project_id,
                    KbDocument.knowledge_base_id == kb_id,
                    KbDocument.source_name == source_name,
                )
            )
        if (
            content_hash is not None
            and existing is not None
            and (existing.content_hash == content_hash)
        ):
            await self._touch_fetched(existing, refresh_interval_s)
            return IngestResult(existing.id, source_name, existing.chunk_count, changed=False)
        prepared = await prepare(
            data,
            source=source_name,
            chunk_size=base.chunk_size,
            chunk_overlap=base.chunk_overlap,
            max_unpacked_bytes=self._settings.max_unpacked_bytes,
            embedder=self._embedder,
            batch_size=self._settings.embedding_batch_size,
            progress=progress,
        )
        await report(progress, "storing", 0, len(prepared.chunks))
        document_id = await self.store_prepared(
            project_id,
            kb_id,
            source_name=source_name,
            source_type=source_type,
            chunks=prepared.chunks,
            vectors=prepared.vectors,
            total_chars=prepared.total_chars,
            url=url,
            refresh_interval_s=refresh_interval_s,
            content_hash=content_hash,
        )
        await report(progress, "storing", len(prepared.chunks), len(prepared.chunks))
        logger.info(
            "document ingested",
            extra={
                "project_id": project_id,
                "knowledge_base_id": kb_id,
                "document_id": document_id,
                "chunks": len(prepared.chunks),
                "kind": prepared.kind.value,
            },
        )
        return IngestResult(document_id, source_name, len(prepared.chunks), changed=True)

    async def store_prepared(
        self,
        project_id: str,
        kb_id: str,
        *,
        source_name: str,
        source_type: SourceType,
        chunks: Sequence[ChunkDraft],
        vectors: Vectors,
        total_chars: int,
        url: str | None = None,
        refresh_interval_s: int | None = None,
        content_hash: str | None = None,
    ) -> str:
        """Replace a document's chunks with already embedded ones, in one transaction.

        Public for bulk loads that embed elsewhere (benchmarks, imports); regular callers use
        the ingest_* methods.
        """
        for attempt in range(2):
            try:
                return await self._replace_chunks(
                    project_id,
                    kb_id,
                    source_name,
                    source_type,
                    chunks,
                    vectors,
                    total_chars,
                    url,
                    refresh_interval_s,
                    content_hash,
                )
            except IntegrityError:
                # A concurrent first ingest of the same source created the document row;
                # the retry finds it and replaces its chunks instead.
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _replace_chunks(
        self,
        project_id: str,
        kb_id: str,
        source_name: str,
        source_type: SourceType,
        chunks: Sequence[ChunkDraft],
        vectors: Vectors,
        total_chars: int,
        url: str | None,
        refresh_interval_s: int | None,
        content_hash: str | None,
    ) -> str:
        now = utcnow()
        async with self._sessions.begin() as session:
            await self._base(session, project_id, kb_id)
            doc = await session.scalar(
                select(KbDocument).where(
                    KbDocument.project_id == project_id,
                    KbDocument.knowledge_base_id == kb_id,
                    KbDocument.source_name == source_name,
                )
            )
            if doc is None:
                doc = KbDocument(
                    project_id=project_id,
                    knowledge_base_id=kb_id,
                    source_name=source_name,
                    source_type=source_type.value,
                )
                session.add(doc)
                await session.flush()
            else:
                await session.execute(
                    delete(KbChunk).where(
                        KbChunk.project_id == project_id, KbChunk.document_id == doc.id
                    )
                )
            doc.source_type = source_type.value
            doc.url, doc.refresh_interval_s, doc.content_hash = (
                url,
                refresh_interval_s,
                content_hash,
            )
            doc.chunk_count, doc.total_chars = len(chunks), total_chars
            doc.status, doc.updated_at = DocumentStatus.READY.value, now
            doc.last_fetched_at = now if url else None
            rows = [
                {
                    "id": new_id("chk_"),
                    "project_id": project_id,
                    "knowledge_base_id": kb_id,
                    "document_id": doc.id,
                    "source": chunk.source,
                    "title": chunk.title[:_TITLE_MAX] if chunk.title else None,
                    "position": chunk.position,
                    "content": chunk.content,
                    "is_active": True,
                    "embedding": _blob(vectors[i]),
                    "created_at": now,
                    "updated_at": now,
                }
                for i, chunk in enumerate(chunks)
            ]
            for start in range(0, len(rows), 5000):
                await session.execute(insert(KbChunk), rows[start : start + 5000])
            await self._bump(session, project_id, kb_id, now)
            return doc.id

    async def _touch_fetched(self, doc: KbDocument, refresh_interval_s: int | None) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(KbDocument)
                .where(KbDocument.project_id == doc.project_id, KbDocument.id == doc.id)
                .values(last_fetched_at=utcnow(), refresh_interval_s=refresh_interval_s)
            )

    # -- documents and chunks ----------------------------------------------------------

    async def list_documents(
        self, project_id: str, kb_id: str, *, page: int = 1, per_page: int = 25
    ) -> Page[DocumentInfo]:
        where = (KbDocument.project_id == project_id, KbDocument.knowledge_base_id == kb_id)
        async with self._sessions() as session:
            await self._base(session, project_id, kb_id)
            total = await session.scalar(select(func.count()).select_from(KbDocument).where(*where))
            docs = (
                await session.scalars(
                    select(KbDocument)
                    .where(*where)
                    .order_by(KbDocument.created_at, KbDocument.id)
                    .offset((page - 1) * per_page)
                    .limit(per_page)
                )
            ).all()
        return Page([DocumentInfo.of(d) for d in docs], total or 0, page, per_page)

    async def delete_document(self, project_id: str, kb_id: str, document_id: str) -> None:
        async with self._sessions.begin() as session:
            await self._document(session, project_id, kb_id, document_id)
            await session.execute(
                delete(KbChunk).where(
                    KbChunk.project_id == project_id, KbChunk.document_id == document_id
                )
            )
            await session.execute(
                delete(KbDocument).where(
                    KbDocument.project_id == project_id, KbDocument.id == document_id
                )
            )
            await self._bump(session, project_id, kb_id, utcnow())

    async def list_chunks(
        self,
        project_id: str,
        kb_id: str,
        *,
        page: int = 1,
        per_page: int = 25,
        preview_chars: int | None = 200,
    ) -> Page[ChunkInfo]:
        """Chunks in document order; content cut to `preview_chars` (None for full text)."""
        if page < 1 or not 1 <= per_page <= 100:
            raise InvalidInput("page must be >= 1 and per_page between 1 and 100", field="page")
        where = (KbChunk.project_id == project_id, KbChunk.knowledge_base_id == kb_id)
        async with self._sessions() as session:
            await self._base(session, project_id, kb_id)
            total = await session.scalar(select(func.count()).select_from(KbChunk).where(*where))
            chunks = (
                await session.scalars(
                    select(KbChunk)
                    .where(*where)
                    .order_by(KbChunk.document_id, KbChunk.position, KbChunk.seq)
                    .offset((page - 1) * per_page)
                    .limit(per_page)
                )
            ).all()
        return Page([ChunkInfo.of(c, preview_chars) for c in chunks], total or 0, page, per_page)

    async def get_chunk(self, project_id: str, kb_id: str, chunk_id: str) -> ChunkInfo:
        async with self._sessions() as session:
            return ChunkInfo.of(await self._chunk(session, project_id, kb_id, chunk_id), None)

    async def update_chunk(
        self,
        project_id: str,
        kb_id: str,
        chunk_id: str,
        *,
        content: str | None = None,
        is_active: bool | None = None,
    ) -> ChunkInfo:
        """Edit a chunk's text (re-embedded at once) and/or whether search may return it."""
        vector: Vectors | None = None
        if content is not None:
            content = content.strip()
            if not content or len(content) > MAX_CHUNK_CHARS:
                raise InvalidInput(
                    f"content must be between 1 and {MAX_CHUNK_CHARS} characters",
                    field="content",
                )
        async with self._sessions() as session:
            chunk = await self._chunk(session, project_id, kb_id, chunk_id)
        if content is not None:
            text = f"{chunk.title}\n{content}" if chunk.title else content
            vector = (await self._embedder.aembed([text]))[0]
        now = utcnow()
        async with self._sessions.begin() as session:
            chunk = await self._chunk(session, project_id, kb_id, chunk_id)
            if content is not None and vector is not None:
                chunk.content, chunk.embedding = content, _blob(vector)
            if is_active is not None:
                chunk.is_active = is_active
            chunk.updated_at = now
            await self._bump(session, project_id, kb_id, now)
        return ChunkInfo.of(chunk, None)

    async def delete_chunk(self, project_id: str, kb_id: str, chunk_id: str) -> None:
        async with self._sessions.begin() as session:
            chunk = await self._chunk(session, project_id, kb_id, chunk_id)
            await session.delete(chunk)
            await session.execute(
                update(KbDocument)
                .where(KbDocument.project_id == project_id, KbDocument.id == chunk.document_id)
                .values(chunk_count=KbDocument.chunk_count - 1)
            )
            await self._bump(session, project_id, kb_id, utcnow())

    async def reindex(
        self, project_id: str, kb_id: str, *, progress: ProgressCallback | None = None
    ) -> int:
        """Re-embed every chunk of the base; returns how many were re-embedded.

        A chunk edited while this runs keeps its own fresher embedding: rows are only
        updated where `updated_at` is still the value read here.
        """
        async with self._sessions.begin() as session:
            await self._base(session, project_id, kb_id)
            await session.execute(
                update(KnowledgeBase)
                .where(KnowledgeBase.project_id == project_id, KnowledgeBase.id == kb_id)
                .values(indexing_status=IndexingStatus.INDEXING.value)
            )
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(KbChunk.seq, KbChunk.title, KbChunk.content, KbChunk.updated_at).where(
                        KbChunk.project_id == project_id, KbChunk.knowledge_base_id == kb_id
                    )
                )
            ).all()
        texts = [f"{title}\n{content}" if title else content for _, title, content, _ in rows]
        vectors = await embed_with_progress(
            self._embedder, texts, self._settings.embedding_batch_size, progress
        )
        now = utcnow()
        async with self._sessions.begin() as session:
            for start in range(0, len(rows), 1000):
                for offset, (seq, _, _, seen) in enumerate(rows[start : start + 1000]):
                    await session.execute(
                        update(KbChunk)
                        .where(KbChunk.seq == seq, KbChunk.updated_at == seen)
                        .values(embedding=_blob(vectors[start + offset]), updated_at=now)
                    )
            await self._bump(session, project_id, kb_id, now)
        return len(rows)

    # -- search ------------------------------------------------------------------------

    async def search(
        self,
        project_id: str,
        query: str,
        knowledge_base_ids: Sequence[str],
        *,
        top_k: int = 5,
        mode: SearchMode = SearchMode.HYBRID,
    ) -> list[SearchHit]:
        """Best chunks for `query` in the given bases, best first."""
        if not query.strip():
            raise InvalidInput("query must not be empty", field="query")
        if not 1 <= top_k <= 50:
            raise InvalidInput("top_k must be between 1 and 50", field="top_k")
        if not knowledge_base_ids:
            raise InvalidInput("knowledge_base_id is required", field="knowledge_base_id")
        kb_ids = list(dict.fromkeys(knowledge_base_ids))
        candidates = max(self._settings.search_candidates, top_k)
        async with self._sessions() as session:
            # Read the versions before any rows: see VectorIndex._matrix.
            versions = dict(
                (
                    await session.execute(
                        select(KnowledgeBase.id, KnowledgeBase.index_version).where(
                            KnowledgeBase.project_id == project_id, KnowledgeBase.id.in_(kb_ids)
                        )
                    )
                ).all()
            )
            if len(versions) != len(kb_ids):
                raise NotFound("Knowledge base not found", field="knowledge_base_id")
            rankings: list[list[str]] = []
            weights: list[float] = []
            similarity: dict[str, float] = {}
            if mode is not SearchMode.TEXT:
                query_vector = await self._embedder.aembed_query(query)
                by_vector = await self._vectors.ranking(
                    session, project_id, versions, query_vector, candidates
                )
                similarity = dict(by_vector)
                rankings.append([chunk_id for chunk_id, _ in by_vector])
                weights.append(VECTOR_WEIGHT)
            if mode is not SearchMode.VECTOR:
                rankings.append(
                    await fulltext_ranking(session, project_id, kb_ids, query, candidates)
                )
                weights.append(TEXT_WEIGHT)
            fused = reciprocal_rank_fusion(rankings, weights)[:top_k]
            if not fused:
                return []
            # Looked up by id alone so the planner uses the unique id index (with project_id
            # in the WHERE clause SQLite picks the scope index and scans the whole project);
            # the project is then checked on each row, so scoping still holds.
            rows = await session.scalars(
                select(KbChunk).where(KbChunk.id.in_([i for i, _ in fused]))
            )
            chunks = {c.id: c for c in rows.all() if c.project_id == project_id}
        return [
            SearchHit(
                chunk_id=c.id,
                knowledge_base_id=c.knowledge_base_id,
                document_id=c.document_id,
                source=c.source,
                title=c.title,
                position=c.position,
                content=c.content,
                score=score,
                similarity=similarity.get(c.id),
            )
            for chunk_id, score in fused
            if (c := chunks.get(chunk_id)) is not None
        ]

    # -- helpers -----------------------------------------------------------------------

    async def _base(self, session: AsyncSession, project_id: str, kb_id: str) -> KnowledgeBase:
        base = await session.scalar(
            select(KnowledgeBase).where(
                KnowledgeBase.project_id == project_id, KnowledgeBase.id == kb_id
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
                KbDocument.project_id == project_id,
                KbDocument.knowledge_base_id == kb_id,
                KbDocument.id == document_id,
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
                KbChunk.project_id == project_id,
                KbChunk.knowledge_base_id == kb_id,
                KbChunk.id == chunk_id,
            )
        )
        if chunk is None:
            raise NotFound("Chunk not found", field="chunk_id")
        return chunk

    async def _bump(
        self, session: AsyncSession, project_id: str, kb_id: str, now: datetime
    ) -> None:
        await session.execute(
            update(KnowledgeBase)
            .where(KnowledgeBase.project_id == project_id, KnowledgeBase.id == kb_id)
            .values(
                index_version=KnowledgeBase.index_version + 1,
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
                KbDocument.knowledge_base_id,
                func.sum(KbDocument.chunk_count),
                func.sum(KbDocument.total_chars),
                func.count(),
            )
            .where(KbDocument.project_id == project_id, KbDocument.knowledge_base_id.in_(kb_ids))
            .group_by(KbDocument.knowledge_base_id)
        )
        return {kb: (int(c or 0), int(t or 0), int(n)) for kb, c, t, n in rows}


def _blob(vector: Vectors) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written as UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
