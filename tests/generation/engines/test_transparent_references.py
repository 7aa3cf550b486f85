"""Transparent brand references are compared as they look on a page (over white), not over
the black that `convert("RGB")` leaves in transparent pixels."""

import pytest
from PIL import Image

from generation.engines.scoring import ClipScorer

pytestmark = pytest.mark.ml


def test_a_transparent_reference_scores_like_its_white_composite(tiny_models):
    scorer = ClipScorer(tiny_models.clip_arch, tiny_models.clip_checkpoint, device="cpu")
    logo = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    logo.paste((220, 30, 30, 255), (16, 16, 48, 48))
    on_white = Image.new("RGB", (64, 64), "white")
    on_white.paste((220, 30, 30), (16, 16, 48, 48))
    on_black = logo.convert("RGB")
    candidates = [on_white, on_black, Image.new("RGB", (64, 64), "navy")]
    transparent = scorer.image_image_scores(candidates, [logo])
    assert transparent == pytest.approx(scorer.image_image_scores(candidates, [on_white]))
    assert transparent != pytest.approx(scorer.image_image_scores(candidates, [on_black]))
    assert transparent[0] == pytest.approx(1.0, abs=1e-5)
