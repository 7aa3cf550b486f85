"""Drawing in 512 units on a supersampled canvas, plus the shading and glow effects.

Pillow's primitives are not anti-aliased; `render_avatar` draws SUPERSAMPLE times larger and the
LANCZOS reduction does the smoothing, so everything here scales 512 units by `Painter.k`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from generation.engines.vector.colors import INK, darken
from generation.engines.vector.plan import STYLE_LOOK, Plan

Point = tuple[float, float]


class Painter:
    # The canvas is RGBA, so an RGBA fill below 255 alpha *replaces* pixels (alpha included)
    # rather than blending; only layers that are alpha-composited (glow, lenses) blend.
    def __init__(self, image: Image.Image, plan: Plan):
        self.image = image
        self.k = image.width / 512
        self.draw = ImageDraw.Draw(image, "RGBA")
        rule, width, shade = STYLE_LOOK[plan.style]
        self.rule, self.line_width, self.shade = rule, width, shade

    def s(self, v: float) -> float:
        return v * self.k

    def box(self, b: tuple[float, float, float, float]) -> list[float]:
        return [b[0] * self.k, b[1] * self.k, b[2] * self.k, b[3] * self.k]

    def outline_for(self, fill: Any) -> tuple[Any, int]:
        if self.rule == "none" or not isinstance(fill, tuple) or self.line_width <= 0:
            return None, 0
        color = INK if self.rule == "ink" else darken(fill[:3], 0.35)
        return color, max(1, round(self.line_width * self.k))

    def ellipse(self, b, fill, outline: bool = True) -> None:
        line, width = self.outline_for(fill) if outline else (None, 0)
        self.draw.ellipse(self.box(b), fill=fill, outline=line, width=width)

    def circle(self, cx: float, cy: float, r: float, fill, outline: bool = True) -> None:
        self.ellipse((cx - r, cy - r, cx + r, cy + r), fill, outline)

    def rrect(self, b, radius: float, fill, outline: bool = True) -> None:
        line, width = self.outline_for(fill) if outline else (None, 0)
        self.draw.rounded_rectangle(
            self.box(b), radius=self.s(radius), fill=fill, outline=line, width=width
        )

    def polygon(self, points: list[Point], fill, outline: bool = True) -> None:
        line, width = self.outline_for(fill) if outline else (None, 0)
        pts = [(x * self.k, y * self.k) for x, y in points]
        self.draw.polygon(pts, fill=fill)
        if line is not None:
            self.draw.line([*pts, pts[0], pts[1]], fill=line, width=width, joint="curve")

    def stroke(self, points: list[Point], width: float, color, caps: bool = True) -> None:
        pts = [(x * self.k, y * self.k) for x, y in points]
        w = self.s(width)
        self.draw.line(pts, fill=color, width=max(1, round(w)), joint="curve")
        if caps:
            for x, y in (pts[0], pts[-1]):
                self.draw.ellipse([x - w / 2, y - w / 2, x + w / 2, y + w / 2], fill=color)


def arc_points(
    cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 24
) -> list[Point]:
    """Points on an ellipse from angle a0 to a1 (degrees, 0 = right, 90 = down)."""
    return [
        (
            cx + rx * math.cos(math.radians(a0 + (a1 - a0) * i / n)),
            cy + ry * math.sin(math.radians(a0 + (a1 - a0) * i / n)),
        )
        for i in range(n + 1)
    ]


def blob_points(
    cx: float, cy: float, rx: float, ry: float, squash: float = 0.0, n: int = 64
) -> list[Point]:
    """An egg shape: wider at the bottom when squash > 0 (mascots, bodies)."""
    pts = []
    for i in range(n):
        a = 2 * math.pi * i / n
        y = math.sin(a)
        x_scale = 1 + squash * y
        pts.append((cx + rx * math.cos(a) * x_scale, cy + ry * y))
    return pts


def hexagon_points(cx: float, cy: float, rx: float, ry: float) -> list[Point]:
    return [
        (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
        for a in (0, 60, 120, 180, 240, 300)
    ]


def apply_soft_shading(
    image: Image.Image,
    mask: Image.Image,
    bbox: tuple[float, ...],
    strength: float,
    grain: float = 0.0,
    seed: int = 0,
) -> None:
    """Light from the upper left inside `mask`: a highlight and a darker rim (3d/clay look)."""
    if strength <= 0 and grain <= 0:
        return
    x0, y0, x1, y1 = (int(v) for v in bbox)
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, image.width), min(y1, image.height)
    if x1 <= x0 or y1 <= y0:
        return
    region = np.asarray(image.crop((x0, y0, x1, y1)), dtype=np.float32)
    m = np.asarray(mask.crop((x0, y0, x1, y1)), dtype=np.float32)[..., None] / 255.0
    h, w = region.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    lx, ly = 0.36 * w, 0.28 * h
    d = np.sqrt(((xx - lx) / (0.75 * w)) ** 2 + ((yy - ly) / (0.75 * h)) ** 2)
    edge = np.sqrt(((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2)
    light = 0.30 * np.exp(-((d / 0.42) ** 2)) - 0.32 * np.clip((edge - 0.55) / 0.5, 0, 1) ** 1.5
    light = (strength * light)[..., None]
    rgb = region[..., :3]
    shaded = np.where(light > 0, rgb + (255 - rgb) * light, rgb * (1 + light))
    if grain > 0:
        noise = np.random.default_rng(seed).normal(0, grain, size=(h, w, 1)).astype(np.float32)
        shaded = shaded + noise
    region[..., :3] = rgb + (shaded - rgb) * m
    image.paste(Image.fromarray(np.clip(region, 0, 255).astype(np.uint8), image.mode), (x0, y0))


def shape_mask(size: int, draw_shape: Callable[[Painter], None], plan: Plan) -> Image.Image:
    """Silhouette of a shape drawn by `draw_shape` (drawn white, no outlines) as an L mask."""
    mask = Image.new("RGBA", (size, size), (0, 0, 0, 255))
    p = Painter(mask, plan)
    p.rule = "none"
    draw_shape(p)
    return mask.convert("L").point(lambda v: 255 if v > 0 else 0)


def glow(image: Image.Image, plan: Plan, draw_fn: Callable[[Painter], None], radius: float) -> None:
    """Draw `draw_fn` with a blurred halo underneath (robot eyes, screens)."""
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    p = Painter(layer, plan)
    p.rule = "none"
    draw_fn(p)
    halo = layer.filter(ImageFilter.GaussianBlur(radius * image.width / 512))
    image.alpha_composite(halo)
    image.alpha_composite(halo)
    image.alpha_composite(layer)


@dataclass
class Anchors:
    """Where accessories go, in 512 units, for whichever subject was drawn."""

    head: tuple[float, float, float, float]  # bounding box of the head
    eye_y: float
    eye_dx: float
    eye_r: float
    mouth_y: float
    mouth_w: float
    neck_y: float  # where collar accessories sit
    ear_y: float
    face_cx: float = 256.0
    face: tuple[float, float, float, float] | None = None  # (cx, cy, rx, ry) of a human face


def bezier(p0: Point, c: Point, p1: Point, n: int = 12) -> list[Point]:
    """Quadratic Bézier from p0 to p1 bent towards c."""
    return [
        (
            (1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * c[0] + t * t * p1[0],
            (1 - t) ** 2 * p0[1] + 2 * (1 - t) * t * c[1] + t * t * p1[1],
        )
        for t in (i / n for i in range(n + 1))
    ]


def shade(
    image: Image.Image,
    plan: Plan,
    silhouette: Callable[[Painter], None],
    box: tuple[float, float, float, float],
) -> None:
    strength = STYLE_LOOK[plan.style][2]
    grain = 5.0 if plan.style == "clay" else 0.0
    if strength <= 0 and grain <= 0:
        return
    mask = shape_mask(image.width, silhouette, plan)
    k = image.width / 512
    apply_soft_shading(image, mask, tuple(v * k for v in box), strength, grain, plan.seed)
