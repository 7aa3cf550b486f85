"""Text and brand scores are z-scored within the batch before the preset's weight blends them:
the brand score's larger raw scale no longer decides; N=1, ties and near ties are safe."""

import math

import pytest

from generation.engines.scoring import best_of
from generation.quality.blend import MIN_SPREAD, blend, normalise


def test_normalise_gives_batch_z_scores():
    z = normalise([0.26, 0.30, 0.28])
    assert sum(z) == pytest.approx(0.0, abs=1e-12)
    assert z == pytest.approx([-math.sqrt(1.5), math.sqrt(1.5), 0.0])


def test_single_candidate_and_exact_ties_normalise_to_zero():
    assert normalise([0.31]) == [0.0]
    assert normalise([0.5, 0.5, 0.5]) == [0.0, 0.0, 0.0]
    assert normalise([]) == []
    final, text_z, brand_z = blend([0.2], [0.8], 0.5)
    assert final == [0.0] and text_z == [0.0] and brand_z == [0.0]
    assert best_of(blend([0.3, 0.3], [0.7, 0.7], 0.5)[0]) == 0  # ties: the first candidate


def test_near_ties_are_not_blown_up():
    z = normalise([0.3000, 0.3002])  # a difference of 0.0002: noise
    assert max(abs(v) for v in z) == pytest.approx(0.0001 / MIN_SPREAD)
    assert max(abs(v) for v in z) < 0.05


def test_non_finite_scores_and_bad_weights_are_refused():
    with pytest.raises(ValueError, match="finite"):
        normalise([0.1, float("nan")])
    with pytest.raises(ValueError, match="brand_weight"):
        blend([0.1], [0.2], 1.5)
    with pytest.raises(ValueError, match="one score per candidate"):
        blend([0.1, 0.2], [0.2], 0.5)


def test_the_text_score_counts_as_weighted_not_as_its_raw_scale():
    text = [0.26, 0.30, 0.28]  # candidate 1 matches the description best
    brand = [0.90, 0.80, 0.85]  # candidate 0 looks most on-brand; brand scores spread wider
    raw = [0.6 * t + 0.4 * b for t, b in zip(text, brand, strict=True)]
    assert best_of(raw) == 0  # averaged raw, the brand decides although text weighs more
    final, _, _ = blend(text, brand, brand_weight=0.4)
    assert best_of(final) == 1  # normalised, the 60 % text weight decides
    final, _, _ = blend(text, brand, brand_weight=0.6)
    assert best_of(final) == 0


def test_without_brand_scores_the_text_z_score_ranks():
    final, text_z, brand_z = blend([0.2, 0.4, 0.3], None, 0.5)
    assert brand_z is None and final == text_z and best_of(final) == 1
