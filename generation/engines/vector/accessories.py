"""Accessories drawn over the subject: neckwear, face things, eyewear, then headwear."""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image, ImageDraw

from generation.engines.vector.canvas import Anchors, Painter, arc_points, bezier
from generation.engines.vector.colors import (
    INK,
    RGBA,
    WHITE,
    darken,
    lighten,
    mix,
    rgba,
    solid,
    to_rgb,
)
from generation.engines.vector.faces import draw_mouth, mouth
from generation.engines.vector.headwear import HEADWEAR, draw_headphones
from generation.engines.vector.plan import Plan


def draw_accessories(image: Image.Image, plan: Plan, a: Anchors) -> None:
    p = Painter(image, plan)
    acc = plan.accessories
    # Order matters: neckwear, then face, then things on top of the head.
    for name in ("scarf", "necklace", "bow tie", "tie", "badge"):
        if name in acc:
            NECKWEAR[name](p, plan, a)
    if plan.subject == "human":
        if "beard" in acc:
            _beard(p, plan, a)
        if "mustache" in acc:
            _mustache(p, plan, a)
        if "earrings" in acc:
            for side in (-1, 1):
                p.circle(
                    256 + side * ((a.head[2] - a.head[0]) / 2 + 2),
                    a.ear_y + 22,
                    7,
                    solid(to_rgb("#ffc53d")),
                )
    if "mask" in acc:
        p.draw.chord(
            p.box((256 - a.mouth_w * 1.7, a.mouth_y - 44, 256 + a.mouth_w * 1.7, a.mouth_y + 50)),
            180,
            360,
            fill=solid((240, 244, 250)),
        )
        p.rrect(
            (256 - a.mouth_w * 1.7, a.mouth_y - 26, 256 + a.mouth_w * 1.7, a.mouth_y + 26),
            20,
            solid((240, 244, 250)),
        )
    for name in ("glasses", "round glasses", "sunglasses", "monocle"):
        if name in acc:
            _glasses(p, plan, a, name)
            break
    if "headphones" in acc:
        draw_headphones(p, plan, a)
    if "antenna" in acc and plan.subject != "robot":
        for side in (-1, 1):
            x = 256 + side * 40
            p.stroke([(x, a.head[1] + 20), (x + side * 24, a.head[1] - 50)], 6, solid(INK))
            p.circle(x + side * 24, a.head[1] - 54, 12, solid(plan.accent))
    for name in ("crown", "hat", "cap", "beanie", "helmet", "headband", "bow", "flower"):
        if name in acc:
            HEADWEAR[name](p, plan, a)


def _glasses(p: Painter, plan: Plan, a: Anchors, kind: str) -> None:
    robot = plan.subject == "robot"
    frame, lens = _robot_eyewear(plan, kind) if robot else _eyewear(kind)
    frame_w = round(p.s(8 if robot else 6))
    r = max(a.eye_r * 1.7, 26)
    rim = "round" if kind in ("round glasses", "monocle") else "rect"
    half_w = r if rim == "round" else r * 1.15
    xs = [256 + a.eye_dx] if kind == "monocle" else [256 - a.eye_dx, 256 + a.eye_dx]
    if rim == "round":
        boxes = [p.box((x - r, a.eye_y - r, x + r, a.eye_y + r)) for x in xs]
    else:
        boxes = [p.box((x - half_w, a.eye_y - r * 0.8, x + half_w, a.eye_y + r * 0.85)) for x in xs]
    if robot and kind != "monocle":
        # Temple arms run over the face screen to the ear bolts, so the frames read as worn.
        for side in (-1, 1):
            outer = 256 + side * (a.eye_dx + half_w)
            p.stroke([(outer, a.eye_y), (256 + side * 124, a.eye_y - 6)], 7, frame)
    # Lenses are tinted glass over the eyes. Alpha drawn straight onto the RGBA canvas replaces
    # pixels instead of blending them, so the lenses go on a layer that is composited.
    layer = Image.new("RGBA", p.image.size, (0, 0, 0, 0))
    glass = ImageDraw.Draw(layer)
    for box in boxes:
        _rim(glass, box, rim, p.s(14), fill=lens)
    p.image.alpha_composite(layer)
    for box, x in zip(boxes, xs, strict=True):
        _rim(p.draw, box, rim, p.s(14), outline=frame, width=frame_w)
        if kind == "sunglasses" or robot:  # a glint says "glass", most of all on a dark screen
            p.stroke(
                [(x - r * 0.6, a.eye_y - r * 0.3), (x - r * 0.1, a.eye_y - r * 0.55)],
                5,
                rgba(WHITE, 150),
            )
    if kind != "monocle":
        p.stroke(arc_points(256, a.eye_y, a.eye_dx - half_w, 8, 200, 340, 8), 6, frame)
    else:
        p.stroke(
            [(256 + a.eye_dx + r * 0.7, a.eye_y + r * 0.7), (256 + a.eye_dx + r, a.neck_y)],
            3,
            solid(to_rgb("#d4a72c")),
        )


