"""Palette adherence in a batch's ranking: every candidate gets its ΔE2000; the preset's
palette_weight decides how much it moves the final score."""

from PIL import Image, ImageDraw

from generation.engines.base import Candidate
from generation.quality.palette import apply_to_batch
from generation.worker.packs import ScoredCandidate

PALETTE = ("#1e5ac8", "#fafaf8")


def _candidate(index, body, background):
    image = Image.new("RGB", (96, 96), background)
    ImageDraw.Draw(image).ellipse((24, 24, 72, 72), fill=body)
    return ScoredCandidate(Candidate(index, index, image), final_score=0.5)


def _batch():
    # Off-palette first, with the better CLIP blend: only the palette can put it second.
    off = _candidate(0, (200, 30, 60), (20, 160, 40))
    off.final_score = 0.6
    return [off, _candidate(1, (30, 90, 200), (250, 250, 248))]


def test_every_candidate_is_scored_but_not_ranked_without_a_weight():
    batch = _batch()
    apply_to_batch(batch, PALETTE, None)
    assert batch[1].quality["palette_delta_e"] < 3 < 20 < batch[0].quality["palette_delta_e"]
    assert [b.final_score for b in batch] == [0.6, 0.5]


def test_the_presets_weight_blends_adherence_into_the_final_score():
    batch = _batch()
    apply_to_batch(batch, PALETTE, 0.5)
    assert batch[1].final_score > batch[0].final_score
    assert batch[1].quality["palette_z"] > 0 > batch[0].quality["palette_z"]


def test_no_palette_no_scores():
    batch = _batch()
    apply_to_batch(batch, (), 1.0)
    assert "palette_delta_e" not in batch[0].quality and batch[0].final_score == 0.6
