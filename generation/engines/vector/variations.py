"""Vector variations: a plan perturbed around its parent's, as far as `strength` says.

The parent plan is rebuilt from the recorded attributes, palette and seed; a second plan drawn
from a seed derived from (seed, strength) supplies the alternatives. Colours drift toward the
alternative's by a share of `strength`; each free choice (head, eyes, expression, backdrop,
hair, clothing) switches with a probability that grows with `strength`. What the user asked
for (attributes) and the brand palette stay fixed, so a variation is the same avatar, moved.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from generation.engines.vector.colors import mix
from generation.engines.vector.plan import Plan, make_plan

# plan field -> the attribute that pins it (a requested value is never varied)
COLOR_FIELDS = {
    "main": "colors",
    "accent": "colors",
    "bg_color": "background_color",
    "eye_color": "eye_color",
    "hair_color": "hair_color",
    "skin": "skin",
}
CHOICE_FIELDS = {
    "head_shape": "head_shape",
    "eye_style": "eye_style",
    "expression": "expression",
    "background": "background",
    "backdrop_circle": "background",
    "antenna": "accessories",
    "hair_style": "hair_style",
    "clothing": "clothing",
}
COLOR_DRIFT = 0.6  # at strength 1 a colour moves 60 % of the way to the alternative
SWITCH_RATE = 0.8  # at strength 1 a free choice switches with probability 0.8


def variation_rng(seed: int, strength: float) -> random.Random:
    return random.Random(f"{seed}:vary:{strength:.4f}")


def vary_plan(
    attributes: dict[str, Any], palette: tuple[str, ...], seed: int, strength: float
) -> Plan:
    parent = make_plan(attributes, palette, seed)
    rng = variation_rng(seed, strength)
    other = make_plan(attributes, palette, rng.randrange(2**31))
    varied = copy.deepcopy(parent)
    pinned = {k for k, v in (attributes or {}).items() if v}
    for name, attribute in COLOR_FIELDS.items():
        if attribute in pinned or (palette and name in ("main", "accent", "bg_color")):
            continue
        setattr(
            varied, name, mix(getattr(parent, name), getattr(other, name), COLOR_DRIFT * strength)
        )
    for name, attribute in CHOICE_FIELDS.items():
        if attribute in pinned:
            continue
        if rng.random() < SWITCH_RATE * strength:
            setattr(varied, name, getattr(other, name))
    if varied.subject != "robot":
        varied.head_shape = "round"
        varied.antenna = False
    return varied
