"""Knowledge-base CRUD with chunk and document counts."""

from sqlalchemy import delete
from sqlmodel import col, func, select

from kb.chunking import validate_chunking
from kb.errors import InvalidInput
from kb.models import KbChunk, KbDocument, KnowledgeBase
from kb.store.core import StoreCore
from kb.views import KnowledgeBaseInfo, Page


class KnowledgeBaseMethods(StoreCore):
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
            chunk_overlap if chunk_overlap is not None else self._settings.default_chunk_overlap
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
                select(func.count()).where(col(KnowledgeBase.project_id) == project_id)
            )
            bases = (
                await session.scalars(
                    select(KnowledgeBase)
                    .where(col(KnowledgeBase.project_id) == project_id)
                    .order_by(col(KnowledgeBase.created_at).desc(), col(KnowledgeBase.id))
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
            await session.execute(
                delete(KbChunk).where(
                    col(KbChunk.project_id) == project_id,
                    col(KbChunk.knowledge_base_id) == kb_id,
                )
            )
            await session.execute(
                delete(KbDocument).where(
                    col(KbDocument.project_id) == project_id,
                    col(KbDocument.knowledge_base_id) == kb_id,
                )
            )
            await session.execute(
                delete(KnowledgeBase).where(
                    col(KnowledgeBase.project_id) == project_id, col(KnowledgeBase.id) == kb_id
                )
            )
        self._vectors.forget(project_id, kb_id)
