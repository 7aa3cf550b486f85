"""Animals: one round head with per-species ears, markings, muzzle, nose or beak."""

from __future__ import annotations

import math

from PIL import Image

from generation.engines.vector.canvas import Anchors, Painter, shade
from generation.engines.vector.colors import (
    ANIMAL_COLORS,
    INK,
    RGB,
    WHITE,
    darken,
    lighten,
    rgba,
    solid,
    to_rgb,
)
from generation.engines.vector.plan import Plan

EAR_TYPES: dict[str, str] = {
    "cat": "pointy",
    "fox": "pointy",
    "wolf": "pointy",
    "tiger": "round",
    "lion": "round",
    "bear": "round",
    "panda": "round",
    "mouse": "big_round",
    "koala": "fluffy",
    "hamster": "round",
    "monkey": "side",
    "dog": "floppy",
    "rabbit": "long",
    "owl": "tufts",
    "unicorn": "pointy",
    "dragon": "horns",
}
BEAKED = {"owl", "bird", "duck", "penguin"}
NO_MUZZLE = BEAKED | {"frog", "octopus", "dinosaur", "panda"}


def draw_animal(image: Image.Image, plan: Plan, mascot: bool = False) -> Anchors:
    p = Painter(image, plan)
    kind = plan.animal or "cat"
    fur = plan.main
    second = to_rgb(ANIMAL_COLORS.get(kind, ("#c58b55", "#f7e6cf"))[1])
    if plan.main != to_rgb(ANIMAL_COLORS.get(kind, ("#000000",))[0]) and kind != "panda":
        second = lighten(fur, 0.75)
    cx, cy, rx, ry = 256, 240, 124, 112
    if kind == "lion":
        for i in range(18):
            ang = math.radians(i * 20)
            p.circle(
                cx + 140 * math.cos(ang), cy + 130 * math.sin(ang), 46, solid(darken(fur, 0.3))
            )
    _draw_ears(p, plan, kind, fur, second, cx, cy, rx, ry)
    body = (120, 372, 392, 620)
    p.rrect(body, 110, solid(fur if kind != "panda" else (43, 42, 51)))
    p.ellipse(
        (186, 410, 326, 560), solid(second if kind != "panda" else (247, 247, 245)), outline=False
    )

    def head(q: Painter, fill=None) -> None:
        q.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill or solid(fur))

    head(p)
    shade(image, plan, lambda q: head(q, solid(WHITE)), (cx - rx, cy - ry, cx + rx, cy + ry))
    if kind == "tiger":
        for side in (-1, 1):
            for dy in (-40, -10, 20):
                p.polygon(
                    [
                        (cx + side * rx, cy + dy - 8),
                        (cx + side * (rx - 40), cy + dy + 2),
                        (cx + side * rx, cy + dy + 12),
                    ],
                    solid(INK),
                    outline=False,
                )
        p.polygon(
            [(cx - 12, cy - ry + 4), (cx + 12, cy - ry + 4), (cx, cy - ry + 40)],
            solid(INK),
            outline=False,
        )
    if kind == "panda":
        for side in (-1, 1):
            p.ellipse(
                (cx + side * 46 - 28, cy - 22, cx + side * 46 + 28, cy + 34),
                solid((43, 42, 51)),
                outline=False,
            )
    if kind in ("owl", "penguin"):
        for side in (-1, 1):
            p.circle(cx + side * 46, cy - 2, 44, solid(second), outline=False)
    elif kind == "fox" or kind == "wolf":
        p.polygon(
            [
                (cx - rx + 6, cy + 10),
                (cx, cy + ry - 4),
                (cx + rx - 6, cy + 10),
                (cx + 50, cy + 30),
                (cx, cy + 20),
                (cx - 50, cy + 30),
            ],
            solid(second),
            outline=False,
        )
    elif kind == "frog":
        for side in (-1, 1):
            p.circle(cx + side * 52, cy - ry + 10, 40, solid(fur))
            p.circle(cx + side * 52, cy - ry + 10, 28, solid(WHITE), outline=False)
    elif kind == "unicorn":
        p.polygon(
            [(cx - 18, cy - ry + 14), (cx + 18, cy - ry + 14), (cx, cy - ry - 70)],
            solid(to_rgb("#ffd23f")),
        )
    elif kind == "octopus":
        for i in range(5):
            p.circle(cx - 100 + i * 50, cy + ry - 4, 26, solid(fur))
    eye_y = cy - 6 if kind != "frog" else cy - ry + 8
    eye_dx = 46
    if kind not in NO_MUZZLE:
        p.ellipse((cx - 52, cy + 22, cx + 52, cy + 86), solid(second), outline=False)
    if kind in BEAKED:
        beak = to_rgb("#ffb224")
        if kind == "duck":
            p.ellipse((cx - 40, cy + 34, cx + 40, cy + 70), solid(beak))
        else:
            p.polygon([(cx - 16, cy + 34), (cx + 16, cy + 34), (cx, cy + 62)], solid(beak))
    elif kind not in ("frog", "octopus", "dinosaur"):
        nose = (cx - 14, cy + 26, cx + 14, cy + 42)
        p.ellipse(nose, solid(INK if kind != "rabbit" else to_rgb("#f07a9a")), outline=False)
    mouth_y = cy + 58 if kind not in BEAKED else cy + 84
    if mascot:
        for side in (-1, 1):
            p.ellipse(
                (cx + side * 84 - 22, cy + 30, cx + side * 84 + 22, cy + 48),
                rgba(to_rgb("#ff7aa2"), 110),
                outline=False,
            )
    return Anchors(
        head=(cx - rx, cy - ry, cx + rx, cy + ry),
        eye_y=eye_y,
        eye_dx=eye_dx,
        eye_r=16 if kind not in ("owl",) else 20,
        mouth_y=mouth_y,
        mouth_w=34,
        neck_y=372,
        ear_y=cy,
    )


