"""Things worn on the head (hats, crowns, bows...) and headphones, placed from `Anchors`."""

from __future__ import annotations

import math
from collections.abc import Callable

from generation.engines.vector.canvas import Anchors, Painter, arc_points
from generation.engines.vector.colors import INK, darken, lighten, solid, to_rgb
from generation.engines.vector.plan import Plan


def draw_headphones(p: Painter, plan: Plan, a: Anchors) -> None:
    x0, y0, x1, _ = a.head
    color = solid(plan.accent if plan.subject != "human" else darken(plan.accent, 0.1))
    band = solid(darken(plan.accent, 0.35))
    w = (x1 - x0) / 2 + 14
    p.stroke(arc_points(256, a.ear_y, w, a.ear_y - y0 + 16, 180, 360, 32), 16, band)
    for side in (-1, 1):
        cx = 256 + side * w
        p.rrect((cx - 22, a.ear_y - 42, cx + 22, a.ear_y + 42), 18, color)
        p.rrect(
            (cx - 8 + side * 18, a.ear_y - 30, cx + 8 + side * 18, a.ear_y + 30),
            8,
            solid(darken(plan.accent, 0.2)),
        )
    if plan.subject == "robot" or plan.style == "default":
        mic = [(256 - w, a.ear_y + 30), (256 - w + 20, a.mouth_y + 20), (256 - 40, a.mouth_y + 24)]
        p.stroke(mic, 5, band)
        p.circle(256 - 40, a.mouth_y + 24, 8, color)


def _hat(p: Painter, plan: Plan, a: Anchors) -> None:
    x0, y0, x1, _ = a.head
    color = solid(darken(plan.accent, 0.2))
    p.ellipse((x0 - 36, y0 + 12, x1 + 36, y0 + 54), color)
    p.rrect((256 - 82, y0 - 78, 256 + 82, y0 + 36), 26, color)
    p.draw.rectangle(p.box((256 - 80, y0 + 4, 256 + 80, y0 + 24)), fill=solid(INK))


def _cap(p: Painter, plan: Plan, a: Anchors) -> None:
    x0, y0, x1, _ = a.head
    color = solid(plan.accent)
    p.draw.chord(
        p.box((x0 - 4, y0 - 30, x1 + 4, y0 + 120)),
        180,
        360,
        fill=color,
        outline=p.outline_for(color)[0],
        width=p.outline_for(color)[1],
    )
    p.ellipse((256 - 30, y0 + 36, x1 + 70, y0 + 62), solid(darken(plan.accent, 0.25)))
    p.circle(256, y0 - 30, 8, solid(darken(plan.accent, 0.25)))


def _beanie(p: Painter, plan: Plan, a: Anchors) -> None:
    x0, y0, x1, _ = a.head
    color = solid(plan.accent)
    p.draw.chord(p.box((x0 + 2, y0 - 40, x1 - 2, y0 + 130)), 180, 360, fill=color)
    p.rrect((x0 - 4, y0 + 26, x1 + 4, y0 + 62), 16, solid(darken(plan.accent, 0.2)))
    p.circle(256, y0 - 42, 20, solid(lighten(plan.accent, 0.5)))


def _crown(p: Painter, plan: Plan, a: Anchors) -> None:
    y0 = a.head[1]
    gold = solid(to_rgb("#ffc53d"))
    pts = [
        (186, y0 + 24),
        (180, y0 - 46),
        (218, y0 - 10),
        (256, y0 - 60),
        (294, y0 - 10),
        (332, y0 - 46),
        (326, y0 + 24),
    ]
    p.polygon(pts, gold)
    for x, c in ((218, "#e5484d"), (256, "#3e63dd"), (294, "#30a46c")):
        p.circle(x, y0 + 6, 8, solid(to_rgb(c)), outline=False)


def _helmet(p: Painter, plan: Plan, a: Anchors) -> None:
    x0, y0, x1, _ = a.head
    p.draw.chord(p.box((x0 - 14, y0 - 24, x1 + 14, y0 + 150)), 180, 360, fill=solid(plan.accent))
    p.rrect((x0 - 18, y0 + 52, x1 + 18, y0 + 72), 10, solid(darken(plan.accent, 0.3)))


def _headband(p: Painter, plan: Plan, a: Anchors) -> None:
    x0, y0, x1, _ = a.head
    p.stroke(arc_points(256, y0 + 100, (x1 - x0) / 2 + 2, 92, 200, 340, 24), 14, solid(plan.accent))


def _bow(p: Painter, plan: Plan, a: Anchors) -> None:
    x, y = a.head[2] - 40, a.head[1] + 18
    color = solid(to_rgb("#e93d82") if plan.accent == plan.main else plan.accent)
    p.polygon([(x, y), (x - 40, y - 28), (x - 40, y + 28)], color)
    p.polygon([(x, y), (x + 40, y - 28), (x + 40, y + 28)], color)
    p.circle(x, y, 12, color)


def _flower(p: Painter, plan: Plan, a: Anchors) -> None:
    x, y = a.head[0] + 44, a.head[1] + 26
    for i in range(5):
        ang = math.radians(i * 72 - 90)
        p.circle(x + 20 * math.cos(ang), y + 20 * math.sin(ang), 15, solid(to_rgb("#ff8fb1")))
    p.circle(x, y, 11, solid(to_rgb("#ffc53d")))


HEADWEAR: dict[str, Callable[[Painter, Plan, Anchors], None]] = {
    "crown": _crown,
    "hat": _hat,
    "cap": _cap,
    "beanie": _beanie,
    "helmet": _helmet,
    "headband": _headband,
    "bow": _bow,
    "flower": _flower,
}