def _rim(draw: ImageDraw.ImageDraw, box: list[float], rim: str, radius: float, **style) -> None:
    if rim == "round":
        draw.ellipse(box, **style)
    else:
        draw.rounded_rectangle(box, radius=radius, **style)


def _eyewear(kind: str) -> tuple[RGBA, RGBA]:
    """(frame, lens) for faces drawn on skin, fur or a mascot body."""
    return solid(INK), rgba(WHITE, 50) if kind != "sunglasses" else solid((30, 30, 40))


def _robot_eyewear(plan: Plan, kind: str) -> tuple[RGBA, RGBA]:
    """(frame, lens) for a robot: the eyes sit on a near-black screen, so dark frames vanish.

    Frames are a pale chrome tinted by the body colour; clear lenses take a faint tint of the
    eye glow so the eyes still show through, sunglasses a dark tint of it.
    """
    frame = solid(lighten(plan.main, 0.72))
    if kind == "sunglasses":
        return frame, rgba(mix((8, 8, 14), plan.eye_color, 0.12), 235)
    return frame, rgba(lighten(plan.eye_color, 0.5), 56)


def _scarf(p: Painter, plan: Plan, a: Anchors) -> None:
    color = solid(plan.accent)
    y = a.neck_y
    p.rrect((170, y - 22, 342, y + 22), 22, color)
    p.rrect((280, y, 318, y + 92), 12, color)
    for yy in (y + 62, y + 76):
        p.stroke([(284, yy), (314, yy)], 4, solid(darken(plan.accent, 0.25)))


def _bow_tie(p: Painter, plan: Plan, a: Anchors) -> None:
    y = a.neck_y + 12
    color = solid(to_rgb("#e5484d") if plan.accent == plan.main else plan.accent)
    p.polygon([(256, y), (214, y - 24), (214, y + 24)], color)
    p.polygon([(256, y), (298, y - 24), (298, y + 24)], color)
    p.rrect((244, y - 12, 268, y + 12), 6, color)


def _tie(p: Painter, plan: Plan, a: Anchors) -> None:
    y = a.neck_y + 4
    color = solid(to_rgb("#e5484d") if plan.accent == plan.main else plan.accent)
    p.polygon([(244, y), (268, y), (262, y + 20), (250, y + 20)], color)
    p.polygon([(250, y + 20), (262, y + 20), (276, y + 100), (256, y + 124), (236, y + 100)], color)


def _necklace(p: Painter, plan: Plan, a: Anchors) -> None:
    gold = solid(to_rgb("#d4a72c"))
    p.stroke(arc_points(256, a.neck_y - 10, 46, 40, 10, 170, 20), 4, gold)
    p.circle(256, a.neck_y + 32, 9, solid(plan.accent))


def _badge(p: Painter, plan: Plan, a: Anchors) -> None:
    p.rrect((300, a.neck_y + 50, 356, a.neck_y + 84), 8, solid(WHITE))
    p.stroke([(310, a.neck_y + 62), (346, a.neck_y + 62)], 5, solid(plan.accent))
    p.stroke([(310, a.neck_y + 73), (334, a.neck_y + 73)], 4, rgba(INK, 120))


def _beard(p: Painter, plan: Plan, a: Anchors) -> None:
    if a.face is None:
        return
    cx, cy, rx, ry = a.face
    hair = solid(plan.hair_color)
    jaw = arc_points(cx, cy, rx + 4, ry + 16, 0, 180, 30)  # right cheek, chin, left cheek
    cheeks = bezier((cx - rx - 2, cy + 16), (cx, cy + 56), (cx + rx + 2, cy + 16))
    p.polygon(jaw + cheeks, hair)
    # Lips stay visible inside the beard so the expression still reads.
    p.ellipse(
        (cx - a.mouth_w * 0.95, a.mouth_y - 18, cx + a.mouth_w * 0.95, a.mouth_y + 22),
        solid(plan.skin),
        outline=False,
    )
    draw_mouth(
        p,
        plan.expression,
        cx,
        a.mouth_y,
        a.mouth_w * 0.8,
        solid(INK),
        robot=False,
        openness=mouth(plan),
    )


def _mustache(p: Painter, plan: Plan, a: Anchors) -> None:
    hair = solid(plan.hair_color)
    for side in (-1, 1):
        p.ellipse(
            (256 + side * 22 - 24, a.mouth_y - 28, 256 + side * 22 + 24, a.mouth_y - 10),
            hair,
            outline=False,
        )


NECKWEAR: dict[str, Callable[[Painter, Plan, Anchors], None]] = {
    "scarf": _scarf,
    "necklace": _necklace,
    "bow tie": _bow_tie,
    "tie": _tie,
    "badge": _badge,
}
