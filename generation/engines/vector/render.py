"""Composes one avatar: background, subject, face, front hair, accessories, then reduction."""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image

from generation.engines.vector.accessories import draw_accessories
from generation.engines.vector.animals import draw_animal
from generation.engines.vector.backgrounds import draw_background
from generation.engines.vector.canvas import Anchors
from generation.engines.vector.faces import draw_face
from generation.engines.vector.humans import draw_front_hair, draw_human
from generation.engines.vector.mascots import draw_mascot
from generation.engines.vector.plan import Plan
from generation.engines.vector.robots import draw_robot

SUBJECTS: dict[str, Callable[[Image.Image, Plan], Anchors]] = {
    "robot": draw_robot,
    "human": draw_human,
    "animal": draw_animal,
    "mascot": draw_mascot,
}


def render_avatar(plan: Plan, size: int, *, transparent: bool = False) -> Image.Image:
    """Draw one avatar for `plan` as an RGB image of `size`×`size` pixels, or RGBA with a
    fully transparent background (no backdrop, scenery or fill) when `transparent`."""
    return render_with_anchors(plan, size, transparent=transparent)[0]


def render_with_anchors(
    plan: Plan, size: int, *, transparent: bool = False
) -> tuple[Image.Image, Anchors]:
    """`render_avatar` plus where the face ended up (512 units), for expression work."""
    supersample = 4 if size <= 512 else 2
    canvas_size = size * supersample
    if transparent:
        image = Image.new("RGBA", (canvas_size, canvas_size), (0, 0, 0, 0))
    else:
        image = draw_background(canvas_size, plan)
    anchors = SUBJECTS[plan.subject](image, plan)
    draw_face(image, plan, anchors)
    draw_front_hair(image, plan, anchors)
    draw_accessories(image, plan, anchors)
    if transparent:
        # Pillow resizes RGBA with premultiplied alpha, so edges stay clean, not dark-fringed.
        result = image.resize((size, size), Image.Resampling.LANCZOS)
    else:
        result = image.convert("RGB").resize((size, size), Image.Resampling.LANCZOS)
    if plan.style == "pixel":
        result = _pixelate(result, size)
    return result, anchors


def _pixelate(result: Image.Image, size: int) -> Image.Image:
    cells = 40  # chunky on purpose: reads as a sprite even as a 64px avatar
    small = result.resize((cells, cells), Image.Resampling.BOX)
    rgb = small.convert("RGB")
    rgb = rgb.quantize(colors=24, method=Image.Quantize.MEDIANCUT, dither=0).convert("RGB")
    if result.mode == "RGBA":
        # A sprite's cells are either there or not: hard alpha, like the hard colours.
        alpha = small.getchannel("A").point(lambda v: 255 if v >= 128 else 0)
        rgb = rgb.convert("RGBA")
        rgb.putalpha(alpha)
    return rgb.resize((size, size), Image.Resampling.NEAREST)
