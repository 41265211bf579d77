"""Knowledge bases for the API: the `kb` library's store, with progress and read schemas."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from redis.asyncio import Redis

from api.errors import NotFound, ValidationFailed
from api.knowledge.schemas import (
    ChunkRead,
    DocumentRead,
    IngestProgressRead,
    IngestResponse,
    KnowledgeBaseCreate,
    KnowledgeBaseRead,
    SearchRequest,
    SearchResult,
)
from kb import IngestProgress, KnowledgeStore
from kb.errors import NotFound as KbNotFound
from kb.ingest import ProgressCallback
from kb.search import SearchHit
from kb.views import ChunkInfo, DocumentInfo, IngestResult, KnowledgeBaseInfo, Page

_PROGRESS_TTL_S = 3600


def _progress_key(project_id: str, kb_id: str) -> str:
    return f"vx:kbprogress:{project_id}:{kb_id}"


def kb_read(
    info: KnowledgeBaseInfo, progress: IngestProgressRead | None = None
) -> KnowledgeBaseRead:
    return KnowledgeBaseRead(
        id=info.id,
        name=info.name,
        description=info.description,
        chunk_size=info.chunk_size,
        chunk_overlap=info.chunk_overlap,
        chunk_count=info.chunk_count,
        document_count=info.document_count,
        total_chars=info.total_chars,
        indexing_status=info.indexing_status,
        last_indexed_at=info.last_indexed_at,
        created_at=info.created_at,
        updated_at=info.updated_at,
        progress=progress,
    )


def document_read(info: DocumentInfo) -> DocumentRead:
    return DocumentRead(
        id=info.id,
        source_name=info.source_name,
        source_type=info.source_type,
        url=info.url,
        refresh_interval=info.refresh_interval_s,
        chunk_count=info.chunk_count,
        total_chars=info.total_chars,
        status=info.status,
        created_at=info.created_at,
        updated_at=info.updated_at,
        last_fetched_at=info.last_fetched_at,
    )


def chunk_read(info: ChunkInfo) -> ChunkRead:
    return ChunkRead(
        id=info.id,
        document_id=info.document_id,
        source=info.source,
        title=info.title,
        chunk_index=info.position,
        content=info.content,
        is_active=info.is_active,
        created_at=info.created_at,
        updated_at=info.updated_at,
    )


def search_result(hit: SearchHit) -> SearchResult:
    return SearchResult(
        chunk_id=hit.chunk_id,
        knowledge_base_id=hit.knowledge_base_id,
        document_id=hit.document_id,
        source=hit.source,
        title=hit.title,
        chunk_index=hit.position,
        content=hit.content,
        score=hit.score,
        similarity=hit.similarity,
    )


def _ingested(result: IngestResult) -> IngestResponse:
    return IngestResponse(
        document_id=result.document_id,
        source_file=result.source_name,
        chunks_created=result.chunks_created,
        changed=result.changed,
    )


class KnowledgeService:
    def __init__(self, store: KnowledgeStore, redis: Redis) -> None:
        self.store = store
        self.redis = redis

    @asynccontextmanager
    async def _progress(self, project_id: str, kb_id: str) -> AsyncIterator[ProgressCallback]:
        """A progress callback that any replica can read back (GET the knowledge base) while
        the work runs here; the record is removed when the work ends, however it ends."""
        key = _progress_key(project_id, kb_id)

        async def report(progress: IngestProgress) -> None:
            value = {"stage": progress.stage, "done": progress.done, "total": progress.total}
            await self.redis.set(key, json.dumps(value), ex=_PROGRESS_TTL_S)

        try:
            yield report
        finally:
            await self.redis.delete(key)

    async def create(self, project_id: str, data: KnowledgeBaseCreate) -> KnowledgeBaseRead:
        info = await self.store.create_knowledge_base(
            project_id,
            name=data.name,
            description=data.description,
            chunk_size=data.chunk_size,
            chunk_overlap=data.chunk_overlap,
        )
        return kb_read(info)

    async def get(self, project_id: str, kb_id: str) -> KnowledgeBaseRead:
        info = await self.store.get_knowledge_base(project_id, kb_id)
        raw = await self.redis.get(_progress_key(project_id, kb_id))
        progress = IngestProgressRead.model_validate_json(raw) if raw else None
        return kb_read(info, progress)

    async def list_bases(
        self, project_id: str, page: int, per_page: int
    ) -> Page[KnowledgeBaseRead]:
        result = await self.store.list_knowledge_bases(project_id, page=page, per_page=per_page)
        return Page([kb_read(i) for i in result.items], result.total, page, per_page)

    async def delete(self, project_id: str, kb_id: str) -> None:
        await self.store.delete_knowledge_base(project_id, kb_id)

    async def ingest_upload(
        self, project_id: str, kb_id: str, data: bytes, source_name: str
    ) -> IngestResponse:
        async with self._progress(project_id, kb_id) as progress:
            result = await self.store.ingest_upload(
                project_id, kb_id, data, source_name=source_name, progress=progress
            )
        return _ingested(result)

    async def ingest_text(
        self, project_id: str, kb_id: str, content: str, source_name: str
    ) -> IngestResponse:
        async with self._progress(project_id, kb_id) as progress:
            result = await self.store.ingest_text(
                project_id, kb_id, content, source_name=source_name, progress=progress
            )
        return _ingested(result)

    async def ingest_url(
        self, project_id: str, kb_id: str, url: str, refresh_interval_s: int | None
    ) -> IngestResponse:
        async with self._progress(project_id, kb_id) as progress:
            result = await self.store.ingest_url(
                project_id, kb_id, url, refresh_interval_s=refresh_interval_s, progress=progress
            )
        return _ingested(result)

    async def reindex(self, project_id: str, kb_id: str) -> int:
        async with self._progress(project_id, kb_id) as progress:
            return await self.store.reindex(project_id, kb_id, progress=progress)

    async def documents(
        self, project_id: str, kb_id: str, page: int, per_page: int
    ) -> Page[DocumentRead]:
        result = await self.store.list_documents(project_id, kb_id, page=page, per_page=per_page)
        return Page([document_read(d) for d in result.items], result.total, page, per_page)

    async def chunks(
        self, project_id: str, kb_id: str, page: int, per_page: int
    ) -> Page[ChunkRead]:
        result = await self.store.list_chunks(project_id, kb_id, page=page, per_page=per_page)
        return Page([chunk_read(c) for c in result.items], result.total, page, per_page)

    async def search(self, project_id: str, data: SearchRequest) -> list[SearchResult]:
        kb_ids = data.knowledge_base_ids or (
            [data.knowledge_base_id] if data.knowledge_base_id else []
        )
        if not kb_ids:
            raise ValidationFailed(
                "knowledge_base_id or knowledge_base_ids is required", field="knowledge_base_id"
            )
        hits = await self.store.search(project_id, data.query, kb_ids, top_k=data.top_k)
        return [search_result(hit) for hit in hits]

    async def require_existing(self, project_id: str, kb_ids: Sequence[str]) -> None:
        """404 naming `knowledge_base_ids` when an agent points at a base the project lacks."""
        for index, kb_id in enumerate(kb_ids):
            try:
                await self.store.get_knowledge_base(project_id, kb_id)
            except KbNotFound as exc:
                raise NotFound(
                    f"Knowledge base {kb_id} not found",
                    details={"field": f"knowledge_base_ids.{index}"},
                ) from exc
