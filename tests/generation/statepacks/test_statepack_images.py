"""The pure image parts of a state pack: animated files, matting, palette adherence and the
soft recolour, the expression prompt."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from generation.engines.vector.expressions import FaceAction, render_face_frame
from generation.engines.vector.plan import make_plan
from generation.quality.palette import palette_score, soft_recolour
from generation.statepacks import animation
from generation.statepacks.deliverables import PackInputs, build
from generation.statepacks.expressions import state_prompt
from generation.statepacks.matting import BorderKeyMatter, MattingRefused

PALETTE = ("#1e5ac8", "#fafaf8", "#ff7a00")


def _character(size=512, background=(250, 250, 248), body=(30, 90, 200)):
    """A blue disc with an orange eye on a plain background, edges anti-aliased (drawn 4x)."""
    big = Image.new("RGB", (size * 4, size * 4), background)
    d = ImageDraw.Draw(big)
    d.ellipse((size, size, size * 3, size * 3), fill=body)
    d.ellipse((size * 1.6, size * 1.6, size * 2.0, size * 2.0), fill=(255, 122, 0))
    return big.resize((size, size), Image.Resampling.LANCZOS)


@pytest.mark.parametrize("fmt", ["webp", "gif", "apng"])
def test_animated_files_have_the_loops_frames_and_durations(fmt):
    plan = make_plan({"subject": "robot", "expression": "neutral"}, (), 3)
    for loop in animation.VECTOR_LOOPS:
        frames = [render_face_frame(plan, 96, a, transparent=True) for a in loop.actions]
        durations = list(loop.durations_ms)
        data = animation.encode(frames, durations, fmt)
        image = Image.open(io.BytesIO(data))
        assert image.is_animated and image.n_frames == len(loop.actions), loop.name
        seen = []
        for i in range(image.n_frames):
            image.seek(i)
            image.load()  # WebP reads a frame's duration when the frame is decoded
            seen.append(image.info["duration"])
        assert seen == durations, (fmt, loop.name)
        if fmt == "apng":
            assert image.format == "PNG" and image.mode == "RGBA"


def test_blink_is_deterministic_and_only_the_eyes_move():
    plan = make_plan({"subject": "human", "expression": "neutral"}, (), 8)
    shut = render_face_frame(plan, 128, FaceAction(0.0))
    again = render_face_frame(plan, 128, FaceAction(0.0))
    half = render_face_frame(plan, 128, FaceAction(0.5))
    wide = render_face_frame(plan, 128, FaceAction(1.0))
    assert shut.tobytes() == again.tobytes()
    assert len({shut.tobytes(), half.tobytes(), wide.tobytes()}) == 3
    ys = np.nonzero(np.any(np.asarray(shut) != np.asarray(wide), axis=2))[0]
    assert ys.max() - ys.min() < 40  # a band around the eyes, not the whole face
    talk = [render_face_frame(plan, 128, FaceAction(1.0, m)).tobytes() for m in (0, 0.5, 1)]
    assert len(set(talk)) == 3


def test_vector_deliverables_carry_two_loops_and_frame_rects():
    plans = [make_plan({"subject": "mascot", "expression": e}, (), 4) for e in ("happy", "sad")]
    from generation.engines.vector.render import render_avatar

    built = build(
        PackInputs(
            pack_id="00000000-0000-0000-0000-000000000001",
            source_image_id=None,
            engine="vector",
            size=64,
            states=["happy", "sorry"],
            images=[render_avatar(p, 64) for p in plans],
            results=[{"seed": 4}, {"seed": 4}],
            identity={"scored": False, "meaningful": False, "threshold": 0.8},
            vector_plans=plans,
        ),
        BorderKeyMatter(),
    )
    assert built.matting == "vector_alpha"
    names = [a["name"] for a in built.manifest["animations"]]
    assert names == ["blink", "talk"]
    strip = Image.open(io.BytesIO(built.files["blink.strip"][1]))
    assert strip.size == (64 * len(animation.BLINK.actions), 64)
    for kind in ("blink.webp", "blink.gif", "blink.apng", "talk.webp", "zip", "sprite"):
        assert built.files[kind][1]


def test_matting_clears_the_corners_keeps_the_centre_and_a_soft_edge():
    result = BorderKeyMatter().matte(_character())
    alpha = np.asarray(result.image)[..., 3]
    assert result.method == "border_key" and result.key_color == "#fafaf8"
    for y, x in ((0, 0), (0, 511), (511, 0), (511, 511)):
        assert alpha[y, x] == 0
    assert alpha[256, 256] == 255 and alpha[230, 230] == 255  # the body and its orange eye
    edge = alpha[250:262, 120:140]  # the disc's left rim
    assert ((edge > 0) & (edge < 255)).any()  # anti-aliased, not a hard cut
    assert result.image.mode == "RGBA"


def test_matting_keeps_background_coloured_parts_inside_the_character():
    image = _character()
    ImageDraw.Draw(image).ellipse((300, 300, 340, 340), fill=(250, 250, 248))  # a white tooth
    alpha = np.asarray(BorderKeyMatter().matte(image).image)[..., 3]
    assert alpha[320, 320] == 255


@pytest.mark.parametrize(
    "busy",
    [
        lambda: Image.fromarray(np.random.default_rng(0).integers(0, 255, (256, 256, 3), np.uint8)),
        lambda: Image.fromarray(
            np.broadcast_to(np.linspace(0, 255, 256, dtype=np.uint8)[None, :, None], (256, 256, 3))
        ),
    ],
    ids=["noise", "gradient"],
)
def test_matting_refuses_a_busy_background(busy):
    with pytest.raises(MattingRefused, match="not plain enough") as caught:
        BorderKeyMatter().matte(busy())
    assert caught.value.status_code == 422


def test_palette_score_is_lower_on_palette_than_off():
    on = _character(256)
    off = _character(256, background=(20, 160, 40), body=(200, 30, 60))
    on_score, off_score = palette_score(on, PALETTE), palette_score(off, PALETTE)
    assert on_score.delta_e < 3 < 20 < off_score.delta_e
    assert on_score.dominant[0] == "#fafaf8" and on_score.nearest[0] == "#fafaf8"
    assert palette_score(on, ()) is None


def test_soft_recolour_moves_toward_the_palette_without_posterising():
    off = _character(128, background=(236, 236, 250), body=(70, 110, 170))
    moved = soft_recolour(off, PALETTE, 0.8)
    assert palette_score(moved, PALETTE).delta_e < palette_score(off, PALETTE).delta_e
    # Not posterised: the anti-aliased edge keeps most of its in-between colours (a snap to
    # the palette would leave about three), and the body moves only part of the way.
    colours = lambda im: len(np.unique(np.asarray(im).reshape(-1, 3), axis=0))  # noqa: E731
    assert colours(moved) >= 0.6 * colours(off) > 100
    assert moved.getpixel((64, 40)) not in ((30, 90, 200), (70, 110, 170))
    assert soft_recolour(off, PALETTE, 0).tobytes() == off.tobytes()


def test_state_prompt_changes_only_the_expression():
    prompt = "a happy blue robot with headphones, flat vector style"
    assert state_prompt(prompt, "thinking") == (
        "a blue robot with headphones, flat vector style, thinking expression, looking up, "
        "pondering, plain white background"
    )
    assert "happy" not in state_prompt(prompt, "sorry")
    assert state_prompt("a cat, studio background", "happy").endswith("big smile")


def test_diffusion_deliverables_matte_plain_backgrounds_and_cycle_the_states():
    import json
    import zipfile

    import jsonschema

    from generation.statepacks.manifest import schema

    built = build(
        PackInputs(
            pack_id="00000000-0000-0000-0000-000000000002",
            source_image_id=None,
            engine="diffusers",
            size=128,
            states=["neutral", "happy"],
            images=[_character(128), _character(128, body=(40, 100, 210))],
            results=[{"seed": 1, "identity_score": 0.93}, {"seed": 1, "identity_score": 0.9}],
            identity={"scored": True, "meaningful": False, "threshold": 0.8},
            palette=PALETTE,
        ),
        BorderKeyMatter(),
    )
    manifest = built.manifest
    jsonschema.validate(manifest, schema())
    assert built.matting == "border_key" and manifest["background"]["transparent"]
    assert manifest["background"]["note"] == "Background keyed out (#fafaf8)."
    (loop,) = manifest["animations"]
    assert loop["source"] == "state_cycle" and [f["state"] for f in loop["frames"]] == [
        "neutral",
        "happy",
    ]
    archive = zipfile.ZipFile(io.BytesIO(built.files["zip"][1]))
    still = np.asarray(Image.open(io.BytesIO(archive.read("states/happy/64.png"))))
    assert still[0, 0, 3] == 0 and still[32, 32, 3] == 255
    assert json.loads(archive.read("manifest.json")) == manifest
    # The same inputs zip to the same bytes (fixed timestamps, deterministic encoders).
    assert (
        built.files["zip"][1]
        == build(
            PackInputs(
                pack_id="00000000-0000-0000-0000-000000000002",
                source_image_id=None,
                engine="diffusers",
                size=128,
                states=["neutral", "happy"],
                images=[_character(128), _character(128, body=(40, 100, 210))],
                results=[{"seed": 1, "identity_score": 0.93}, {"seed": 1, "identity_score": 0.9}],
                identity={"scored": True, "meaningful": False, "threshold": 0.8},
                palette=PALETTE,
            ),
            BorderKeyMatter(),
        ).files["zip"][1]
    )


def test_a_matter_registered_by_name_replaces_border_keying(settings):
    from generation.statepacks import matting

    made = []

    class PathMatter(matting.BorderKeyMatter):
        """Stands in for a segmentation model loaded from a path (the interface under test)."""

        def __init__(self, path):
            super().__init__(name="segmentation")
            made.append(path)

    matting.register_matter("segmentation", PathMatter)
    settings.AVATARSAAS_MATTING = "segmentation"
    settings.AVATARSAAS_MATTING_MODEL = "/models/seg.onnx"
    result = matting.get_matter().matte(_character(64))
    assert made == ["/models/seg.onnx"] and result.method == "segmentation"
    settings.AVATARSAAS_MATTING = "nope"
    with pytest.raises(MattingRefused, match="no matter is registered"):
        matting.get_matter()
