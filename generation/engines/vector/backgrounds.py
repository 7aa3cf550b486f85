"""Backgrounds: a fill or gradient, optional scenery, and the backdrop circle behind the subject."""

from __future__ import annotations

import random

import numpy as np
from PIL import Image

from generation.engines.vector.canvas import Painter, arc_points
from generation.engines.vector.colors import RGB, WHITE, darken, lighten, mix, rgba, to_rgb
from generation.engines.vector.plan import Plan, feature_rng


def vertical_gradient(size: int, top: RGB, bottom: RGB) -> Image.Image:
    t = np.linspace(0.0, 1.0, size, dtype=np.float32)[:, None, None]
    row = np.array(top, dtype=np.float32) * (1 - t) + np.array(bottom, dtype=np.float32) * t
    arr = np.broadcast_to(row, (size, size, 3)).astype(np.uint8)
    return Image.fromarray(arr, "RGB").convert("RGBA")


def draw_background(size: int, plan: Plan) -> Image.Image:
    rng = feature_rng(plan.seed, "bg_detail")
    bg = plan.bg_color
    kind = plan.background
    if kind == "gradient":
        image = vertical_gradient(size, lighten(bg, 0.35), mix(bg, plan.main, 0.35))
    elif kind == "space":
        image = vertical_gradient(size, (16, 18, 48), (52, 32, 92))
    elif kind in ("sky", "nature", "beach", "city"):
        image = vertical_gradient(size, (150, 205, 250), (220, 240, 255))
    elif kind == "office":
        image = vertical_gradient(size, (238, 232, 222), (214, 205, 192))
    elif kind == "studio":
        image = vertical_gradient(size, lighten(bg, 0.5), darken(bg, 0.15))
    else:  # plain, pattern, transparent and anything unknown
        image = Image.new("RGBA", (size, size), rgba(bg, 255))
    p = Painter(image, plan)
    p.rule = "none"
    scenery = {
        "space": _space,
        "sky": _sky,
        "nature": _nature,
        "beach": _beach,
        "city": _city,
        "office": _office,
        "pattern": _pattern,
    }
    if kind in scenery:
        scenery[kind](p, plan, rng)
    if kind == "studio":
        p.circle(256, 240, 230, rgba(WHITE, 40))
    if plan.backdrop_circle:
        p.circle(256, 256, 212, rgba(mix(bg, plan.accent, 0.35), 255))
    return image


def _space(p: Painter, plan: Plan, rng: random.Random) -> None:
    for _ in range(70):
        x, y, r = rng.uniform(0, 512), rng.uniform(0, 512), rng.choice([1.2, 1.6, 2.2, 3])
        p.circle(x, y, r, rgba(WHITE, rng.randint(120, 255)))
    planet = to_rgb(rng.choice(["#ffb224", "#e93d82", "#12a594", "#7cc4fa"]))
    px, py = rng.choice([(70, 90), (440, 95), (450, 420)])
    p.circle(px, py, 38, rgba(planet, 255))
    p.stroke(arc_points(px, py, 64, 14, 0, 360, 40), 5, rgba(lighten(planet, 0.4), 200), False)


def _sky(p: Painter, plan: Plan, rng: random.Random) -> None:
    for _ in range(3):
        x, y = rng.uniform(40, 470), rng.uniform(40, 200)
        for dx, dy, r in ((0, 0, 26), (28, -10, 32), (58, 2, 24), (30, 10, 24)):
            p.circle(x + dx - 30, y + dy, r, rgba(WHITE, 230))


def _nature(p: Painter, plan: Plan, rng: random.Random) -> None:
    _sky(p, plan, rng)
    p.ellipse((-120, 330, 320, 700), rgba((120, 196, 110), 255))
    p.ellipse((200, 350, 650, 720), rgba((92, 170, 96), 255))
    for x in (60, 455):
        p.rrect((x - 6, 300, x + 6, 380), 4, rgba((110, 78, 52), 255))
        p.circle(x, 290, 34, rgba((70, 150, 90), 255))


def _beach(p: Painter, plan: Plan, rng: random.Random) -> None:
    p.draw.rectangle(p.box((0, 300, 512, 420)), fill=(64, 164, 220))
    p.draw.rectangle(p.box((0, 410, 512, 512)), fill=(245, 222, 170))
    p.circle(430, 90, 36, rgba((255, 214, 90), 255))


def _city(p: Painter, plan: Plan, rng: random.Random) -> None:
    x = -10.0
    while x < 520:
        w, h = rng.uniform(40, 80), rng.uniform(110, 260)
        shade = mix((120, 140, 180), (70, 86, 130), rng.random())
        p.draw.rectangle(p.box((x, 512 - h, x + w, 512)), fill=shade)
        for wy in range(int(512 - h + 14), 500, 22):
            for wx in range(int(x + 8), int(x + w - 10), 16):
                if rng.random() < 0.5:
                    p.draw.rectangle(p.box((wx, wy, wx + 7, wy + 10)), fill=(255, 226, 140))
        x += w + 4


def _office(p: Painter, plan: Plan, rng: random.Random) -> None:
    p.rrect((300, 50, 480, 230), 6, rgba((250, 250, 252), 255))
    for b in ((312, 62, 386, 136), (394, 62, 468, 136), (312, 144, 386, 218), (394, 144, 468, 218)):
        p.draw.rectangle(p.box(b), fill=(170, 214, 245))
    p.rrect((40, 250, 80, 330), 8, rgba((200, 120, 80), 255))
    for dx, dy in ((-14, -8), (14, -12), (0, -26)):
        p.ellipse(
            (60 + dx - 14, 250 + dy - 22, 60 + dx + 14, 250 + dy + 10), rgba((80, 160, 90), 255)
        )
    p.draw.rectangle(p.box((0, 440, 512, 512)), fill=(170, 130, 96))


def _pattern(p: Painter, plan: Plan, rng: random.Random) -> None:
    tint = rgba(darken(plan.bg_color, 0.08), 255)
    if rng.random() < 0.5:
        for row, y in enumerate(range(16, 512, 40)):
            for x in range(16 + (row % 2) * 20, 512, 40):
                p.circle(x, y, 5, tint)
    else:
        for x in range(-512, 512, 36):
            p.stroke([(x, 512), (x + 512, 0)], 12, tint, caps=False)
