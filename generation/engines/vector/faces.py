"""Faces: eyes, brows and mouths by expression; robots get glowing eyes and mouth.

Two facial action parameters in `plan.extras` drive the state pack's animation loops:
`eyes_closed` (the blink's closed frame; partly open lids are blended in
`generation.engines.vector.expressions`) and `mouth_open` (0 closed .. 1 wide, the talk loop).
"""

from __future__ import annotations

from PIL import Image

from generation.engines.vector.canvas import Anchors, Painter, arc_points, glow
from generation.engines.vector.colors import INK, WHITE, darken, lighten, rgba, solid, to_rgb
from generation.engines.vector.plan import Plan


def draw_face(image: Image.Image, plan: Plan, a: Anchors) -> None:
    p = Painter(image, plan)
    robot = plan.subject == "robot"
    expr = plan.expression
    lx, rx_ = a.face_cx - a.eye_dx, a.face_cx + a.eye_dx
    if robot:
        color = solid(plan.eye_color)

        def eyes(q: Painter) -> None:
            _robot_eyes(q, plan, lx, rx_, a.eye_y, a.eye_r, color)
            draw_mouth(
                q, expr, a.face_cx, a.mouth_y, a.mouth_w, color, robot=True, openness=mouth(plan)
            )

        glow(image, plan, eyes, 9)
        return
    if plan.subject == "human" and plan.style != "flat":
        _brows(p, plan, lx, rx_, a.eye_y - 34)
    for i, x in enumerate((lx, rx_)):
        wink = expr == "playful" and i == 1
        closed = wink or expr == "sleepy" or eyes_closed(plan)
        _organic_eye(p, plan, x, a.eye_y, a.eye_r, closed=closed)
    if plan.subject == "human" and expr in ("happy", "cute", "playful", "friendly"):
        for side in (-1, 1):
            p.ellipse(
                (
                    a.face_cx + side * 60 - 18,
                    a.mouth_y - 28,
                    a.face_cx + side * 60 + 18,
                    a.mouth_y - 14,
                ),
                rgba(to_rgb("#ff7aa2"), 90),
                outline=False,
            )
    draw_mouth(
        p, expr, a.face_cx, a.mouth_y, a.mouth_w, solid(INK), robot=False, openness=mouth(plan)
    )


def eyes_closed(plan: Plan) -> bool:
    return bool(plan.extras.get("eyes_closed"))


def mouth(plan: Plan) -> float | None:
    """The talk loop's mouth openness (0-1), or None: the expression decides the mouth."""
    value = plan.extras.get("mouth_open")
    if value is None and plan.expression == "talking":
        return 0.6
    return None if value is None else max(0.0, min(1.0, float(value)))


def _robot_eyes(p: Painter, plan: Plan, lx: float, rx: float, y: float, r: float, color) -> None:
    expr = plan.expression
    if plan.eye_style == "visor":
        half = 3 if eyes_closed(plan) else 12  # a shut visor is a thin slit
        p.rrect((lx - r - 8, y - half, rx + r + 8, y + half), half, color, outline=False)
        return
    for x in (lx, rx):
        if eyes_closed(plan):
            p.stroke(arc_points(x, y - 8, r, r * 0.8, 20, 160, 14), 8, color)
        elif expr == "thinking" and x == rx:
            # One eye narrowed, glancing up: "let me think".
            p.rrect((x - r * 0.8, y - r * 0.9, x + r * 0.8, y - r * 0.1), r * 0.4, color, False)
        elif expr in ("happy", "cute") and plan.eye_style == "happy_arc" or expr == "sleepy":
            start, end = (200, 340) if expr != "sleepy" else (20, 160)
            p.stroke(
                arc_points(x, y + (6 if expr != "sleepy" else -8), r, r * 0.8, start, end, 14),
                8,
                color,
            )
        elif plan.eye_style == "dot":
            p.circle(x, y, r * 0.5, color, outline=False)
        elif expr == "angry":
            side = -1 if x < (lx + rx) / 2 else 1
            p.polygon(
                [
                    (x - r, y - r * 0.5 + side * r * 0.3),
                    (x + r, y - r * 0.5 - side * 0.3 * r),
                    (x + r, y + r * 0.8),
                    (x - r, y + r * 0.8),
                ],
                color,
                outline=False,
            )
        elif expr == "sad":
            p.draw.chord(p.box((x - r, y - r * 0.6, x + r, y + r * 1.2)), 0, 180, fill=color)
        elif expr == "surprised":
            p.circle(x, y, r * 1.15, color, outline=False)
        else:
            p.rrect((x - r * 0.8, y - r, x + r * 0.8, y + r), r * 0.8, color, outline=False)


