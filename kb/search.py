"""Hybrid retrieval: full-text (FTS5 / tsvector) and vector similarity (kb.vectors), fused
by score."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

# Score fusion (fuse_scores): cosine scaled min-max over the vector candidates, plus
# TEXT_WEIGHT x the full-text score over the query's best full-text score. The vector ranking
# is the stronger retriever on spoken, paraphrased questions; full-text helps most when it
# matches a question's rarer words clearly better than any other chunk does (a price list
# row, a name), which its score shows and its rank alone does not. Chosen on the development
# sets only (bench/kb/fusion_dev.py: five businesses, each alone and all in one base, on
# SQLite and PostgreSQL): every weight from 0.15 to 0.3 beat vector alone on every set but
# the guesthouse (one answer loses its first place) and, pooled, beat the weighted rank
# fusion used before; 0.25 is the middle of that range. See bench/kb/RESULTS.md.
TEXT_WEIGHT = 0.25

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
    # Fused score (see fuse_scores; comparable within one result list only).
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


# FTS5's bm25() is lower for better matches; it is negated so both dialects return a score
# that is higher for better matches and 0 for none.
_SQLITE_FTS = text(
    """
    SELECT c.id, -bm25(kb_chunks_fts, 0.5, 1.0) AS score
    FROM kb_chunks_fts JOIN kb_chunks c ON c.seq = kb_chunks_fts.rowid
    WHERE kb_chunks_fts MATCH :query AND c.project_id = :project_id
      AND c.knowledge_base_id IN :kb_ids AND c.is_active
    ORDER BY score DESC LIMIT :limit
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
    SELECT m.id, ts_rank_cd(m.search_vector, q) AS score
    FROM matches m, to_tsquery('english', :query) q
    WHERE m.project_id = :project_id AND m.knowledge_base_id IN :kb_ids AND m.is_active
    ORDER BY score DESC LIMIT :limit
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
) -> list[tuple[str, float]]:
    """Best-first (chunk id, score) by BM25 (SQLite) or ts_rank_cd (Postgres).

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
    return [(chunk_id, float(score)) for chunk_id, score in rows]


def fuse_scores(
    by_vector: Sequence[tuple[str, float]],
    by_text: Sequence[tuple[str, float]],
    text_weight: float = TEXT_WEIGHT,
) -> list[tuple[str, float]]:
    """Fuse best-first (chunk id, score) lists: vector cosines and full-text scores.

    Cosines are scaled min-max over the candidates: they have no natural zero (unrelated
    text still scores above 0) and their spread changes from query to query. Full-text
    scores are divided by the best one: 0 already means "shares no term with the question",
    and the best match counts fully however weak BM25 makes it look. A chunk missing from a
    list gets 0 from that list. Ties keep the vector order.
    """
    scores: dict[str, float] = {}
    if by_vector:
        low = min(cosine for _, cosine in by_vector)
        spread = max(cosine for _, cosine in by_vector) - low
        for chunk_id, cosine in by_vector:
            scores[chunk_id] = (cosine - low) / spread if spread > 0 else 1.0
    best = max((score for _, score in by_text), default=0.0)
    if best > 0:
        for chunk_id, score in by_text:
            scores[chunk_id] = scores.get(chunk_id, 0.0) + text_weight * score / best
    return sorted(scores.items(), key=lambda item: item[1], reverse=True)
