"""Mascots: an animal with blush when one is named, else a soft blob with a leaf sprout."""

from __future__ import annotations

from PIL import Image

from generation.engines.vector.animals import draw_animal
from generation.engines.vector.canvas import Anchors, Painter, blob_points, shade
from generation.engines.vector.colors import WHITE, darken, rgba, solid, to_rgb
from generation.engines.vector.plan import Plan


def draw_mascot(image: Image.Image, plan: Plan) -> Anchors:
    if plan.animal:
        return draw_animal(image, plan, mascot=True)
    p = Painter(image, plan)
    main = plan.main
    # One soft blob for head and body: the classic brand-mascot silhouette.
    p.ellipse((110, 400, 170, 460), solid(darken(main, 0.1)))
    p.ellipse((342, 400, 402, 460), solid(darken(main, 0.1)))
    pts = blob_points(256, 320, 150, 210, squash=0.12)

    def blob(q: Painter, fill=None) -> None:
        q.polygon(pts, fill or solid(main))

    leaf = solid(plan.accent)
    p.stroke([(256, 116), (262, 84)], 7, solid(darken(plan.accent, 0.3)))
    p.polygon([(262, 86), (300, 56), (318, 70), (290, 96)], leaf)
    p.polygon([(258, 88), (224, 60), (210, 76), (240, 98)], leaf)
    blob(p)
    shade(image, plan, lambda q: blob(q, solid(WHITE)), (106, 110, 406, 530))
    p.ellipse((186, 340, 326, 480), rgba(WHITE, 60), outline=False)
    for side in (-1, 1):
        p.ellipse(
            (256 + side * 84 - 22, 262, 256 + side * 84 + 22, 280),
            rgba(to_rgb("#ff7aa2"), 120),
            outline=False,
        )
    return Anchors(
        head=(120, 110, 392, 420),
        eye_y=226,
        eye_dx=50,
        eye_r=22,
        mouth_y=282,
        mouth_w=40,
        neck_y=392,
        ear_y=220,
    )
