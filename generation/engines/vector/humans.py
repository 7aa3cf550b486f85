"""People: torso and clothing, face, ears, and hair drawn behind and in front of the face."""

from __future__ import annotations

import math

from PIL import Image

from generation.engines.vector.canvas import (
    Anchors,
    Painter,
    arc_points,
    bezier,
    shade,
)
from generation.engines.vector.colors import RGB, WHITE, darken, lighten, luminance, rgba, solid
from generation.engines.vector.plan import Plan, feature_rng


def draw_human(image: Image.Image, plan: Plan) -> Anchors:
    p = Painter(image, plan)
    skin = plan.skin
    child = plan.age == "child"
    rx, ry = (98, 104) if child else (90, 112)
    cy = 236 if child else 228
    _draw_back_hair(p, plan, cy, rx, ry)
    _draw_torso(p, image, plan, skin)
    p.rrect((222, 300, 290, 392), 24, solid(darken(skin, 0.12)))
    for side in (-1, 1):  # ears
        p.ellipse((256 + side * rx - 20, cy - 4, 256 + side * rx + 20, cy + 40), solid(skin))
        p.ellipse(
            (256 + side * rx - 9, cy + 6, 256 + side * rx + 9, cy + 30),
            solid(darken(skin, 0.12)),
            outline=False,
        )

    def face(q: Painter, fill=None) -> None:
        q.ellipse((256 - rx, cy - ry, 256 + rx, cy + ry), fill or solid(skin))

    face(p)
    shade(image, plan, lambda q: face(q, solid(WHITE)), (256 - rx, cy - ry, 256 + rx, cy + ry))
    if plan.style not in ("anime", "pixel", "flat"):  # a small nose; anime faces go without
        p.stroke(arc_points(256, cy + 34, 9, 6, 20, 160, 10), 4.5, solid(darken(skin, 0.28)))
    return Anchors(
        head=(256 - rx, cy - ry - 10, 256 + rx, cy + ry),
        eye_y=cy + 8,
        eye_dx=38,
        eye_r=13 if plan.eye_style != "big" else 17,
        mouth_y=cy + 66,
        mouth_w=42,
        neck_y=388,
        ear_y=cy + 30,
        face=(256, cy, rx, ry),
    )


def _draw_torso(p: Painter, image: Image.Image, plan: Plan, skin: RGB) -> None:
    cloth = plan.main
    kind = plan.clothing
    if kind in ("suit", "tuxedo"):
        cloth = plan.main if luminance(plan.main) < 0.35 else darken(plan.main, 0.45)
    elif kind == "lab coat":
        cloth = (246, 246, 248)
    elif kind == "spacesuit":
        cloth = (236, 238, 244)
    elif kind == "armor":
        cloth = (176, 184, 196)
    body = (96, 380, 416, 620)
    p.rrect(body, 110, solid(cloth))
    shade(image, plan, lambda q: q.rrect(body, 110, solid(WHITE)), body)
    dark = darken(cloth, 0.25)
    if kind == "hoodie":
        p.ellipse((176, 360, 336, 420), solid(dark))
        for x in (232, 280):
            p.stroke([(x, 402), (x, 456)], 5, solid(lighten(cloth, 0.6)))
    elif kind in ("suit", "lab coat", "uniform", "jacket"):
        shirt = (250, 250, 250) if kind != "lab coat" else lighten(plan.main, 0.5)
        p.polygon([(214, 382), (298, 382), (256, 470)], solid(shirt))
        for side in (-1, 1):
            p.polygon(
                [(256 + side * 44, 380), (256 + side * 8, 470), (256 + side * 70, 420)], solid(dark)
            )
    elif kind in ("kimono", "hanfu"):
        p.polygon([(220, 382), (296, 382), (256, 446)], solid(skin))
        p.stroke([(214, 382), (282, 470)], 16, solid(plan.accent))
        p.stroke([(298, 382), (256, 440)], 16, solid(plan.accent))
    elif kind == "qipao":
        p.rrect((218, 374, 294, 404), 10, solid(dark))
        p.stroke([(256, 404), (300, 440)], 6, solid(plan.accent))
    elif kind == "spacesuit":
        p.rrect((196, 372, 316, 404), 16, solid((150, 160, 180)))
        p.rrect((290, 430, 360, 480), 10, solid(plan.main))
    elif kind == "shirt":
        for side in (-1, 1):
            p.polygon(
                [(256, 398), (256 + side * 40, 378), (256 + side * 34, 414)],
                solid(lighten(cloth, 0.5)),
            )
    elif kind in ("dress", "apron", "overalls"):
        p.ellipse((206, 364, 306, 410), solid(skin), outline=False)
        for x in (196, 316):
            p.stroke([(x, 386), (x, 520)], 16, solid(dark))
    else:  # t-shirt, sweater, none: a crew neck
        p.ellipse((210, 366, 302, 406), solid(skin), outline=False)
        p.stroke(
            arc_points(256, 386, 48, 22, 10, 170, 16), 9 if kind == "sweater" else 6, solid(dark)
        )


