"""Ingestion: uploads, raw text and URLs (with periodic refresh) become a document's chunks.

Re-ingesting a source replaces its chunks in one transaction; unchanged URL content is not
re-embedded.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from kb.chunking import ChunkDraft
from kb.embedding import Vectors
from kb.errors import InvalidInput
from kb.ingest import ProgressCallback, check_size, prepare, report
from kb.models import DocumentStatus, KbChunk, KbDocument, SourceType, new_id, utcnow
from kb.store.changes import KbChange
from kb.store.core import StoreCore, as_aware, as_blob
from kb.views import IngestResult

logger = logging.getLogger(__name__)

_TITLE_MAX = 1000
_SOURCE_MAX = 500
_INSERT_BATCH = 5000


@dataclass(frozen=True, slots=True)
class DueDocument:
    project_id: str
    knowledge_base_id: str
    document_id: str


class IngestionMethods(StoreCore):
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
            docs = (
                await session.scalars(
                    select(KbDocument).where(
                        col(KbDocument.source_type) == SourceType.URL.value,
                        col(KbDocument.refresh_interval_s).is_not(None),
                    )
                )
            ).all()
        return [
            DueDocument(doc.project_id, doc.knowledge_base_id, doc.id)
            for doc in docs
            if doc.refresh_interval_s is not None
            and (
                doc.last_fetched_at is None
                or as_aware(doc.last_fetched_at) + timedelta(seconds=doc.refresh_interval_s) <= now
            )
        ]

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
                    col(KbDocument.project_id) == project_id,
                    col(KbDocument.knowledge_base_id) == kb_id,
                    col(KbDocument.source_name) == source_name,
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
                    col(KbDocument.project_id) == project_id,
                    col(KbDocument.knowledge_base_id) == kb_id,
                    col(KbDocument.source_name) == source_name,
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
                        col(KbChunk.project_id) == project_id, col(KbChunk.document_id) == doc.id
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
                    "embedding": as_blob(vectors[i]),
                    "created_at": now,
                    "updated_at": now,
                }
                for i, chunk in enumerate(chunks)
            ]
            for start in range(0, len(rows), _INSERT_BATCH):
                await session.execute(insert(KbChunk), rows[start : start + _INSERT_BATCH])
            await self._bump(session, project_id, kb_id, now)
            change = KbChange(
                "document_stored",
                project_id,
                kb_id,
                len(chunks),
                document_id=doc.id,
                source_name=source_name,
                source_type=source_type.value,
            )
            await self._notify(session, change)
            return doc.id

    async def _touch_fetched(self, doc: KbDocument, refresh_interval_s: int | None) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(KbDocument)
                .where(col(KbDocument.project_id) == doc.project_id, col(KbDocument.id) == doc.id)
                .values(last_fetched_at=utcnow(), refresh_interval_s=refresh_interval_s)
            )
