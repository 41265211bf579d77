"""Hybrid retrieval: full-text (FTS5 / tsvector) and vector similarity (kb.vectors), fused
by rank."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

# Weighted reciprocal rank fusion. The vector ranking is the stronger retriever on spoken,
# paraphrased questions; full-text mostly helps by confirming or lifting a near-top vector
# candidate that shares the rare words (a price list row, a name). The values were chosen
# on the development set (bench/kb/fusion_dev.py, a garage's documents) and only then
# checked on the retrieval set; see bench/kb/RESULTS.md. A small k makes the top ranks count.
RRF_K = 1
VECTOR_WEIGHT = 1.0
TEXT_WEIGHT = 0.4

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
    ]
)
_WORD = re.compile(r"\w+", re.UNICODE)


class SearchMode(StrEnum):
    HYBRID = "hybrid"
    TEXT = "text"
    VECTOR = "vector"


@dataclass(frozen=True, slots=True)
class SearchHit:
    chunk_id: str
    knowledge_base_id: str
    document_id: str
    source: str
    title: str | None
    position: int
    content: str
    # Reciprocal-rank-fusion score (comparable within one result list only).
    score: float
    # Cosine similarity to the query when the chunk was among the vector candidates: an
    # absolute measure callers can threshold ("no good answer").
    similarity: float | None = None


def query_terms(query: str, limit: int = 32) -> list[str]:
    """Words of the query without stop words: matched with OR, ranked by BM25.

    Spoken questions rarely contain every word of the answer, so requiring all terms (the
    engines' default AND) would miss most answers.
    """
    words = [w.lower() for w in _WORD.findall(query)]
    terms = [w for w in dict.fromkeys(words) if w not in STOPWORDS and len(w) > 1]
    return (terms or list(dict.fromkeys(words)))[:limit]


_SQLITE_FTS = text(
    """
    SELECT c.id FROM kb_chunks_fts JOIN kb_chunks c ON c.seq = kb_chunks_fts.rowid
    WHERE kb_chunks_fts MATCH :query AND c.project_id = :project_id
      AND c.knowledge_base_id IN :kb_ids AND c.is_active
    ORDER BY bm25(kb_chunks_fts, 0.5, 1.0) LIMIT :limit
    """
).bindparams(bindparam("kb_ids", expanding=True))
# The matches are taken through the GIN index first (MATERIALIZED keeps the planner from
# merging the steps): with the scope filter in the same WHERE clause, and statistics that
# lag a bulk load, PostgreSQL chose the scope index and tested every row of the project
# against the query (130 ms at 100k chunks). Hybrid search drops common terms, so the
# match set stays small.
_POSTGRES_FTS = text(
    """
    WITH matches AS MATERIALIZED (
        SELECT id, project_id, knowledge_base_id, is_active, search_vector FROM kb_chunks
        WHERE search_vector @@ to_tsquery('english', :query)
    )
    SELECT m.id FROM matches m, to_tsquery('english', :query) q
    WHERE m.project_id = :project_id AND m.knowledge_base_id IN :kb_ids AND m.is_active
    ORDER BY ts_rank_cd(m.search_vector, q) DESC LIMIT :limit
    """
).bindparams(bindparam("kb_ids", expanding=True))


# S608 below: the statement text is built from integers and constants only; the terms are
# bound parameters.
def _capped_count(dialect: str, index: int) -> str:
    if dialect == "sqlite":
        return (
            f"SELECT {index}, count(*) FROM (SELECT 1 FROM kb_chunks_fts "  # noqa: S608
            f"WHERE kb_chunks_fts MATCH :t{index} LIMIT :cap)"
        )
    return (
        f"SELECT {index}, count(*) FROM (SELECT 1 FROM kb_chunks "  # noqa: S608
        f"WHERE search_vector @@ to_tsquery('english', :t{index}) LIMIT :cap) AS t{index}"
    )


async def rare_terms(session: AsyncSession, terms: Sequence[str], common_docs: int) -> list[str]:
    """The terms found in fewer than `common_docs` chunks; counting stops at that cap.

    Counted over the whole table, not per project: a word that is common in the database is
    common enough in general text that it rarely decides which chunk answers a question.
    """
    dialect = _dialect(session)
    statement = " UNION ALL ".join(_capped_count(dialect, i) for i in range(len(terms)))
    params: dict[str, object] = {"cap": common_docs}
    params.update({f"t{i}": _fts_term(dialect, t) for i, t in enumerate(terms)})
    rows = await session.execute(text(statement), params)
    counts: dict[int, int] = {int(i): int(n) for i, n in rows}
    return [t for i, t in enumerate(terms) if counts.get(i, 0) < common_docs]


def _dialect(session: AsyncSession) -> str:
    bind = session.get_bind()
    return bind.dialect.name


def _fts_term(dialect: str, term: str) -> str:
    # Quoted for FTS5 so a word such as OR or NEAR stays a word; \w+ terms need no escaping
    # in a Postgres tsquery.
    return f'"{term}"' if dialect == "sqlite" else term


async def fulltext_ranking(
    session: AsyncSession,
    project_id: str,
    kb_ids: Sequence[str],
    query: str,
    limit: int,
    *,
    common_term_docs: int | None = None,
) -> list[str]:
    """Best-first chunk ids by BM25 (SQLite) or ts_rank_cd (Postgres).

    With `common_term_docs` (hybrid search) terms found in that many chunks or more are
    dropped first: their BM25 weight is small, and scoring every chunk that holds them is
    what made full-text the slow half of a search at 100k chunks. A query made only of
    common terms then contributes no full-text ranking, and the vector ranking decides.
    """
    terms = query_terms(query)
    if terms and common_term_docs is not None:
        terms = await rare_terms(session, terms, common_term_docs)
    if not terms:
        return []
    dialect = _dialect(session)
    statement = _SQLITE_FTS if dialect == "sqlite" else _POSTGRES_FTS
    separator = " OR " if dialect == "sqlite" else " | "
    expression = separator.join(_fts_term(dialect, t) for t in terms)
    rows = await session.execute(
        statement,
        {"query": expression, "project_id": project_id, "kb_ids": list(kb_ids), "limit": limit},
    )
    return [row[0] for row in rows]


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]],
    weights: Sequence[float] | None = None,
    k: int = RRF_K,
) -> list[tuple[str, float]]:
    """Fuse best-first id lists: score(id) = sum over lists of weight / (k + rank)."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, chunk_id in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: item[1], reverse=True)