def _draw_back_hair(p: Painter, plan: Plan, cy: float, rx: float, ry: float) -> None:
    hair = solid(plan.hair_color)
    style = plan.hair_style
    if style in ("long", "straight", "braids"):
        if style == "braids":
            for side in (-1, 1):
                for i in range(5):
                    p.circle(256 + side * (rx + 4), cy + 20 + i * 30, 22 - i * 1.5, hair)
                p.circle(256 + side * (rx + 4), cy + 170, 8, solid(plan.accent))
        else:
            p.rrect((256 - rx - 26, cy - ry + 10, 256 + rx + 26, cy + ry + 110), 80, hair)
    elif style == "bob":
        p.rrect((256 - rx - 22, cy - ry - 6, 256 + rx + 22, cy + ry - 4), 90, hair)
    elif style == "ponytail":
        for i in range(7):
            t = i / 6
            p.circle(
                256 + rx * 0.7 + 70 * math.sin(t * 2.2), cy - ry * 0.7 + 170 * t, 38 - 22 * t, hair
            )
    elif style == "bun":
        p.circle(256, cy - ry - 22, 40, hair)
    elif style == "curly":
        for i in range(16):
            a = math.radians(180 + i * 13.5 - 10)
            p.circle(
                256 + (rx + 8) * math.cos(a) * 1.02, cy - 18 + (ry + 6) * math.sin(a), 30, hair
            )


def draw_front_hair(image: Image.Image, plan: Plan, a: Anchors) -> None:
    if plan.subject != "human" or plan.hair_style == "bald" or a.face is None:
        return
    p = Painter(image, plan)
    hair = solid(plan.hair_color)
    cx, cy, rx, ry = a.face
    style = plan.hair_style
    if style == "spiky":
        top = []  # right to left over the crown, alternating tips and valleys
        for i in range(11):
            ang = math.radians(345 - i * 15.5)
            r = 1.0 if i % 2 else 1.32
            top.append((cx + (rx + 8) * r * math.cos(ang), cy + (ry + 8) * r * math.sin(ang)))
        fringe = [(cx - rx - 6, cy - ry * 0.2)]
        for i in range(5):
            x = cx - rx + (2 * rx) * (i + 0.5) / 5
            fringe += [(x - rx / 5, cy - ry * 0.5), (x, cy - ry * 0.3)]
        fringe += [(cx + rx - 4, cy - ry * 0.5), (cx + rx + 6, cy - ry * 0.2)]
        p.polygon(fringe + top, hair)
        return
    if style == "mohawk":
        p.rrect((cx - 22, cy - ry - 46, cx + 22, cy - ry + 50), 22, hair)
        return
    if style == "curly":
        for i in range(11):
            ang = math.radians(190 + i * 16)
            p.circle(
                cx + (rx + 2) * math.cos(ang), cy - 6 + (ry + 2) * math.sin(ang) * 0.98, 28, hair
            )
        for i in range(4):
            p.circle(cx - rx * 0.55 + i * rx * 0.37, cy - ry * 0.62, 24, hair, outline=False)
        return
    # A hair cap following the skull, with a swept fringe whose part side comes from the seed.
    part = feature_rng(plan.seed, "part").choice([-1, 1])
    long_sides = style in ("long", "straight", "bob", "braids")
    side_y = cy + ry * (0.25 if long_sides else -0.15)
    fringe_y = cy - ry * (0.42 if style in ("long", "bob", "straight") else 0.58)
    outer = arc_points(cx, cy + 4, rx + 10, ry + 14, 180, 360, 40)
    inner = [(cx + rx + 10, side_y), (cx + rx - 4, side_y)]
    temple_r = (cx + rx - 10, cy - ry * 0.35)
    temple_l = (cx - rx + 10, cy - ry * 0.35)
    part_pt = (cx + part * rx * 0.35, cy - ry * 0.8)
    deep, shallow = (fringe_y + 12, fringe_y - 16)
    near_r = (cx + rx * 0.55, deep if part < 0 else shallow)
    near_l = (cx - rx * 0.55, deep if part > 0 else shallow)
    inner += bezier(temple_r, near_r, part_pt) + bezier(part_pt, near_l, temple_l)[1:]
    inner += [(cx - rx + 4, side_y), (cx - rx - 10, side_y)]
    outer_full = [(cx - rx - 10, side_y), *outer, (cx + rx + 10, side_y)]
    p.polygon(outer_full + inner, hair)
    # One soft sheen stroke sells "hair" rather than "helmet".
    p.stroke(
        arc_points(cx, cy + 4, rx - 10, ry - 4, 235, 290, 12),
        7,
        rgba(lighten(plan.hair_color, 0.45), 110),
    )
