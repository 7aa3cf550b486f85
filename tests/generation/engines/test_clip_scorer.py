"""open_clip scoring with the tiny model, loaded by the production loader from a checkpoint."""

from __future__ import annotations

import math

import pytest
from PIL import Image

from generation.engines.base import ModelNotConfigured
from generation.engines.loading import model_hash
from generation.engines.scoring import ClipScorer, best_of, combined_scores

pytestmark = pytest.mark.ml


@pytest.fixture(scope="module")
def scorer(tiny_models):
    return ClipScorer(tiny_models.clip_arch, tiny_models.clip_checkpoint, device="cpu")


def _swatches() -> list[Image.Image]:
    return [Image.new("RGB", (64, 64), colour) for colour in ("red", "navy", "gold", "white")]


def test_one_finite_score_per_candidate_and_best_of_is_argmax(scorer, sd_engine, make_request):
    candidates = sd_engine.generate(make_request(seeds=(1, 2, 3)))
    scores = scorer.text_image_scores("a friendly robot", [c.image for c in candidates])
    assert len(scores) == 3 and all(math.isfinite(s) and -1.0 <= s <= 1.0 for s in scores)
    assert scorer.best_of(scores) == max(range(3), key=scores.__getitem__)


def test_scores_are_deterministic_and_image_specific(scorer):
    images = _swatches()
    first = scorer.text_image_scores("a red robot", images)
    assert scorer.text_image_scores("a red robot", images) == first
    assert len(set(first)) > 1


def test_image_image_score_is_highest_for_the_reference_itself(scorer):
    images = _swatches()
    scores = scorer.image_image_scores(images, [images[2]])
    assert scores[2] == pytest.approx(1.0, abs=1e-5)
    assert best_of(scores) == 2


def test_loader_registers_the_config_beside_the_checkpoint(tiny_models, scorer):
    import open_clip

    scorer.load()
    assert tiny_models.clip_arch in open_clip.list_models()
    info = scorer.describe()
    assert info["model_hash"] == model_hash(tiny_models.clip_checkpoint)
    assert info["arch"] == tiny_models.clip_arch


def test_missing_checkpoint_or_arch_is_model_not_configured(tiny_models, tmp_path):
    with pytest.raises(ModelNotConfigured, match="AVATARSAAS_CLIP_CHECKPOINT"):
        ClipScorer(tiny_models.clip_arch, tmp_path / "missing.pt")
    with pytest.raises(ModelNotConfigured, match="AVATARSAAS_CLIP_ARCH"):
        ClipScorer("", tiny_models.clip_checkpoint)
    with pytest.raises(ModelNotConfigured, match="no-such-arch"):
        ClipScorer("no-such-arch", tiny_models.clip_checkpoint).load()


def test_best_of_and_combined_scores():
    assert best_of([0.1, 0.3, 0.3, -1.0]) == 1
    assert combined_scores([0.2, 0.4], None, 0.5) == [0.2, 0.4]
    assert combined_scores([0.2, 0.4], [1.0, 0.0], 0.5) == pytest.approx([0.6, 0.2])
    with pytest.raises(ValueError, match="brand_weight"):
        combined_scores([0.2], [0.1], 1.5)
    with pytest.raises(ValueError):
        best_of([])