def _organic_eye(p: Painter, plan: Plan, x: float, y: float, r: float, closed: bool) -> None:
    ink = solid(INK)
    if closed:
        p.stroke(arc_points(x, y - 2, r, r * 0.7, 20, 160, 12), 5, ink)
        return
    iris = plan.eye_color
    if plan.expression == "thinking":
        x, y = x + r * 0.3, y - r * 0.3  # glancing up and aside
    if plan.eye_style in ("anime", "sparkle") or plan.style == "anime":
        w, h = r * 1.25, r * 1.7
        p.ellipse((x - w, y - h, x + w, y + h), solid(WHITE), outline=False)
        p.ellipse((x - w * 0.85, y - h * 0.8, x + w * 0.85, y + h), solid(iris), outline=False)
        p.ellipse(
            (x - w * 0.85, y + h * 0.1, x + w * 0.85, y + h),
            solid(lighten(iris, 0.3)),
            outline=False,
        )
        p.circle(x, y + h * 0.15, w * 0.42, ink, outline=False)
        p.stroke([(x - w * 1.15, y - h * 0.95), (x + w * 1.1, y - h * 1.05)], 6, ink)
        p.circle(x - w * 0.35, y - h * 0.3, w * 0.3, solid(WHITE), outline=False)
        p.circle(x + w * 0.35, y + h * 0.45, w * 0.14, solid(WHITE), outline=False)
        return
    if plan.eye_style == "dot":
        p.circle(x, y, r * 0.55, ink, outline=False)
        p.circle(x - r * 0.15, y - r * 0.2, r * 0.18, solid(WHITE), outline=False)
        return
    if plan.subject == "human":
        p.ellipse(
            (x - r * 1.35, y - r * 1.05, x + r * 1.35, y + r * 1.05), solid(WHITE), outline=False
        )
        p.circle(x, y, r * 0.85, solid(iris), outline=False)
        p.circle(x, y, r * 0.45, ink, outline=False)
    else:
        p.circle(x, y, r, ink, outline=False)
        if plan.eye_color != (91, 58, 41):
            p.circle(x, y + r * 0.25, r * 0.6, rgba(iris, 160), outline=False)
    p.circle(x - r * 0.35, y - r * 0.4, r * 0.32, solid(WHITE), outline=False)
    if plan.expression == "surprised":
        p.stroke(arc_points(x, y, r * 1.5, r * 1.5, 200, 340, 10), 4, ink)


def _brows(p: Painter, plan: Plan, lx: float, rx: float, y: float) -> None:
    color = solid(darken(plan.hair_color, 0.35))
    tilt = {"angry": 10, "sad": -9, "surprised": 0, "serious": 4, "thinking": 5}.get(
        plan.expression, 0
    )
    lift = -10 if plan.expression in ("surprised", "thinking") else 0
    for x, side in ((lx, -1), (rx, 1)):
        inner_y = y + lift + tilt
        outer_y = y + lift - tilt * 0.2 - 2
        p.stroke([(x - side * 16, inner_y), (x + side * 18, outer_y)], 7, color)