def _draw_ears(
    p: Painter,
    plan: Plan,
    kind: str,
    fur: RGB,
    second: RGB,
    cx: float,
    cy: float,
    rx: float,
    ry: float,
) -> None:
    ears = EAR_TYPES.get(kind, "none" if kind in NO_MUZZLE | {"bird"} else "round")
    inner = solid(lighten(second, 0.2) if kind != "panda" else (90, 88, 100))
    outer = solid(fur if kind != "panda" else (43, 42, 51))
    for side in (-1, 1):
        ex = cx + side * rx * 0.62
        if ears == "pointy":
            p.polygon(
                [
                    (ex - side * 48, cy - ry + 40),
                    (ex + side * 30, cy - ry - 58),
                    (ex + side * 52, cy - ry + 34),
                ],
                outer,
            )
            p.polygon(
                [
                    (ex - side * 22, cy - ry + 30),
                    (ex + side * 28, cy - ry - 30),
                    (ex + side * 36, cy - ry + 30),
                ],
                inner,
                outline=False,
            )
        elif ears in ("round", "big_round", "fluffy"):
            r = {"round": 36, "big_round": 56, "fluffy": 50}[ears]
            ey = cy - ry + (12 if ears != "fluffy" else 40)
            exx = ex + side * (10 if ears != "fluffy" else 40)
            p.circle(exx, ey, r, outer)
            p.circle(exx, ey + 4, r * 0.55, inner, outline=False)
        elif ears == "long":
            p.ellipse((ex - 26 + side * 6, cy - ry - 110, ex + 26 + side * 6, cy - ry + 40), outer)
            p.ellipse(
                (ex - 12 + side * 6, cy - ry - 88, ex + 12 + side * 6, cy - ry + 20),
                inner,
                outline=False,
            )
        elif ears == "floppy":
            p.ellipse(
                (cx + side * rx - 40, cy - ry + 20, cx + side * rx + 34, cy + 60),
                solid(darken(fur, 0.25)),
            )
        elif ears == "tufts":
            p.polygon(
                [
                    (ex - side * 30, cy - ry + 30),
                    (ex + side * 46, cy - ry - 30),
                    (ex + side * 40, cy - ry + 40),
                ],
                outer,
            )
        elif ears == "side":
            p.circle(cx + side * (rx + 10), cy, 34, outer)
            p.circle(cx + side * (rx + 10), cy, 20, inner, outline=False)
        elif ears == "horns":
            p.polygon(
                [(ex - 14, cy - ry + 30), (ex + side * 20, cy - ry - 44), (ex + 14, cy - ry + 30)],
                solid(to_rgb("#fbe7a1")),
            )
