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


def render_avatar(plan: Plan, size: int) -> Image.Image:
    """Draw one avatar for `plan` as an RGB image of `size`×`size` pixels."""
    supersample = 4 if size <= 512 else 2
    canvas_size = size * supersample
    image = draw_background(canvas_size, plan)
    anchors = SUBJECTS[plan.subject](image, plan)
    draw_face(image, plan, anchors)
    draw_front_hair(image, plan, anchors)
    draw_accessories(image, plan, anchors)
    result = image.convert("RGB").resize((size, size), Image.Resampling.LANCZOS)
    if plan.style == "pixel":
        cells = 40  # chunky on purpose: reads as a sprite even as a 64px avatar
        small = result.resize((cells, cells), Image.Resampling.BOX)
        small = small.quantize(colors=24, method=Image.Quantize.MEDIANCUT, dither=0).convert("RGB")
        result = small.resize((size, size), Image.Resampling.NEAREST)
    return result
