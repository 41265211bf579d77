"""Score fusion of the vector and full-text rankings."""

import pytest

from kb.search import TEXT_WEIGHT, fuse_scores

pytestmark = pytest.mark.unit

VECTOR = [("a", 0.62), ("b", 0.60), ("c", 0.35), ("d", 0.10)]


def order(fused: list[tuple[str, float]]) -> list[str]:
    return [chunk_id for chunk_id, _ in fused]


def test_clear_vector_winner_stays_first_when_full_text_prefers_a_weak_candidate() -> None:
    fused = fuse_scores(VECTOR, [("c", 9.0), ("a", 2.0)])
    assert order(fused)[0] == "a"


def test_full_text_lifts_the_near_tied_vector_candidate_it_matches_best() -> None:
    fused = fuse_scores(VECTOR, [("b", 9.0), ("a", 2.0)])
    assert order(fused)[:2] == ["b", "a"]


def test_full_text_scores_count_relative_to_the_best_one() -> None:
    text = [("b", 9.0), ("c", 4.0)]
    scaled = [(chunk_id, score * 100) for chunk_id, score in text]
    assert dict(fuse_scores(VECTOR, text)) == pytest.approx(dict(fuse_scores(VECTOR, scaled)))


def test_cosines_are_scaled_to_the_candidates_range() -> None:
    fused = dict(fuse_scores(VECTOR, []))
    assert fused["a"] == pytest.approx(1.0)
    assert fused["d"] == pytest.approx(0.0)


def test_a_chunk_only_full_text_found_scores_by_full_text_alone() -> None:
    fused = dict(fuse_scores(VECTOR, [("e", 3.0), ("a", 6.0)]))
    assert fused["e"] == pytest.approx(TEXT_WEIGHT * 0.5)


def test_one_retriever_alone_keeps_its_order() -> None:
    assert order(fuse_scores(VECTOR, [])) == ["a", "b", "c", "d"]
    assert order(fuse_scores([], [("x", 3.0), ("y", 1.0)])) == ["x", "y"]
    assert fuse_scores([], []) == []


def test_equal_cosines_do_not_divide_by_zero() -> None:
    fused = fuse_scores([("a", 0.5), ("b", 0.5)], [("b", 1.0)])
    assert order(fused) == ["b", "a"]
