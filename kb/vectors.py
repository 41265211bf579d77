"""Vector similarity search over each knowledge base's embeddings, held in memory.

pgvector is not available on our Postgres and sqlite-vec is not packaged here, so each
knowledge base's embeddings are held as one numpy matrix per process, loaded from the
database and reloaded whenever the base's `index_version` changes. Checking the version on
every search keeps replicas correct.

The exact dot product over 100k x 384 float32 reads 150 MB and took 9-25 ms on a 2-core
machine, the largest part of a search. Large bases are therefore searched in two passes:
a sketch of every row, its projection onto the base's top principal components (128 of
384 dimensions), picks `rescore` candidates, and only those are scored exactly. This is
approximate: bench/kb/speed.py measures how often the two-pass top 10 equals the exact one
(see bench/kb/RESULTS.md). Sign bits (Hamming distance) were tried first: three times
faster than the sketch but far less faithful on the same measurement.
"""

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from kb.embedding import DIMENSIONS, Vectors

# Enough rows to estimate a 384 x 384 covariance; more only slows the load.
_SKETCH_SAMPLE_ROWS = 20_000


@dataclass(frozen=True, slots=True)
class Sketch:
    """Rows projected onto the top principal components of the base's embeddings.

    Ranking by sketch @ (basis.T @ query) approximates ranking by the full dot product: the
    mean's share is the same for every row, and the dropped components carry the least
    variance.
    """

    basis: Vectors  # DIMENSIONS x dims, orthonormal columns
    rows: Vectors  # rows x dims


def sketch(vectors: Vectors, dims: int) -> Sketch:
    sample = vectors
    if len(vectors) > _SKETCH_SAMPLE_ROWS:
        picked = np.random.default_rng(0).choice(len(vectors), _SKETCH_SAMPLE_ROWS, replace=False)
        sample = vectors[np.sort(picked)]
    centred = sample - sample.mean(axis=0)
    _, eigenvectors = np.linalg.eigh(centred.T @ centred)  # ascending eigenvalues
    basis = np.ascontiguousarray(eigenvectors[:, ::-1][:, :dims], dtype=np.float32)
    return Sketch(basis, vectors @ basis)


@dataclass(frozen=True, slots=True)
class _Matrix:
    version: int
    ids: list[str]
    vectors: Vectors
    # Only for bases large enough to be searched in two passes.
    sketch: Sketch | None


_LOAD_EMBEDDINGS = text(
    """
    SELECT id, embedding FROM kb_chunks
    WHERE project_id = :project_id AND knowledge_base_id = :kb_id AND is_active
      AND embedding IS NOT NULL
    """
)


class VectorIndex:
    """Per-process cache of embedding matrices, one per knowledge base, least recently used
    evicted past `max_bases`."""

    def __init__(
        self,
        max_bases: int = 64,
        *,
        two_pass_rows: int,
        sketch_dims: int,
        rescore: int,
    ) -> None:
        self._max_bases = max_bases
        self._two_pass_rows = two_pass_rows
        self._sketch_dims = sketch_dims
        self._rescore = rescore
        self._matrices: OrderedDict[tuple[str, str], _Matrix] = OrderedDict()
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def _matrix(
        self, session: AsyncSession, project_id: str, kb_id: str, version: int
    ) -> _Matrix:
        key = (project_id, kb_id)
        cached = self._matrices.get(key)
        if cached is not None and cached.version == version:
            self._matrices.move_to_end(key)
            return cached
        # One loader per base: concurrent searches after a change wait for it instead of
        # all reading the same rows.
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._matrices.get(key)
            if cached is not None and cached.version == version:
                return cached
            # The caller read `version` before these rows, so a write landing in between
            # leaves the cache looking older than it is and triggers one more reload, never
            # a stale matrix labelled as current.
            rows = (
                await session.execute(_LOAD_EMBEDDINGS, {"project_id": project_id, "kb_id": kb_id})
            ).all()
            ids = [row[0] for row in rows]
            blob = b"".join(row[1] for row in rows)
            vectors = np.frombuffer(blob, dtype="<f4").reshape(len(ids), DIMENSIONS)
            summary = None
            if len(ids) >= self._two_pass_rows:
                # About 0.3 s at 100k rows: CPU work, kept off the event loop.
                summary = await asyncio.to_thread(sketch, vectors, self._sketch_dims)
            matrix = _Matrix(version, ids, vectors, summary)
            self._matrices[key] = matrix
            self._matrices.move_to_end(key)
            while len(self._matrices) > self._max_bases:
                evicted, _ = self._matrices.popitem(last=False)
                self._locks.pop(evicted, None)
            return matrix

    def forget(self, project_id: str, kb_id: str) -> None:
        self._matrices.pop((project_id, kb_id), None)

    async def ranking(
        self,
        session: AsyncSession,
        project_id: str,
        versions: dict[str, int],
        query_vector: Vectors,
        limit: int,
    ) -> list[tuple[str, float]]:
        """Best-first (chunk id, cosine similarity) over the given bases."""
        matrices = [
            await self._matrix(session, project_id, kb_id, version)
            for kb_id, version in versions.items()
        ]
        # Concatenating 100k ids costs milliseconds: skip it in the common one-base case.
        ids = matrices[0].ids if len(matrices) == 1 else [i for m in matrices for i in m.ids]
        if not ids:
            return []
        # The dot products are CPU work: keep them off the event loop.
        top = await asyncio.to_thread(
            top_k, [(m.vectors, m.sketch) for m in matrices], query_vector, limit, self._rescore
        )
        return [(ids[i], score) for i, score in top]


def top_k(
    parts: Sequence[tuple[Vectors, Sketch | None]], query: Vectors, limit: int, rescore: int
) -> list[tuple[int, float]]:
    """Best-first (row, cosine similarity) over the concatenated parts.

    A part with a sketch is scored exactly only on the `rescore` rows its sketch ranks
    highest; a part without one is scored whole.
    """
    rows: list[npt.NDArray[np.intp]] = []
    scores: list[Vectors] = []
    offset = 0
    for vectors, summary in parts:
        if summary is None or len(vectors) <= rescore:
            rows.append(np.arange(offset, offset + len(vectors)))
            scores.append(vectors @ query)
        else:
            approximate = summary.rows @ (query @ summary.basis)
            nearest = np.argpartition(-approximate, rescore)[:rescore]
            rows.append(nearest + offset)
            scores.append(vectors[nearest] @ query)
        offset += len(vectors)
    all_rows = np.concatenate(rows)
    all_scores = np.concatenate(scores)
    if len(all_scores) > limit:
        top = np.argpartition(-all_scores, limit)[:limit]
    else:
        top = np.arange(len(all_scores))
    return [(int(all_rows[i]), float(all_scores[i])) for i in top[np.argsort(-all_scores[top])]]
