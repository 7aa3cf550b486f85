"""Weight-free engine: draws parametric avatars (robots, people, animals, mascots) with Pillow.

It is the default on a laptop, so it has to look good with no model at all. Everything comes
from `request.attributes` (the demand parser's output), `request.palette` and the seed; each
feature draws its variations from its own `random.Random(f"{seed}:{feature}")`, so changing one
attribute never reshuffles the others, and the same request always gives identical pixels.

Drawing happens in a 512-unit coordinate space on a canvas SUPERSAMPLE times larger, which is
then reduced with LANCZOS: Pillow's primitives are not anti-aliased, the reduction is.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from generation.engines.base import Candidate, EngineError, ProgressCallback, RenderRequest
from generation.lexicon import COLOR_HEX

VERSION = "1.0"
MIN_SIZE, MAX_SIZE = 16, 2048

RGB = tuple[int, int, int]
Point = tuple[float, float]

WHITE: RGB = (255, 255, 255)
INK: RGB = (36, 32, 52)  # outlines and pupils: a warm near-black reads softer than pure black

# Chosen when nothing names a colour: saturated but not neon, all fine on a light background.
DEFAULT_MAINS = (
    "#3e63dd",
    "#12a594",
    "#8e4ec6",
    "#f76b15",
    "#e93d82",
    "#30a46c",
    "#0091ff",
    "#ffb224",
)
SKIN_TONES = ("#f6d7c3", "#eec1a2", "#e0a98a", "#c68863", "#a66a45", "#7a4a2e")
NATURAL_HAIR = {
    "black": "#2b2228",
    "brown": "#6b4226",
    "blonde": "#f1cf79",
    "red": "#b5482a",
    "gray": "#a9a9b3",
    "white": "#ecebe8",
}

# Natural fur when the user names no colour; (fur, secondary) — secondary is muzzle/belly.
ANIMAL_COLORS: dict[str, tuple[str, str]] = {
    "cat": ("#f39c4a", "#fff1e0"),
    "dog": ("#c58b55", "#f7e6cf"),
    "fox": ("#f27a2a", "#ffffff"),
    "owl": ("#9b6b43", "#f3dfc1"),
    "bear": ("#8d5a3b", "#e6c9a8"),
    "panda": ("#f7f7f5", "#2b2a33"),
    "rabbit": ("#f4f1ef", "#ffd6e0"),
    "penguin": ("#2f3142", "#ffffff"),
    "lion": ("#e7a63c", "#fff0cc"),
    "tiger": ("#f58a2a", "#ffffff"),
    "bird": ("#ffc53d", "#fff6d6"),
    "frog": ("#5bbf5b", "#e6f7d9"),
    "monkey": ("#8a5a3c", "#f2d2b0"),
    "koala": ("#9da3ae", "#e9ebef"),
    "mouse": ("#b4b7c2", "#ffd1dc"),
    "hamster": ("#e9b47a", "#fff5e8"),
    "dragon": ("#46b07a", "#fbe7a1"),
    "unicorn": ("#fbf6ff", "#ffc6e2"),
    "duck": ("#ffd23f", "#fff7d1"),
    "dinosaur": ("#63b86e", "#e8f5cf"),
    "octopus": ("#f0709c", "#ffd0df"),
    "wolf": ("#8f95a3", "#eef0f3"),
}
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

# Per style: outline colour rule, outline width (512 units) and how much soft shading to add.
STYLE_LOOK: dict[str, tuple[str, float, float]] = {
    "default": ("shade", 4.0, 0.22),
    "cartoon": ("ink", 7.0, 0.12),
    "flat": ("none", 0.0, 0.0),
    "3d": ("none", 0.0, 0.6),
    "clay": ("none", 0.0, 0.45),
    "realistic": ("none", 0.0, 0.5),
    "anime": ("ink", 3.5, 0.18),
    "pixel": ("ink", 8.0, 0.0),
    "abstract": ("none", 0.0, 0.0),
}


# --- colour helpers ------------------------------------------------------------------------


def to_rgb(value: str | None, default: str = "#3e63dd") -> RGB:
    text = (value or "").strip()
    text = COLOR_HEX.get(text.lower(), text).lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    try:
        return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    except (ValueError, IndexError):
        return to_rgb(default)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def lighten(c: RGB, t: float) -> RGB:
    return mix(c, WHITE, t)


def darken(c: RGB, t: float) -> RGB:
    return mix(c, (0, 0, 0), t)


def luminance(c: RGB) -> float:
    return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255


def rgba(c: RGB, alpha: int) -> tuple[int, int, int, int]:
    return (*c, alpha)


# --- the plan: every decision made before drawing ------------------------------------------


@dataclass
class Plan:
    subject: str  # robot | human | animal | mascot
    animal: str | None
    style: str
    expression: str
    main: RGB
    accent: RGB
    background: str
    bg_color: RGB
    backdrop_circle: bool
    head_shape: str
    eye_style: str
    eye_color: RGB
    skin: RGB
    hair_style: str
    hair_color: RGB
    clothing: str
    accessories: list[str]
    gender: str | None
    age: str | None
    antenna: bool
    seed: int
    extras: dict[str, Any] = field(default_factory=dict)


def _rng(seed: int, feature: str) -> random.Random:
    return random.Random(f"{seed}:{feature}")


def make_plan(attributes: dict[str, Any], palette: tuple[str, ...], seed: int) -> Plan:
    attrs = attributes or {}
    excluded = set(attrs.get("exclude", []))
    subject = attrs.get("subject")
    animal = attrs.get("animal")
    if subject not in ("robot", "human", "animal", "mascot"):
        subject = "animal" if animal else _rng(seed, "subject").choice(["robot", "robot", "mascot"])
    if subject == "animal" and not animal:
        animal = _rng(seed, "animal").choice(["cat", "fox", "bear", "rabbit", "owl", "panda"])
    style = attrs.get("style") if attrs.get("style") in STYLE_LOOK else "default"
    colors = [c for c in attrs.get("colors", []) if c in COLOR_HEX]

    if colors:
        main = to_rgb(colors[0])
    elif palette:
        main = to_rgb(palette[0])
    elif subject == "animal" and animal in ANIMAL_COLORS:
        main = to_rgb(ANIMAL_COLORS[animal][0])
    else:
        main = to_rgb(_rng(seed, "main").choice(DEFAULT_MAINS))
    if len(colors) > 1:
        accent = to_rgb(colors[1])
    elif len(palette) > 1:
        accent = to_rgb(palette[1])
    else:
        accent = _accent_for(main, _rng(seed, "accent"))

    background = attrs.get("background") or _rng(seed, "bg").choice(
        ["plain", "gradient", "pattern", "plain"]
    )
    if attrs.get("background_color"):
        bg_color = to_rgb(attrs["background_color"])
    elif len(palette) > 2:
        bg_color = to_rgb(palette[2])
    else:
        bg_color = lighten(mix(main, accent, 0.3), 0.82)

    hr = _rng(seed, "head")
    head_shape = attrs.get("head_shape") or hr.choice(
        ["rounded", "rounded", "round", "square", "hexagon"]
    )
    if subject != "robot":
        head_shape = "round"
    eye_style = attrs.get("eye_style") or _default_eye_style(subject, style, _rng(seed, "eyes"))
    eye_color = _eye_color(attrs.get("eye_color"), subject, _rng(seed, "eye_color"))

    gender, age = attrs.get("gender"), attrs.get("age")
    hair_rng = _rng(seed, "hair")
    hair_style = attrs.get("hair_style") or _default_hair(gender, age, hair_rng)
    hair_name = attrs.get("hair_color") or (
        hair_rng.choice(["gray", "white"])
        if age == "elderly"
        else hair_rng.choice(["black", "brown", "brown", "blonde", "red", "black"])
    )
    hair_color = to_rgb(NATURAL_HAIR.get(hair_name, COLOR_HEX.get(hair_name, "#6b4226")))

    accessories = [a for a in attrs.get("accessories", []) if a not in excluded]
    antenna = (
        subject == "robot"
        and "antenna" not in excluded
        and ("antenna" in accessories or _rng(seed, "antenna").random() < 0.6)
    )
    clothing = attrs.get("clothing") or _default_clothing(subject, _rng(seed, "clothing"))
    return Plan(
        subject=subject,
        animal=animal,
        style=style,
        expression=attrs.get("expression")
        or _rng(seed, "expr").choice(["happy", "friendly", "happy", "calm", "cute"]),
        main=main,
        accent=accent,
        background=background,
        bg_color=bg_color,
        backdrop_circle=_rng(seed, "backdrop").random() < 0.5
        and background in ("plain", "gradient", "pattern", "transparent"),
        head_shape=head_shape,
        eye_style=eye_style,
        eye_color=eye_color,
        skin=to_rgb(_rng(seed, "skin").choice(SKIN_TONES)),
        hair_style=hair_style,
        hair_color=hair_color,
        clothing=clothing,
        accessories=accessories,
        gender=gender,
        age=age,
        antenna=antenna,
        seed=seed,
    )


def _accent_for(main: RGB, rng: random.Random) -> RGB:
    # A warm accent for cool mains and the reverse; gold/coral/teal/violet read well together.
    warm = main[0] > main[2]
    options = ("#12a594", "#3e63dd", "#8e4ec6") if warm else ("#ffb224", "#f76b15", "#e93d82")
    return to_rgb(rng.choice(options))


def _default_eye_style(subject: str, style: str, rng: random.Random) -> str:
    if style == "anime" and subject != "robot":
        return "anime"
    if subject == "robot":
        return rng.choice(["round", "round", "visor", "dot", "happy_arc"])
    if subject == "mascot":
        return "big"
    return "round"


def _eye_color(name: str | None, subject: str, rng: random.Random) -> RGB:
    if name:
        return to_rgb(name)
    if subject == "robot":
        return to_rgb(rng.choice(["#7cf3ff", "#b6ffda", "#fff3a8", "#ffffff"]))
    return to_rgb(rng.choice(["#5b3a29", "#3e63dd", "#30a46c", "#6b4226"]))


def _default_hair(gender: str | None, age: str | None, rng: random.Random) -> str:
    if gender == "female":
        return rng.choice(["long", "bob", "ponytail", "bun", "long", "curly"])
    if gender == "male":
        return rng.choice(
            ["short", "short", "spiky", "curly"] + (["bald"] if age == "elderly" else [])
        )
    return rng.choice(["short", "bob", "curly", "long"])


def _default_clothing(subject: str, rng: random.Random) -> str:
    if subject == "human":
        return rng.choice(["t-shirt", "hoodie", "sweater", "shirt", "jacket"])
    return "none"


# --- painter: 512-unit drawing on a supersampled canvas ------------------------------------


class Painter:
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


# --- effects -------------------------------------------------------------------------------


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


# --- backgrounds ---------------------------------------------------------------------------


def vertical_gradient(size: int, top: RGB, bottom: RGB) -> Image.Image:
    t = np.linspace(0.0, 1.0, size, dtype=np.float32)[:, None, None]
    row = np.array(top, dtype=np.float32) * (1 - t) + np.array(bottom, dtype=np.float32) * t
    arr = np.broadcast_to(row, (size, size, 3)).astype(np.uint8)
    return Image.fromarray(arr, "RGB").convert("RGBA")


def draw_background(size: int, plan: Plan) -> Image.Image:
    rng = _rng(plan.seed, "bg_detail")
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


# --- subjects ------------------------------------------------------------------------------


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


def _fill(c: RGB) -> tuple[int, int, int, int]:
    return rgba(c, 255)


def draw_robot(image: Image.Image, plan: Plan) -> Anchors:
    p = Painter(image, plan)
    main, accent = plan.main, plan.accent
    head = (128, 112, 384, 342)
    # Body: a rounded chest with a light, behind the neck.
    p.rrect((104, 384, 408, 600), 70, _fill(main))
    p.rrect((206, 420, 306, 476), 18, _fill(darken(main, 0.25)))
    glow(image, plan, lambda q: q.circle(232, 448, 9, _fill(accent)), 6)
    glow(image, plan, lambda q: q.rrect((250, 442, 290, 454), 6, _fill(plan.eye_color)), 5)
    p.rrect((226, 336, 286, 392), 10, _fill(darken(main, 0.3)))
    for y in (352, 368):
        p.stroke([(232, y), (280, y)], 4, _fill(darken(main, 0.45)))
    if plan.antenna and not set(plan.accessories) & set(HEADWEAR):
        p.stroke([(256, head[1] + 4), (256, 58)], 8, _fill(darken(main, 0.3)))
        glow(image, plan, lambda q: q.circle(256, 52, 15, _fill(accent)), 10)
    if "headphones" not in plan.accessories:
        for x0 in (106, 382):
            p.rrect((x0, 186, x0 + 24, 266), 10, _fill(darken(main, 0.2)))

    def head_shape(q: Painter, fill=None) -> None:
        fill = fill or _fill(main)
        if plan.head_shape == "round":
            q.ellipse((118, 96, 394, 352), fill)
        elif plan.head_shape == "square":
            q.rrect(head, 22, fill)
        elif plan.head_shape == "hexagon":
            q.polygon(hexagon_points(256, 227, 146, 128), fill)
        else:
            q.rrect(head, 64, fill)

    head_shape(p)
    _shade(image, plan, lambda q: head_shape(q, _fill(WHITE)), (104, 88, 408, 360))
    # Face screen: dark glass that makes the glowing eyes and mouth pop.
    screen = (160, 152, 352, 300) if plan.head_shape != "round" else (164, 160, 348, 296)
    p.rrect(screen, 44, _fill(mix((24, 26, 44), main, 0.18)), outline=False)
    p.rrect(
        (screen[0] + 14, screen[1] + 10, screen[0] + 70, screen[1] + 22),
        6,
        rgba(WHITE, 38),
        outline=False,
    )
    return Anchors(
        head=head, eye_y=212, eye_dx=46, eye_r=20, mouth_y=258, mouth_w=44, neck_y=384, ear_y=226
    )


def draw_human(image: Image.Image, plan: Plan) -> Anchors:
    p = Painter(image, plan)
    skin = plan.skin
    child = plan.age == "child"
    rx, ry = (98, 104) if child else (90, 112)
    cy = 236 if child else 228
    _draw_back_hair(p, plan, cy, rx, ry)
    _draw_torso(p, image, plan, skin)
    p.rrect((222, 300, 290, 392), 24, _fill(darken(skin, 0.12)))
    for side in (-1, 1):  # ears
        p.ellipse((256 + side * rx - 20, cy - 4, 256 + side * rx + 20, cy + 40), _fill(skin))
        p.ellipse(
            (256 + side * rx - 9, cy + 6, 256 + side * rx + 9, cy + 30),
            _fill(darken(skin, 0.12)),
            outline=False,
        )

    def face(q: Painter, fill=None) -> None:
        q.ellipse((256 - rx, cy - ry, 256 + rx, cy + ry), fill or _fill(skin))

    face(p)
    _shade(image, plan, lambda q: face(q, _fill(WHITE)), (256 - rx, cy - ry, 256 + rx, cy + ry))
    if plan.style not in ("anime", "pixel", "flat"):  # a small nose; anime faces go without
        p.stroke(arc_points(256, cy + 34, 9, 6, 20, 160, 10), 4.5, _fill(darken(skin, 0.28)))
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
    p.rrect(body, 110, _fill(cloth))
    _shade(image, plan, lambda q: q.rrect(body, 110, _fill(WHITE)), body)
    dark = darken(cloth, 0.25)
    if kind == "hoodie":
        p.ellipse((176, 360, 336, 420), _fill(dark))
        for x in (232, 280):
            p.stroke([(x, 402), (x, 456)], 5, _fill(lighten(cloth, 0.6)))
    elif kind in ("suit", "lab coat", "uniform", "jacket"):
        shirt = (250, 250, 250) if kind != "lab coat" else lighten(plan.main, 0.5)
        p.polygon([(214, 382), (298, 382), (256, 470)], _fill(shirt))
        for side in (-1, 1):
            p.polygon(
                [(256 + side * 44, 380), (256 + side * 8, 470), (256 + side * 70, 420)], _fill(dark)
            )
    elif kind in ("kimono", "hanfu"):
        p.polygon([(220, 382), (296, 382), (256, 446)], _fill(skin))
        p.stroke([(214, 382), (282, 470)], 16, _fill(plan.accent))
        p.stroke([(298, 382), (256, 440)], 16, _fill(plan.accent))
    elif kind == "qipao":
        p.rrect((218, 374, 294, 404), 10, _fill(dark))
        p.stroke([(256, 404), (300, 440)], 6, _fill(plan.accent))
    elif kind == "spacesuit":
        p.rrect((196, 372, 316, 404), 16, _fill((150, 160, 180)))
        p.rrect((290, 430, 360, 480), 10, _fill(plan.main))
    elif kind == "shirt":
        for side in (-1, 1):
            p.polygon(
                [(256, 398), (256 + side * 40, 378), (256 + side * 34, 414)],
                _fill(lighten(cloth, 0.5)),
            )
    elif kind in ("dress", "apron", "overalls"):
        p.ellipse((206, 364, 306, 410), _fill(skin), outline=False)
        for x in (196, 316):
            p.stroke([(x, 386), (x, 520)], 16, _fill(dark))
    else:  # t-shirt, sweater, none: a crew neck
        p.ellipse((210, 366, 302, 406), _fill(skin), outline=False)
        p.stroke(
            arc_points(256, 386, 48, 22, 10, 170, 16), 9 if kind == "sweater" else 6, _fill(dark)
        )


def _draw_back_hair(p: Painter, plan: Plan, cy: float, rx: float, ry: float) -> None:
    hair = _fill(plan.hair_color)
    style = plan.hair_style
    if style in ("long", "straight", "braids"):
        if style == "braids":
            for side in (-1, 1):
                for i in range(5):
                    p.circle(256 + side * (rx + 4), cy + 20 + i * 30, 22 - i * 1.5, hair)
                p.circle(256 + side * (rx + 4), cy + 170, 8, _fill(plan.accent))
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


def bezier(p0: Point, c: Point, p1: Point, n: int = 12) -> list[Point]:
    """Quadratic Bézier from p0 to p1 bent towards c."""
    return [
        (
            (1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * c[0] + t * t * p1[0],
            (1 - t) ** 2 * p0[1] + 2 * (1 - t) * t * c[1] + t * t * p1[1],
        )
        for t in (i / n for i in range(n + 1))
    ]


def draw_front_hair(image: Image.Image, plan: Plan, a: Anchors) -> None:
    if plan.subject != "human" or plan.hair_style == "bald" or a.face is None:
        return
    p = Painter(image, plan)
    hair = _fill(plan.hair_color)
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
    part = _rng(plan.seed, "part").choice([-1, 1])
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
                cx + 140 * math.cos(ang), cy + 130 * math.sin(ang), 46, _fill(darken(fur, 0.3))
            )
    _draw_ears(p, plan, kind, fur, second, cx, cy, rx, ry)
    body = (120, 372, 392, 620)
    p.rrect(body, 110, _fill(fur if kind != "panda" else (43, 42, 51)))
    p.ellipse(
        (186, 410, 326, 560), _fill(second if kind != "panda" else (247, 247, 245)), outline=False
    )

    def head(q: Painter, fill=None) -> None:
        q.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill or _fill(fur))

    head(p)
    _shade(image, plan, lambda q: head(q, _fill(WHITE)), (cx - rx, cy - ry, cx + rx, cy + ry))
    if kind == "tiger":
        for side in (-1, 1):
            for dy in (-40, -10, 20):
                p.polygon(
                    [
                        (cx + side * rx, cy + dy - 8),
                        (cx + side * (rx - 40), cy + dy + 2),
                        (cx + side * rx, cy + dy + 12),
                    ],
                    _fill(INK),
                    outline=False,
                )
        p.polygon(
            [(cx - 12, cy - ry + 4), (cx + 12, cy - ry + 4), (cx, cy - ry + 40)],
            _fill(INK),
            outline=False,
        )
    if kind == "panda":
        for side in (-1, 1):
            p.ellipse(
                (cx + side * 46 - 28, cy - 22, cx + side * 46 + 28, cy + 34),
                _fill((43, 42, 51)),
                outline=False,
            )
    if kind in ("owl", "penguin"):
        for side in (-1, 1):
            p.circle(cx + side * 46, cy - 2, 44, _fill(second), outline=False)
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
            _fill(second),
            outline=False,
        )
    elif kind == "frog":
        for side in (-1, 1):
            p.circle(cx + side * 52, cy - ry + 10, 40, _fill(fur))
            p.circle(cx + side * 52, cy - ry + 10, 28, _fill(WHITE), outline=False)
    elif kind == "unicorn":
        p.polygon(
            [(cx - 18, cy - ry + 14), (cx + 18, cy - ry + 14), (cx, cy - ry - 70)],
            _fill(to_rgb("#ffd23f")),
        )
    elif kind == "octopus":
        for i in range(5):
            p.circle(cx - 100 + i * 50, cy + ry - 4, 26, _fill(fur))
    eye_y = cy - 6 if kind != "frog" else cy - ry + 8
    eye_dx = 46
    if kind not in NO_MUZZLE:
        p.ellipse((cx - 52, cy + 22, cx + 52, cy + 86), _fill(second), outline=False)
    if kind in BEAKED:
        beak = to_rgb("#ffb224")
        if kind == "duck":
            p.ellipse((cx - 40, cy + 34, cx + 40, cy + 70), _fill(beak))
        else:
            p.polygon([(cx - 16, cy + 34), (cx + 16, cy + 34), (cx, cy + 62)], _fill(beak))
    elif kind not in ("frog", "octopus", "dinosaur"):
        nose = (cx - 14, cy + 26, cx + 14, cy + 42)
        p.ellipse(nose, _fill(INK if kind != "rabbit" else to_rgb("#f07a9a")), outline=False)
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
    inner = _fill(lighten(second, 0.2) if kind != "panda" else (90, 88, 100))
    outer = _fill(fur if kind != "panda" else (43, 42, 51))
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
                _fill(darken(fur, 0.25)),
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
                _fill(to_rgb("#fbe7a1")),
            )


def draw_mascot(image: Image.Image, plan: Plan) -> Anchors:
    if plan.animal:
        return draw_animal(image, plan, mascot=True)
    p = Painter(image, plan)
    main = plan.main
    # One soft blob for head and body: the classic brand-mascot silhouette.
    p.ellipse((110, 400, 170, 460), _fill(darken(main, 0.1)))
    p.ellipse((342, 400, 402, 460), _fill(darken(main, 0.1)))
    pts = blob_points(256, 320, 150, 210, squash=0.12)

    def blob(q: Painter, fill=None) -> None:
        q.polygon(pts, fill or _fill(main))

    leaf = _fill(plan.accent)
    p.stroke([(256, 116), (262, 84)], 7, _fill(darken(plan.accent, 0.3)))
    p.polygon([(262, 86), (300, 56), (318, 70), (290, 96)], leaf)
    p.polygon([(258, 88), (224, 60), (210, 76), (240, 98)], leaf)
    blob(p)
    _shade(image, plan, lambda q: blob(q, _fill(WHITE)), (106, 110, 406, 530))
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


def _shade(
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


# --- face ----------------------------------------------------------------------------------


def draw_face(image: Image.Image, plan: Plan, a: Anchors) -> None:
    p = Painter(image, plan)
    robot = plan.subject == "robot"
    expr = plan.expression
    lx, rx_ = a.face_cx - a.eye_dx, a.face_cx + a.eye_dx
    if robot:
        color = _fill(plan.eye_color)

        def eyes(q: Painter) -> None:
            _robot_eyes(q, plan, lx, rx_, a.eye_y, a.eye_r, color)
            _mouth(q, expr, a.face_cx, a.mouth_y, a.mouth_w, color, robot=True)

        glow(image, plan, eyes, 9)
        return
    if plan.subject == "human" and plan.style != "flat":
        _brows(p, plan, lx, rx_, a.eye_y - 34)
    for i, x in enumerate((lx, rx_)):
        wink = expr == "playful" and i == 1
        _organic_eye(p, plan, x, a.eye_y, a.eye_r, closed=wink or expr == "sleepy")
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
    _mouth(p, expr, a.face_cx, a.mouth_y, a.mouth_w, _fill(INK), robot=False)


def _robot_eyes(p: Painter, plan: Plan, lx: float, rx: float, y: float, r: float, color) -> None:
    expr = plan.expression
    if plan.eye_style == "visor":
        p.rrect((lx - r - 8, y - 12, rx + r + 8, y + 12), 12, color, outline=False)
        return
    for x in (lx, rx):
        if expr in ("happy", "cute") and plan.eye_style == "happy_arc" or expr == "sleepy":
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
    ink = _fill(INK)
    if closed:
        p.stroke(arc_points(x, y - 2, r, r * 0.7, 20, 160, 12), 5, ink)
        return
    iris = plan.eye_color
    if plan.eye_style in ("anime", "sparkle") or plan.style == "anime":
        w, h = r * 1.25, r * 1.7
        p.ellipse((x - w, y - h, x + w, y + h), _fill(WHITE), outline=False)
        p.ellipse((x - w * 0.85, y - h * 0.8, x + w * 0.85, y + h), _fill(iris), outline=False)
        p.ellipse(
            (x - w * 0.85, y + h * 0.1, x + w * 0.85, y + h),
            _fill(lighten(iris, 0.3)),
            outline=False,
        )
        p.circle(x, y + h * 0.15, w * 0.42, ink, outline=False)
        p.stroke([(x - w * 1.15, y - h * 0.95), (x + w * 1.1, y - h * 1.05)], 6, ink)
        p.circle(x - w * 0.35, y - h * 0.3, w * 0.3, _fill(WHITE), outline=False)
        p.circle(x + w * 0.35, y + h * 0.45, w * 0.14, _fill(WHITE), outline=False)
        return
    if plan.eye_style == "dot":
        p.circle(x, y, r * 0.55, ink, outline=False)
        p.circle(x - r * 0.15, y - r * 0.2, r * 0.18, _fill(WHITE), outline=False)
        return
    if plan.subject == "human":
        p.ellipse(
            (x - r * 1.35, y - r * 1.05, x + r * 1.35, y + r * 1.05), _fill(WHITE), outline=False
        )
        p.circle(x, y, r * 0.85, _fill(iris), outline=False)
        p.circle(x, y, r * 0.45, ink, outline=False)
    else:
        p.circle(x, y, r, ink, outline=False)
        if plan.eye_color != (91, 58, 41):
            p.circle(x, y + r * 0.25, r * 0.6, rgba(iris, 160), outline=False)
    p.circle(x - r * 0.35, y - r * 0.4, r * 0.32, _fill(WHITE), outline=False)
    if plan.expression == "surprised":
        p.stroke(arc_points(x, y, r * 1.5, r * 1.5, 200, 340, 10), 4, ink)


def _brows(p: Painter, plan: Plan, lx: float, rx: float, y: float) -> None:
    color = _fill(darken(plan.hair_color, 0.35))
    tilt = {"angry": 10, "sad": -9, "surprised": 0, "serious": 4}.get(plan.expression, 0)
    lift = -10 if plan.expression == "surprised" else 0
    for x, side in ((lx, -1), (rx, 1)):
        inner_y = y + lift + tilt
        outer_y = y + lift - tilt * 0.2 - 2
        p.stroke([(x - side * 16, inner_y), (x + side * 18, outer_y)], 7, color)


def _mouth(p: Painter, expr: str, cx: float, y: float, w: float, color, robot: bool) -> None:
    lw = 7 if robot else 6
    if expr in ("happy", "playful") and not robot:
        p.draw.chord(
            p.box((cx - w * 0.8, y - w * 0.55, cx + w * 0.8, y + w * 0.65)),
            0,
            180,
            fill=_fill(to_rgb("#7a2636")),
        )
        p.draw.chord(
            p.box((cx - w * 0.45, y + w * 0.1, cx + w * 0.45, y + w * 0.62)),
            180,
            360,
            fill=_fill(to_rgb("#f27b8f")),
        )
        p.stroke([(cx - w * 0.8, y + 0.05 * w), (cx + w * 0.8, y + 0.05 * w)], 4, color)
        if expr == "playful":
            p.ellipse((cx + 2, y + w * 0.3, cx + w * 0.5, y + w * 0.85), _fill(to_rgb("#f27b8f")))
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
    else:  # serious and anything unknown: a straight line
        p.stroke([(cx - w * 0.45, y), (cx + w * 0.45, y)], lw, color)


# --- accessories ---------------------------------------------------------------------------


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
                    _fill(to_rgb("#ffc53d")),
                )
    if "mask" in acc:
        p.draw.chord(
            p.box((256 - a.mouth_w * 1.7, a.mouth_y - 44, 256 + a.mouth_w * 1.7, a.mouth_y + 50)),
            180,
            360,
            fill=_fill((240, 244, 250)),
        )
        p.rrect(
            (256 - a.mouth_w * 1.7, a.mouth_y - 26, 256 + a.mouth_w * 1.7, a.mouth_y + 26),
            20,
            _fill((240, 244, 250)),
        )
    for name in ("glasses", "round glasses", "sunglasses", "monocle"):
        if name in acc:
            _glasses(p, plan, a, name)
            break
    if "headphones" in acc:
        _headphones(p, plan, a)
    if "antenna" in acc and plan.subject != "robot":
        for side in (-1, 1):
            x = 256 + side * 40
            p.stroke([(x, a.head[1] + 20), (x + side * 24, a.head[1] - 50)], 6, _fill(INK))
            p.circle(x + side * 24, a.head[1] - 54, 12, _fill(plan.accent))
    for name in ("crown", "hat", "cap", "beanie", "helmet", "headband", "bow", "flower"):
        if name in acc:
            HEADWEAR[name](p, plan, a)


def _glasses(p: Painter, plan: Plan, a: Anchors, kind: str) -> None:
    frame = _fill(INK if plan.subject != "robot" else darken(plan.main, 0.55))
    r = max(a.eye_r * 1.7, 26)
    lens = rgba(WHITE, 50) if kind != "sunglasses" else _fill((30, 30, 40))
    for x in (256 - a.eye_dx, 256 + a.eye_dx):
        if kind == "monocle" and x < 256:
            continue
        if kind in ("round glasses", "monocle"):
            p.draw.ellipse(
                p.box((x - r, a.eye_y - r, x + r, a.eye_y + r)),
                fill=lens,
                outline=frame,
                width=round(p.s(6)),
            )
        else:
            p.draw.rounded_rectangle(
                p.box((x - r * 1.15, a.eye_y - r * 0.8, x + r * 1.15, a.eye_y + r * 0.85)),
                radius=p.s(14),
                fill=lens,
                outline=frame,
                width=round(p.s(6)),
            )
        if kind == "sunglasses":
            p.stroke(
                [(x - r * 0.6, a.eye_y - r * 0.3), (x - r * 0.1, a.eye_y - r * 0.55)],
                5,
                rgba(WHITE, 150),
            )
    if kind != "monocle":
        inner = a.eye_dx - (r if kind == "round glasses" else r * 1.15)
        p.stroke(arc_points(256, a.eye_y, inner, 8, 200, 340, 8), 6, frame)
    else:
        p.stroke(
            [(256 + a.eye_dx + r * 0.7, a.eye_y + r * 0.7), (256 + a.eye_dx + r, a.neck_y)],
            3,
            _fill(to_rgb("#d4a72c")),
        )


def _headphones(p: Painter, plan: Plan, a: Anchors) -> None:
    x0, y0, x1, _ = a.head
    color = _fill(plan.accent if plan.subject != "human" else darken(plan.accent, 0.1))
    band = _fill(darken(plan.accent, 0.35))
    w = (x1 - x0) / 2 + 14
    p.stroke(arc_points(256, a.ear_y, w, a.ear_y - y0 + 16, 180, 360, 32), 16, band)
    for side in (-1, 1):
        cx = 256 + side * w
        p.rrect((cx - 22, a.ear_y - 42, cx + 22, a.ear_y + 42), 18, color)
        p.rrect(
            (cx - 8 + side * 18, a.ear_y - 30, cx + 8 + side * 18, a.ear_y + 30),
            8,
            _fill(darken(plan.accent, 0.2)),
        )
    if plan.subject == "robot" or plan.style == "default":
        mic = [(256 - w, a.ear_y + 30), (256 - w + 20, a.mouth_y + 20), (256 - 40, a.mouth_y + 24)]
        p.stroke(mic, 5, band)
        p.circle(256 - 40, a.mouth_y + 24, 8, color)


def _hat(p: Painter, plan: Plan, a: Anchors) -> None:
    x0, y0, x1, _ = a.head
    color = _fill(darken(plan.accent, 0.2))
    p.ellipse((x0 - 36, y0 + 12, x1 + 36, y0 + 54), color)
    p.rrect((256 - 82, y0 - 78, 256 + 82, y0 + 36), 26, color)
    p.draw.rectangle(p.box((256 - 80, y0 + 4, 256 + 80, y0 + 24)), fill=_fill(INK))


def _cap(p: Painter, plan: Plan, a: Anchors) -> None:
    x0, y0, x1, _ = a.head
    color = _fill(plan.accent)
    p.draw.chord(
        p.box((x0 - 4, y0 - 30, x1 + 4, y0 + 120)),
        180,
        360,
        fill=color,
        outline=p.outline_for(color)[0],
        width=p.outline_for(color)[1],
    )
    p.ellipse((256 - 30, y0 + 36, x1 + 70, y0 + 62), _fill(darken(plan.accent, 0.25)))
    p.circle(256, y0 - 30, 8, _fill(darken(plan.accent, 0.25)))


def _beanie(p: Painter, plan: Plan, a: Anchors) -> None:
    x0, y0, x1, _ = a.head
    color = _fill(plan.accent)
    p.draw.chord(p.box((x0 + 2, y0 - 40, x1 - 2, y0 + 130)), 180, 360, fill=color)
    p.rrect((x0 - 4, y0 + 26, x1 + 4, y0 + 62), 16, _fill(darken(plan.accent, 0.2)))
    p.circle(256, y0 - 42, 20, _fill(lighten(plan.accent, 0.5)))


def _crown(p: Painter, plan: Plan, a: Anchors) -> None:
    y0 = a.head[1]
    gold = _fill(to_rgb("#ffc53d"))
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
        p.circle(x, y0 + 6, 8, _fill(to_rgb(c)), outline=False)


def _helmet(p: Painter, plan: Plan, a: Anchors) -> None:
    x0, y0, x1, _ = a.head
    p.draw.chord(p.box((x0 - 14, y0 - 24, x1 + 14, y0 + 150)), 180, 360, fill=_fill(plan.accent))
    p.rrect((x0 - 18, y0 + 52, x1 + 18, y0 + 72), 10, _fill(darken(plan.accent, 0.3)))


def _headband(p: Painter, plan: Plan, a: Anchors) -> None:
    x0, y0, x1, _ = a.head
    p.stroke(arc_points(256, y0 + 100, (x1 - x0) / 2 + 2, 92, 200, 340, 24), 14, _fill(plan.accent))


def _bow(p: Painter, plan: Plan, a: Anchors) -> None:
    x, y = a.head[2] - 40, a.head[1] + 18
    color = _fill(to_rgb("#e93d82") if plan.accent == plan.main else plan.accent)
    p.polygon([(x, y), (x - 40, y - 28), (x - 40, y + 28)], color)
    p.polygon([(x, y), (x + 40, y - 28), (x + 40, y + 28)], color)
    p.circle(x, y, 12, color)


def _flower(p: Painter, plan: Plan, a: Anchors) -> None:
    x, y = a.head[0] + 44, a.head[1] + 26
    for i in range(5):
        ang = math.radians(i * 72 - 90)
        p.circle(x + 20 * math.cos(ang), y + 20 * math.sin(ang), 15, _fill(to_rgb("#ff8fb1")))
    p.circle(x, y, 11, _fill(to_rgb("#ffc53d")))


def _scarf(p: Painter, plan: Plan, a: Anchors) -> None:
    color = _fill(plan.accent)
    y = a.neck_y
    p.rrect((170, y - 22, 342, y + 22), 22, color)
    p.rrect((280, y, 318, y + 92), 12, color)
    for yy in (y + 62, y + 76):
        p.stroke([(284, yy), (314, yy)], 4, _fill(darken(plan.accent, 0.25)))


def _bow_tie(p: Painter, plan: Plan, a: Anchors) -> None:
    y = a.neck_y + 12
    color = _fill(to_rgb("#e5484d") if plan.accent == plan.main else plan.accent)
    p.polygon([(256, y), (214, y - 24), (214, y + 24)], color)
    p.polygon([(256, y), (298, y - 24), (298, y + 24)], color)
    p.rrect((244, y - 12, 268, y + 12), 6, color)


def _tie(p: Painter, plan: Plan, a: Anchors) -> None:
    y = a.neck_y + 4
    color = _fill(to_rgb("#e5484d") if plan.accent == plan.main else plan.accent)
    p.polygon([(244, y), (268, y), (262, y + 20), (250, y + 20)], color)
    p.polygon([(250, y + 20), (262, y + 20), (276, y + 100), (256, y + 124), (236, y + 100)], color)


def _necklace(p: Painter, plan: Plan, a: Anchors) -> None:
    gold = _fill(to_rgb("#d4a72c"))
    p.stroke(arc_points(256, a.neck_y - 10, 46, 40, 10, 170, 20), 4, gold)
    p.circle(256, a.neck_y + 32, 9, _fill(plan.accent))


def _badge(p: Painter, plan: Plan, a: Anchors) -> None:
    p.rrect((300, a.neck_y + 50, 356, a.neck_y + 84), 8, _fill(WHITE))
    p.stroke([(310, a.neck_y + 62), (346, a.neck_y + 62)], 5, _fill(plan.accent))
    p.stroke([(310, a.neck_y + 73), (334, a.neck_y + 73)], 4, rgba(INK, 120))


def _beard(p: Painter, plan: Plan, a: Anchors) -> None:
    if a.face is None:
        return
    cx, cy, rx, ry = a.face
    hair = _fill(plan.hair_color)
    jaw = arc_points(cx, cy, rx + 4, ry + 16, 0, 180, 30)  # right cheek, chin, left cheek
    cheeks = bezier((cx - rx - 2, cy + 16), (cx, cy + 56), (cx + rx + 2, cy + 16))
    p.polygon(jaw + cheeks, hair)
    # Lips stay visible inside the beard so the expression still reads.
    p.ellipse(
        (cx - a.mouth_w * 0.95, a.mouth_y - 18, cx + a.mouth_w * 0.95, a.mouth_y + 22),
        _fill(plan.skin),
        outline=False,
    )
    _mouth(p, plan.expression, cx, a.mouth_y, a.mouth_w * 0.8, _fill(INK), robot=False)


def _mustache(p: Painter, plan: Plan, a: Anchors) -> None:
    hair = _fill(plan.hair_color)
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
SUBJECTS: dict[str, Callable[[Image.Image, Plan], Anchors]] = {
    "robot": draw_robot,
    "human": draw_human,
    "animal": draw_animal,
    "mascot": draw_mascot,
}


# --- the engine ----------------------------------------------------------------------------


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


class VectorEngine:
    """Parametric avatars drawn on the CPU; no weights, no GPU."""

    name = "vector"

    def generate(
        self, request: RenderRequest, progress: ProgressCallback | None = None
    ) -> list[Candidate]:
        size = max(request.width, request.height)
        if not MIN_SIZE <= size <= MAX_SIZE:
            raise EngineError(
                f"Image size must be between {MIN_SIZE} and {MAX_SIZE} pixels, got "
                f"{request.width}x{request.height}.",
                code="invalid_size",
            )
        attributes = dict(request.attributes or {})
        palette = tuple(request.palette)
        candidates = []
        for i, seed in enumerate(request.seeds):
            plan = make_plan(attributes, palette, seed)
            image = render_avatar(plan, size)
            if (request.width, request.height) != (size, size):
                # Non-square requests get the centre of the square drawing: the face stays whole.
                left, top = (size - request.width) // 2, (size - request.height) // 2
                image = image.crop((left, top, left + request.width, top + request.height))
            metadata = {
                **self.describe(),
                "seed": seed,
                "attributes": attributes,
                "palette": list(palette),
                "width": request.width,
                "height": request.height,
            }
            candidates.append(Candidate(index=i, seed=seed, image=image, metadata=metadata))
            if progress is not None:
                progress(i + 1, request.n)
        return candidates

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, "version": VERSION}
