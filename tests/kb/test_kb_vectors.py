"""Two-pass vector search: a principal-component sketch ranks rows, the best are rescored."""

import numpy as np
import pytest

from kb.embedding import DIMENSIONS
from kb.vectors import sketch, top_k

pytestmark = pytest.mark.unit


def _unit_rows(count: int, seed: int, spread: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Unequal variances per dimension, as real embeddings have: the sketch keeps the largest.
    scale = np.linspace(1.0, spread, DIMENSIONS, dtype=np.float32)
    rows = rng.standard_normal((count, DIMENSIONS)).astype(np.float32) * scale
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _exact(vectors: np.ndarray, query: np.ndarray, limit: int) -> list[int]:
    return [int(i) for i in np.argsort(-(vectors @ query))[:limit]]


def test_sketch_basis_is_orthonormal_and_follows_the_largest_variance() -> None:
    rows = np.random.default_rng(1).standard_normal((3000, DIMENSIONS)).astype(np.float32)
    rows[:, 16:] *= 0.05  # the first 16 dimensions carry almost all the variance
    vectors = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    summary = sketch(vectors, dims=16)
    assert summary.basis.shape == (DIMENSIONS, 16)
    assert summary.rows.shape == (3000, 16)
    np.testing.assert_allclose(summary.basis.T @ summary.basis, np.eye(16), atol=1e-4)
    assert (summary.basis[:16] ** 2).sum() > 0.95 * 16


def test_two_pass_finds_the_exact_nearest_of_a_near_duplicate() -> None:
    vectors = _unit_rows(5000, seed=2, spread=0.2)
    noise = _unit_rows(20, seed=3) * 0.3
    queries = vectors[:20] + noise
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    summary = sketch(vectors, dims=128)
    for query in queries:
        approximate = top_k([(vectors, summary)], query, 5, rescore=250)
        assert approximate[0][0] == _exact(vectors, query, 1)[0]


def test_scores_of_rescored_rows_are_exact_cosine_similarities() -> None:
    vectors = _unit_rows(1000, seed=4, spread=0.2)
    query = vectors[7]
    ranked = top_k([(vectors, sketch(vectors, dims=64))], query, 3, rescore=100)
    assert ranked[0][0] == 7
    for row, score in ranked:
        assert score == pytest.approx(float(vectors[row] @ query), abs=1e-6)


def test_parts_with_and_without_a_sketch_merge_with_row_offsets() -> None:
    small = _unit_rows(10, seed=5)
    large = _unit_rows(3000, seed=6, spread=0.2)
    query = large[42]
    ranked = top_k([(small, None), (large, sketch(large, dims=64))], query, 1, rescore=50)
    assert ranked[0][0] == len(small) + 42


def test_a_part_no_larger_than_the_rescore_count_is_scored_whole() -> None:
    vectors = _unit_rows(40, seed=7)
    query = _unit_rows(1, seed=8)[0]
    ranked = top_k([(vectors, sketch(vectors, dims=8))], query, 40, rescore=40)
    assert [row for row, _ in ranked] == _exact(vectors, query, 40)
