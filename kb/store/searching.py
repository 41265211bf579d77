"""Hybrid search over one or more knowledge bases of a project."""

import asyncio
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from kb.errors import InvalidInput, NotFound
from kb.models import KbChunk, KnowledgeBase
from kb.search import SearchHit, SearchMode, fulltext_ranking, fuse_scores
from kb.store.core import StoreCore


class SearchMethods(StoreCore):
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
        mode = SearchMode(mode)  # a plain string from a caller compares by identity below
        kb_ids = list(dict.fromkeys(knowledge_base_ids))
        candidates = max(self._settings.search_candidates, top_k)
        async with self._sessions() as session:
            # Read the versions before any rows: see VectorIndex._matrix.
            version_rows = await session.execute(
                select(col(KnowledgeBase.id), col(KnowledgeBase.index_version)).where(
                    col(KnowledgeBase.project_id) == project_id,
                    col(KnowledgeBase.id).in_(kb_ids),
                )
            )
            versions: dict[str, int] = dict(version_rows.all())
            if len(versions) != len(kb_ids):
                raise NotFound("Knowledge base not found", field="knowledge_base_id")
            by_vector, by_text = await self._rankings(
                session, project_id, kb_ids, versions, query, candidates, mode
            )
            similarity = dict(by_vector)
            fused = fuse_scores(by_vector, by_text)[:top_k]
            if not fused:
                return []
            # Looked up by id alone so the planner uses the unique id index (with project_id
            # in the WHERE clause SQLite picks the scope index and scans the whole project);
            # the project is then checked on each row, so scoping still holds.
            rows = await session.scalars(
                select(KbChunk).where(col(KbChunk.id).in_([i for i, _ in fused]))
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

    async def _rankings(
        self,
        session: AsyncSession,
        project_id: str,
        kb_ids: list[str],
        versions: dict[str, int],
        query: str,
        candidates: int,
        mode: SearchMode,
    ) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """(vector ranking, full-text ranking) as best-first (chunk id, score); empty for a
        retriever the mode leaves out."""
        vector = (
            self._vector_ranking(session, project_id, versions, query, candidates)
            if mode is not SearchMode.TEXT
            else None
        )
        if mode is SearchMode.VECTOR:
            return await vector if vector else [], []
        common = self._settings.fulltext_common_term_docs if mode is SearchMode.HYBRID else None
        if vector is None or not self._parallel_sessions:
            # One retriever, or one shared connection (in-memory SQLite): nothing to overlap.
            by_vector = await vector if vector else []
            return by_vector, await fulltext_ranking(
                session, project_id, kb_ids, query, candidates, common_term_docs=common
            )
        # Both retrievers at once, full-text on its own connection: the embedding model, the
        # dot products and the database drivers all release the GIL, so the full-text stage
        # mostly hides behind the embedding instead of adding to it.
        async with asyncio.TaskGroup() as group:
            vector_task = group.create_task(vector)
            text_task = group.create_task(
                self._own_session_fulltext(project_id, kb_ids, query, candidates, common)
            )
        return vector_task.result(), text_task.result()

    async def _vector_ranking(
        self,
        session: AsyncSession,
        project_id: str,
        versions: dict[str, int],
        query: str,
        candidates: int,
    ) -> list[tuple[str, float]]:
        query_vector = await self._embedder.aembed_query(query)
        return await self._vectors.ranking(session, project_id, versions, query_vector, candidates)

    async def _own_session_fulltext(
        self,
        project_id: str,
        kb_ids: list[str],
        query: str,
        candidates: int,
        common_term_docs: int | None,
    ) -> list[tuple[str, float]]:
        async with self._sessions() as session:
            return await fulltext_ranking(
                session, project_id, kb_ids, query, candidates, common_term_docs=common_term_docs
            )
