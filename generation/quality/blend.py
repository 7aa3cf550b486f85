"""Text and brand scores on one scale: normalised within the batch, then blended.

Raw CLIP cosines live on different scales: a text score is about 0.2-0.35, an image-image
(brand) score about 0.5-0.9, and the spread inside one batch differs between the two. Averaged
raw, whichever spreads more decides. So each is turned into a z-score within the batch first,
then blended: ``final = (1 - brand_weight) * text_z + brand_weight * brand_z``.

- N = 1, or all scores tied: every z-score is 0 (nothing to tell apart).
- Near ties: the spread is floored at `MIN_SPREAD` (in cosine units) so that differences of a
  thousandth, which are noise, are not blown up to the same weight as real differences.
- No brand scores (no reference images): ``final = text_z``.

`brand_weight` comes from the preset (`StylePreset.brand_weight`) or, when the preset leaves it
empty, from the `AVATARSAAS_BRAND_WEIGHT` setting (default 0.5).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

MIN_SPREAD = 0.01


def normalise(scores: Sequence[float], *, min_spread: float = MIN_SPREAD) -> list[float]:
    """z-scores within the batch (population standard deviation, floored at `min_spread`)."""
    values = [float(s) for s in scores]
    if not values:
        return []
    if not all(math.isfinite(v) for v in values):
        raise ValueError("scores: every score must be a finite number.")
    mean = sum(values) / len(values)
    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    if spread == 0.0:
        return [0.0] * len(values)
    return [(v - mean) / max(spread, min_spread) for v in values]


def blend(
    text_scores: Sequence[float],
    brand_scores: Sequence[float] | None,
    brand_weight: float,
) -> tuple[list[float], list[float], list[float] | None]:
    """(final scores, text z-scores, brand z-scores or None), one per candidate."""
    if not 0.0 <= brand_weight <= 1.0:
        raise ValueError("brand_weight: must be between 0 and 1.")
    text_z = normalise(text_scores)
    if brand_scores is None:
        return list(text_z), text_z, None
    if len(brand_scores) != len(text_scores):
        raise ValueError("brand_scores: need one score per candidate, like text_scores.")
    brand_z = normalise(brand_scores)
    final = [
        (1.0 - brand_weight) * t + brand_weight * b for t, b in zip(text_z, brand_z, strict=True)
    ]
    return final, text_z, brand_z