def draw_mouth(
    p: Painter,
    expr: str,
    cx: float,
    y: float,
    w: float,
    color,
    robot: bool,
    openness: float | None = None,
) -> None:
    lw = 7 if robot else 6
    if openness is not None:
        _open_mouth(p, cx, y, w, color, robot, openness)
        return
    if expr in ("happy", "playful") and not robot:
        p.draw.chord(
            p.box((cx - w * 0.8, y - w * 0.55, cx + w * 0.8, y + w * 0.65)),
            0,
            180,
            fill=solid(to_rgb("#7a2636")),
        )
        p.draw.chord(
            p.box((cx - w * 0.45, y + w * 0.1, cx + w * 0.45, y + w * 0.62)),
            180,
            360,
            fill=solid(to_rgb("#f27b8f")),
        )
        p.stroke([(cx - w * 0.8, y + 0.05 * w), (cx + w * 0.8, y + 0.05 * w)], 4, color)
        if expr == "playful":
            p.ellipse((cx + 2, y + w * 0.3, cx + w * 0.5, y + w * 0.85), solid(to_rgb("#f27b8f")))
        return
    if expr in ("happy", "friendly", "playful"):
        p.stroke(arc_points(cx, y - w * 0.25, w * 0.75, w * 0.55, 20, 160, 18), lw, color)
    elif expr == "cute":
        for side in (-1, 1):
            p.stroke(
                arc_points(cx + side * w * 0.28, y - 4, w * 0.28, w * 0.26, 10, 170, 12),
                lw - 1,
                color,
            )
    elif expr == "calm":
        p.stroke(arc_points(cx, y - w * 0.2, w * 0.5, w * 0.3, 30, 150, 14), lw, color)
    elif expr == "surprised":
        p.ellipse((cx - w * 0.28, y - w * 0.3, cx + w * 0.28, y + w * 0.4), color, outline=False)
    elif expr in ("sad", "angry"):
        p.stroke(arc_points(cx, y + w * 0.3, w * 0.6, w * 0.38, 200, 340, 16), lw, color)
    elif expr == "confident":
        p.stroke(arc_points(cx + w * 0.1, y - w * 0.3, w * 0.6, w * 0.45, 20, 110, 14), lw, color)
        p.stroke([(cx - w * 0.55, y + 0.05 * w), (cx - w * 0.05, y + w * 0.12)], lw, color)
    elif expr == "sleepy":
        p.ellipse((cx - w * 0.16, y - w * 0.1, cx + w * 0.16, y + w * 0.2), color, outline=False)
    elif expr == "thinking":
        p.stroke([(cx - w * 0.05, y + w * 0.05), (cx + w * 0.5, y - w * 0.08)], lw, color)
    else:  # serious and anything unknown: a straight line
        p.stroke([(cx - w * 0.45, y), (cx + w * 0.45, y)], lw, color)


def _open_mouth(p: Painter, cx: float, y: float, w: float, color, robot: bool, openness: float):
    """A mouth `openness` (0-1) open: a line when shut, then a rounded opening that grows."""
    lw = 7 if robot else 6
    if openness < 0.08:
        p.stroke([(cx - w * 0.4, y), (cx + w * 0.4, y)], lw, color)
        return
    half_w, half_h = w * (0.42 - 0.1 * openness), w * (0.06 + 0.34 * openness)
    box = (cx - half_w, y - half_h * 0.6, cx + half_w, y + half_h * 1.4)
    if robot:
        p.ellipse(box, color, outline=False)
        return
    p.ellipse(box, solid(to_rgb("#7a2636")), outline=False)
    if openness > 0.45:  # the tongue shows once the mouth is well open
        tongue = (cx - half_w * 0.6, y + half_h * 0.5, cx + half_w * 0.6, y + half_h * 1.4)
        p.draw.chord(p.box(tongue), 180, 360, fill=solid(to_rgb("#f27b8f")))
