"""Colour values and helpers shared by every drawing module (all RGB tuples, 0-255)."""

from __future__ import annotations

from generation.prompts.lexicon import COLOR_HEX

RGB = tuple[int, int, int]
RGBA = tuple[int, int, int, int]


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


def rgba(c: RGB, alpha: int) -> RGBA:
    return (*c, alpha)


def solid(c: RGB) -> RGBA:
    return rgba(c, 255)
