"""Robots: body, head in one of four shapes, and the dark face screen the glowing eyes sit on."""

from __future__ import annotations

from PIL import Image

from generation.engines.vector.canvas import Anchors, Painter, glow, hexagon_points, shade
from generation.engines.vector.colors import WHITE, darken, mix, rgba, solid
from generation.engines.vector.headwear import HEADWEAR
from generation.engines.vector.plan import Plan


def draw_robot(image: Image.Image, plan: Plan) -> Anchors:
    p = Painter(image, plan)
    main, accent = plan.main, plan.accent
    head = (128, 112, 384, 342)
    # Body: a rounded chest with a light, behind the neck.
    p.rrect((104, 384, 408, 600), 70, solid(main))
    p.rrect((206, 420, 306, 476), 18, solid(darken(main, 0.25)))
    glow(image, plan, lambda q: q.circle(232, 448, 9, solid(accent)), 6)
    glow(image, plan, lambda q: q.rrect((250, 442, 290, 454), 6, solid(plan.eye_color)), 5)
    p.rrect((226, 336, 286, 392), 10, solid(darken(main, 0.3)))
    for y in (352, 368):
        p.stroke([(232, y), (280, y)], 4, solid(darken(main, 0.45)))
    if plan.antenna and not set(plan.accessories) & set(HEADWEAR):
        p.stroke([(256, head[1] + 4), (256, 58)], 8, solid(darken(main, 0.3)))
        glow(image, plan, lambda q: q.circle(256, 52, 15, solid(accent)), 10)
    if "headphones" not in plan.accessories:
        for x0 in (106, 382):
            p.rrect((x0, 186, x0 + 24, 266), 10, solid(darken(main, 0.2)))

    def head_shape(q: Painter, fill=None) -> None:
        fill = fill or solid(main)
        if plan.head_shape == "round":
            q.ellipse((118, 96, 394, 352), fill)
        elif plan.head_shape == "square":
            q.rrect(head, 22, fill)
        elif plan.head_shape == "hexagon":
            q.polygon(hexagon_points(256, 227, 146, 128), fill)
        else:
            q.rrect(head, 64, fill)

    head_shape(p)
    shade(image, plan, lambda q: head_shape(q, solid(WHITE)), (104, 88, 408, 360))
    # Face screen: dark glass that makes the glowing eyes and mouth pop.
    screen = (160, 152, 352, 300) if plan.head_shape != "round" else (164, 160, 348, 296)
    p.rrect(screen, 44, solid(mix((24, 26, 44), main, 0.18)), outline=False)
    p.rrect(
        (screen[0] + 14, screen[1] + 10, screen[0] + 70, screen[1] + 22),
        6,
        rgba(WHITE, 38),
        outline=False,
    )
    return Anchors(
        head=head, eye_y=212, eye_dx=46, eye_r=20, mouth_y=258, mouth_w=44, neck_y=384, ear_y=226
    )
