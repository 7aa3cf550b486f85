"""Technical checks on rendered pixels: blank and near-uniform images, badly framed subjects;
well-drawn avatars (and pictures whose background cannot be read) are never rejected."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from generation.engines.base import RenderRequest
from generation.engines.vector import VectorEngine
from generation.jobs.render_config import DEFAULT_CONFIG
from generation.prompts.describe import describe
from generation.quality.image_checks import inspect
from tests.generation.quality.conftest import avatar, shifted


def test_blank_and_near_uniform_images_are_rejected():
    assert inspect(Image.new("RGB", (512, 512), "black")).reason == "blank"
    speck = Image.new("RGB", (512, 512), (128, 128, 128))
    ImageDraw.Draw(speck).ellipse((250, 250, 262, 262), fill="red")
    assert inspect(speck).reason in {"blank", "near_uniform"}
    wash = Image.new("RGB", (256, 256), (200, 200, 250))
    ImageDraw.Draw(wash).ellipse((115, 115, 141, 141), fill="red")
    verdict = inspect(wash)
    assert verdict.reason == "near_uniform" and not verdict.ok and "one colour" in verdict.detail


@pytest.mark.parametrize(
    "description",
    [
        "a blue robot",
        "a cute cat mascot in space",
        "a woman with red hair and glasses",
        "an old man with a beard on a beach",
        "a pixel art fox in the city",
        "a girl with a ponytail, nature background",
        "a robot with headphones on a gradient background",
        "一只戴帽子的企鹅",
    ],
)
def test_vector_avatars_pass_at_every_size(description):
    attributes = describe(description, edits={}, config=DEFAULT_CONFIG).attributes
    for size in (64, 256):
        request = RenderRequest(
            prompt=description,
            attributes=attributes,
            seeds=tuple(range(8)),
            width=size,
            height=size,
        )
        for candidate in VectorEngine().generate(request):
            verdict = inspect(candidate.image)
            assert verdict.ok, (description, size, candidate.seed, verdict)


def test_badly_framed_subjects_are_rejected_with_the_reason():
    for seed in range(4):
        image = avatar(seed, size=256)
        assert inspect(image).ok
        assert inspect(shifted(image, dx=110)).reason == "cut_off"  # off the right edge
        assert inspect(shifted(image, dy=-100)).reason == "cut_off"  # head off the top
    small = Image.new("RGB", (256, 256), (235, 235, 240))
    small.paste(avatar(1, size=96), (150, 40))  # whole, but far off to the right
    verdict = inspect(small)
    assert verdict.reason == "off_centre" and verdict.features.offset > 0.2


def test_unreadable_backgrounds_leave_framing_unknown_not_rejected():
    noise = np.random.default_rng(0).integers(0, 256, (128, 128, 3), dtype=np.uint8)
    verdict = inspect(Image.fromarray(noise))
    assert verdict.ok and verdict.features.framing_known is False
    assert verdict.features.subject_share is None and verdict.features.offset is None


def test_features_are_measured_for_the_ranker():
    features = inspect(avatar(3, size=128)).features
    assert features.framing_known and 0.05 < features.subject_share < 0.9
    assert features.offset < 0.2 and features.colourfulness > 0
    assert set(features.as_dict()) >= {"grey_std", "colourfulness", "subject_share", "offset"}
