"""Hybrid search over one or more knowledge bases of a project."""

from collections.abc import Sequence

from sqlmodel import col, select

from kb.errors import InvalidInput, NotFound
from kb.models import KbChunk, KnowledgeBase
from kb.search import (
    TEXT_WEIGHT,
    VECTOR_WEIGHT,
    SearchHit,
    SearchMode,
    fulltext_ranking,
    reciprocal_rank_fusion,
)
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
                    await fulltext_ranking(
                        session,
                        project_id,
                        kb_ids,
                        query,
                        candidates,
                        common_term_docs=(
                            self._settings.fulltext_common_term_docs
                            if mode is SearchMode.HYBRID
                            else None
                        ),
                    )
                )
                weights.append(TEXT_WEIGHT)
            fused = reciprocal_rank_fusion(rankings, weights)[:top_k]
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
