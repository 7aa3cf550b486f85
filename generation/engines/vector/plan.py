"""The plan: every drawing decision made from attributes, palette and seed before any pixel.

Each feature draws its variations from its own `feature_rng(seed, feature)`, so changing one
attribute never reshuffles the others.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from generation.engines.vector.colors import (
    ANIMAL_COLORS,
    DEFAULT_MAINS,
    NATURAL_HAIR,
    RGB,
    SKIN_TONES,
    lighten,
    mix,
    to_rgb,
)
from generation.prompts.lexicon import COLOR_HEX

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


def feature_rng(seed: int, feature: str) -> random.Random:
    return random.Random(f"{seed}:{feature}")


def make_plan(attributes: dict[str, Any], palette: tuple[str, ...], seed: int) -> Plan:
    attrs = attributes or {}
    excluded = set(attrs.get("exclude", []))
    subject = attrs.get("subject")
    animal = attrs.get("animal")
    if subject not in ("robot", "human", "animal", "mascot"):
        subject = (
            "animal"
            if animal
            else feature_rng(seed, "subject").choice(["robot", "robot", "mascot"])
        )
    if subject == "animal" and not animal:
        animal = feature_rng(seed, "animal").choice(
            ["cat", "fox", "bear", "rabbit", "owl", "panda"]
        )
    style = attrs.get("style") if attrs.get("style") in STYLE_LOOK else "default"
    colors = [c for c in attrs.get("colors", []) if c in COLOR_HEX]

    if colors:
        main = to_rgb(colors[0])
    elif palette:
        main = to_rgb(palette[0])
    elif subject == "animal" and animal in ANIMAL_COLORS:
        main = to_rgb(ANIMAL_COLORS[animal][0])
    else:
        main = to_rgb(feature_rng(seed, "main").choice(DEFAULT_MAINS))
    if len(colors) > 1:
        accent = to_rgb(colors[1])
    elif len(palette) > 1:
        accent = to_rgb(palette[1])
    else:
        accent = _accent_for(main, feature_rng(seed, "accent"))

    background = attrs.get("background") or feature_rng(seed, "bg").choice(
        ["plain", "gradient", "pattern", "plain"]
    )
    if attrs.get("background_color"):
        bg_color = to_rgb(attrs["background_color"])
    elif len(palette) > 2:
        bg_color = to_rgb(palette[2])
    else:
        bg_color = lighten(mix(main, accent, 0.3), 0.82)

    hr = feature_rng(seed, "head")
    head_shape = attrs.get("head_shape") or hr.choice(
        ["rounded", "rounded", "round", "square", "hexagon"]
    )
    if subject != "robot":
        head_shape = "round"
    eye_style = attrs.get("eye_style") or _default_eye_style(
        subject, style, feature_rng(seed, "eyes")
    )
    eye_color = _eye_color(attrs.get("eye_color"), subject, feature_rng(seed, "eye_color"))

    gender, age = attrs.get("gender"), attrs.get("age")
    hair_rng = feature_rng(seed, "hair")
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
        and ("antenna" in accessories or feature_rng(seed, "antenna").random() < 0.6)
    )
    clothing = attrs.get("clothing") or _default_clothing(subject, feature_rng(seed, "clothing"))
    return Plan(
        subject=subject,
        animal=animal,
        style=style,
        expression=attrs.get("expression")
        or feature_rng(seed, "expr").choice(["happy", "friendly", "happy", "calm", "cute"]),
        main=main,
        accent=accent,
        background=background,
        bg_color=bg_color,
        backdrop_circle=feature_rng(seed, "backdrop").random() < 0.5
        and background in ("plain", "gradient", "pattern", "transparent"),
        head_shape=head_shape,
        eye_style=eye_style,
        eye_color=eye_color,
        skin=to_rgb(feature_rng(seed, "skin").choice(SKIN_TONES)),
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
