"""Weighted reciprocal rank fusion of the vector and full-text rankings."""

import pytest

from kb.search import RRF_K, TEXT_WEIGHT, VECTOR_WEIGHT, reciprocal_rank_fusion

pytestmark = pytest.mark.unit


def test_vector_top_hit_stays_first_when_full_text_prefers_another_chunk() -> None:
    fused = reciprocal_rank_fusion(
        [["a", "b", "c"], ["c", "d", "b"]], [VECTOR_WEIGHT, TEXT_WEIGHT], RRF_K
    )
    assert fused[0][0] == "a"


def test_full_text_lifts_the_runner_up_it_agrees_on() -> None:
    fused = reciprocal_rank_fusion(
        [["a", "b", "c"], ["b", "d"]], [VECTOR_WEIGHT, TEXT_WEIGHT], RRF_K
    )
    assert [chunk_id for chunk_id, _ in fused][:2] == ["b", "a"]


def test_equal_weights_without_explicit_weights() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "b"], ["b", "a"]], k=60))
    assert fused["a"] == pytest.approx(fused["b"])


def test_weights_must_match_rankings() -> None:
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([["a"], ["b"]], [1.0])
