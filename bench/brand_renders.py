"""A brand's dataset as a new user uploads it: distinct mascot renders sharing one style and
layout (the vector engine, one style, centred subject), varied in species, colour, expression
and background. Used by the near-duplicate threshold check, the ingest bench and the tests.

The edits a careless export makes of one picture (resized, re-encoded, cropped, brightened)
come from `edited_copies`: those are the pairs that must be caught.
"""

from __future__ import annotations

import io
import itertools
import random

from PIL import Image, ImageEnhance

from generation.engines.vector.plan import make_plan
from generation.engines.vector.render import render_avatar

STYLE = "cartoon"  # one brand style for the whole set
SPECIES = (
    "cat", "fox", "wolf", "tiger", "lion", "bear", "panda", "mouse", "koala", "hamster",
    "monkey", "dog", "rabbit", "owl", "unicorn", "dragon",
)  # fmt: skip
COLOURS = (
    "red", "orange", "yellow", "green", "teal", "blue", "light blue", "navy", "purple",
    "pink", "brown", "gray", "gold",
)  # fmt: skip
EXPRESSIONS = ("happy", "sad", "angry", "surprised", "sleepy", "playful", "calm", "cute")
BACKGROUNDS = ("plain", "gradient", "space", "office", "studio")


def brand_attributes(n: int, seed: int = 21) -> list[dict]:
    """`n` distinct (species, colour, expression, background) combinations, shuffled."""
    combos = list(itertools.product(SPECIES, COLOURS, EXPRESSIONS, BACKGROUNDS))
    random.Random(seed).shuffle(combos)
    if n > len(combos):
        raise ValueError(f"n: at most {len(combos)} distinct combinations.")
    return [
        {
            "subject": "animal",
            "animal": species,
            "colors": [colour],
            "expression": expression,
            "background": background,
            "style": STYLE,
        }
        for species, colour, expression, background in combos[:n]
    ]


def brand_looks(n: int, seed: int = 21) -> list[dict]:
    """`n` renders that differ pairwise in species or colour (expression and background drawn
    at random): the set the near-duplicate check must pass almost untouched. Renders that
    differ only in expression can be flagged (a warning, never a rejection): at the check's
    48 px a smile and a frown are a pixel or two apart."""
    rng = random.Random(seed)
    looks = list(itertools.product(SPECIES, COLOURS))
    rng.shuffle(looks)
    if n > len(looks):
        raise ValueError(f"n: at most {len(looks)} species-colour combinations.")
    return [
        {
            "subject": "animal",
            "animal": species,
            "colors": [colour],
            "expression": rng.choice(EXPRESSIONS),
            "background": rng.choice(BACKGROUNDS),
            "style": STYLE,
        }
        for species, colour in looks[:n]
    ]


def brand_render(attributes: dict, size: int, seed: int = 7) -> Image.Image:
    return render_avatar(make_plan(attributes, (), seed), size)


def brand_renders(n: int, size: int = 256, seed: int = 21) -> list[Image.Image]:
    return [brand_render(a, size, seed=i) for i, a in enumerate(brand_attributes(n, seed))]


def encoded(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **options)
    return buf.getvalue()


def _crop(image: Image.Image, share: float, anchor: str) -> Image.Image:
    w, h = image.size
    dw, dh = round(w * share), round(h * share)
    if anchor == "centre":
        return image.crop((dw // 2, dh // 2, w - (dw - dw // 2), h - (dh - dh // 2)))
    return image.crop((0, 0, w - dw, h - dh))  # the right and bottom 5 % cut away


def edited_copies(image: Image.Image) -> dict[str, Image.Image]:
    """The edits of one picture that must be flagged as near-duplicates of it."""
    w, h = image.size
    return {
        "resized": image.resize((w * 3 // 4, h * 3 // 4), Image.Resampling.LANCZOS),
        "upscaled": image.resize((w * 3 // 2, h * 3 // 2), Image.Resampling.BICUBIC),
        "jpeg_q70": Image.open(io.BytesIO(encoded(image.convert("RGB"), "JPEG", quality=70))),
        "cropped_5pct_centre": _crop(image, 0.05, "centre"),
        "cropped_5pct_corner": _crop(image, 0.05, "corner"),
        "brightness_plus_10pct": ImageEnhance.Brightness(image).enhance(1.10),
        "brightness_minus_10pct": ImageEnhance.Brightness(image).enhance(0.90),
    }
