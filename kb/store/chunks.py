"""Documents and chunks after ingestion: listing, editing, deleting, and re-embedding."""

from sqlalchemy import delete, update
from sqlmodel import col, func, select

from kb.embedding import Vectors
from kb.errors import InvalidInput
from kb.ingest import ProgressCallback, embed_with_progress
from kb.models import IndexingStatus, KbChunk, KbDocument, KnowledgeBase
from kb.store.changes import KbChange
from kb.store.core import StoreCore, as_blob
from kb.utc import utcnow
from kb.views import ChunkInfo, DocumentInfo, Page

MAX_CHUNK_CHARS = 8000
_REINDEX_BATCH = 1000


class ChunkMethods(StoreCore):
    async def list_documents(
        self, project_id: str, kb_id: str, *, page: int = 1, per_page: int = 25
    ) -> Page[DocumentInfo]:
        where = (
            col(KbDocument.project_id) == project_id,
            col(KbDocument.knowledge_base_id) == kb_id,
        )
        async with self._sessions() as session:
            await self._base(session, project_id, kb_id)
            total = await session.scalar(select(func.count()).select_from(KbDocument).where(*where))
            docs = (
                await session.scalars(
                    select(KbDocument)
                    .where(*where)
                    .order_by(col(KbDocument.created_at), col(KbDocument.id))
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
                    col(KbChunk.project_id) == project_id, col(KbChunk.document_id) == document_id
                )
            )
            await session.execute(
                delete(KbDocument).where(
                    col(KbDocument.project_id) == project_id, col(KbDocument.id) == document_id
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
        where = (col(KbChunk.project_id) == project_id, col(KbChunk.knowledge_base_id) == kb_id)
        async with self._sessions() as session:
            await self._base(session, project_id, kb_id)
            total = await session.scalar(select(func.count()).select_from(KbChunk).where(*where))
            chunks = (
                await session.scalars(
                    select(KbChunk)
                    .where(*where)
                    .order_by(col(KbChunk.document_id), col(KbChunk.position), col(KbChunk.seq))
                    .offset((page - 1) * per_page)
                    .limit(per_page)
                )
            ).all()
        return Page([ChunkInfo.of(c, preview_chars) for c in chunks], total or 0, page, per_page)

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
                chunk.content, chunk.embedding = content, as_blob(vector)
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
                .where(
                    col(KbDocument.project_id) == project_id,
                    col(KbDocument.id) == chunk.document_id,
                )
                .values(chunk_count=col(KbDocument.chunk_count) - 1)
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
                .where(col(KnowledgeBase.project_id) == project_id, col(KnowledgeBase.id) == kb_id)
                .values(indexing_status=IndexingStatus.INDEXING.value)
            )
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(
                        col(KbChunk.seq),
                        col(KbChunk.title),
                        col(KbChunk.content),
                        col(KbChunk.updated_at),
                    ).where(
                        col(KbChunk.project_id) == project_id,
                        col(KbChunk.knowledge_base_id) == kb_id,
                    )
                )
            ).all()
        texts = [f"{title}\n{content}" if title else content for _, title, content, _ in rows]
        vectors = await embed_with_progress(
            self._embedder, texts, self._settings.embedding_batch_size, progress
        )
        now = utcnow()
        async with self._sessions.begin() as session:
            for start in range(0, len(rows), _REINDEX_BATCH):
                batch = rows[start : start + _REINDEX_BATCH]
                for offset, (seq, _, _, seen) in enumerate(batch):
                    await session.execute(
                        update(KbChunk)
                        .where(col(KbChunk.seq) == seq, col(KbChunk.updated_at) == seen)
                        .values(embedding=as_blob(vectors[start + offset]), updated_at=now)
                    )
            await self._bump(session, project_id, kb_id, now)
            await self._notify(session, KbChange("reindexed", project_id, kb_id, len(rows)))
        return len(rows)
