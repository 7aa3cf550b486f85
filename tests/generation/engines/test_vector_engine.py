import io

import pytest
from PIL import Image, ImageChops

from generation.engines.base import EngineError, RenderRequest
from generation.engines.vector import VectorEngine, make_plan, render_avatar
from generation.prompts.lexicon import LEXICON

ROBOT = {
    "subject": "robot",
    "colors": ["blue"],
    "accessories": ["round glasses", "headphones"],
    "expression": "friendly",
    "background": "plain",
}


def render(attributes=ROBOT, seeds=(1,), size=128, **kwargs):
    request = RenderRequest(
        prompt="x", attributes=attributes, seeds=seeds, width=size, height=size, **kwargs
    )
    return VectorEngine().generate(request)


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def differs(a: Image.Image, b: Image.Image) -> bool:
    return ImageChops.difference(a, b).getbbox() is not None


def test_same_seed_same_bytes():
    assert png(render()[0].image) == png(render()[0].image)


def test_different_seeds_differ():
    first, second = render(seeds=(1, 2))
    assert differs(first.image, second.image)


@pytest.mark.parametrize(
    "change",
    [
        {"subject": "human"},
        {"subject": "animal", "animal": "fox"},
        {"subject": "mascot"},
        {"colors": ["red"]},
        {"accessories": []},
        {"expression": "sad"},
        {"background": "space"},
        {"style": "pixel"},
        {"eye_style": "visor"},
    ],
)
def test_attributes_change_the_picture(change):
    assert differs(render()[0].image, render({**ROBOT, **change})[0].image)


def test_palette_used_when_no_colour_named():
    base = {"subject": "robot"}
    a = render(base, palette=("#e5484d",))[0].image
    b = render(base, palette=("#30a46c",))[0].image
    assert differs(a, b)


def test_every_subject_and_accessory_renders():
    accessories = [
        "glasses",
        "round glasses",
        "sunglasses",
        "monocle",
        "headphones",
        "hat",
        "cap",
        "beanie",
        "crown",
        "antenna",
        "bow tie",
        "tie",
        "scarf",
        "earrings",
        "necklace",
        "bow",
        "flower",
        "headband",
        "helmet",
        "mask",
        "badge",
        "beard",
        "mustache",
    ]
    for subject in ("robot", "human", "animal", "mascot"):
        for accessory in accessories:
            image = render({"subject": subject, "accessories": [accessory]}, size=32)[0].image
            assert image.size == (32, 32)


def test_size_and_mode_honoured():
    image = render(size=96)[0].image
    assert image.size == (96, 96) and image.mode == "RGB"
    default = VectorEngine().generate(RenderRequest(prompt="x", attributes=ROBOT))[0].image
    assert default.size == (512, 512)


def test_non_square_request_is_centre_cropped():
    request = RenderRequest(prompt="x", attributes=ROBOT, width=96, height=64)
    assert VectorEngine().generate(request)[0].image.size == (96, 64)


def test_invalid_size_is_an_engine_error():
    with pytest.raises(EngineError):
        render(size=4)


def test_candidates_metadata_and_progress():
    calls = []
    request = RenderRequest(
        prompt="x", attributes=ROBOT, seeds=(7, 8, 9), width=64, height=64, palette=("#112233",)
    )
    candidates = VectorEngine().generate(request, progress=lambda i, n: calls.append((i, n)))
    assert [c.seed for c in candidates] == [7, 8, 9]
    assert [c.index for c in candidates] == [0, 1, 2]
    assert calls == [(1, 3), (2, 3), (3, 3)]
    meta = candidates[0].metadata
    assert meta["engine"] == "vector" and meta["seed"] == 7 and meta["version"]
    assert meta["attributes"] == ROBOT and meta["palette"] == ["#112233"]
    assert meta["width"] == 64


def test_describe():
    assert VectorEngine().describe()["engine"] == "vector"
    assert VectorEngine.name == "vector"


SUBJECTS = {
    "robot": {"subject": "robot", "colors": ["blue"], "eye_style": "round"},
    "human": {"subject": "human"},
    "animal": {"subject": "animal", "animal": "cat"},
    "mascot": {"subject": "mascot"},
}
# Accessories a subject leaves out on purpose: robots have no hair or ears, and a beard or
# earrings on an animal or mascot face reads as a drawing error rather than a choice.
SKIPPED = {
    "robot": {"beard", "mustache", "earrings"},
    "animal": {"beard", "mustache", "earrings"},
    "mascot": {"beard", "mustache", "earrings"},
    "human": set(),
}
EYEWEAR = ("glasses", "round glasses", "sunglasses", "monocle")


def draw(attributes: dict, seed: int = 7, size: int = 128) -> Image.Image:
    return render_avatar(make_plan(attributes, (), seed), size)


def robot_seed_without_antenna() -> int:
    # A robot grows an antenna from its seed 60% of the time; asking for one must still show.
    return next(s for s in range(100) if not make_plan(SUBJECTS["robot"], (), s).antenna)


@pytest.mark.parametrize("subject", sorted(SUBJECTS))
@pytest.mark.parametrize("accessory", sorted(LEXICON["accessories"]))
def test_every_parsed_accessory_is_drawn_or_deliberately_skipped(subject, accessory):
    base = SUBJECTS[subject]
    seed = robot_seed_without_antenna() if subject == "robot" else 7
    worn = draw({**base, "accessories": [accessory]}, seed)
    changed = differs(draw(base, seed), worn)
    assert changed == (accessory not in SKIPPED[subject])


def brightness(image: Image.Image, xy: tuple[int, int]) -> float:
    r, g, b = image.getpixel(xy)
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.parametrize("kind", ["glasses", "round glasses", "sunglasses"])
def test_robot_eyewear_frames_show_on_the_dark_face_screen(kind):
    # The bridge sits on the screen between the eyes (512 units: x 256, just above eye level).
    bridge = (256, 204)
    bare = draw(SUBJECTS["robot"], size=512)
    worn = draw({**SUBJECTS["robot"], "accessories": [kind]}, size=512)
    assert brightness(bare, bridge) < 0.3
    assert brightness(worn, bridge) > 0.6


@pytest.mark.parametrize("subject", ["human", "animal", "mascot"])
@pytest.mark.parametrize("kind", ["glasses", "round glasses"])
def test_clear_lenses_keep_the_eyes_visible(subject, kind):
    plan = make_plan(SUBJECTS[subject], (), 7)
    left_eye = {"human": (218, 236), "animal": (210, 234), "mascot": (206, 226)}[subject]
    bare = render_avatar(plan, 512).getpixel(left_eye)
    plan.accessories = [kind]
    worn = render_avatar(plan, 512).getpixel(left_eye)
    # A lightly tinted lens shifts the eye a little; an opaque one would paint it out.
    assert max(abs(a - b) for a, b in zip(bare, worn, strict=True)) < 80
