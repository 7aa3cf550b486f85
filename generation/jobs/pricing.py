"""What a job costs, in credits. One place, so quotes and charges always agree."""

from __future__ import annotations

import math

from django.utils.translation import gettext

# Credits per candidate. Diffusion costs GPU time that grows with pixels; the vector engine is
# nearly free to run but still metered so API abuse has a price.
BASE_COST = {"vector": 1, "diffusers": 2}
LARGE_SIZE, LARGE_SIZE_FACTOR = 768, 4  # diffusion above this many pixels a side
MANY_STEPS, MANY_STEPS_FACTOR = 40, 2  # diffusion above this many denoising steps
# A ControlNet runs beside the UNet at every step (about half a UNet's work): per control image.
CONTROL_COST = 1
# Image-to-image runs only `strength` of the schedule; never below one credit a candidate.
# A region edit also runs its (inpainting) pass at the given strength, plus the mask work.
EDIT_COST = 1
# Few-step ("fast") diffusion: 4 steps instead of ~25, so about a sixth of the GPU time; the
# size factor still applies (pixels cost the same per step).
FAST_COST = 1


def quote_cost(
    *,
    engine: str,
    n: int,
    size: int,
    steps: int = 25,
    controls: int = 0,
    strength: float | None = None,
    edit: bool = False,
    fast: bool = False,
) -> int:
    per = BASE_COST.get(engine, 2)
    if engine == "diffusers" and fast:
        per = FAST_COST
    if engine == "diffusers":
        if size > LARGE_SIZE:
            per *= LARGE_SIZE_FACTOR
        if steps > MANY_STEPS:
            per *= MANY_STEPS_FACTOR
        if strength is not None:
            per = max(1, math.ceil(per * strength))
        per += CONTROL_COST * controls * (LARGE_SIZE_FACTOR if size > LARGE_SIZE else 1)
    if edit:
        per += EDIT_COST
    return per * n


def pricing_summary() -> str:
    """The rules above in words, for pages that show a price before any script runs."""
    return gettext(
        "%(vector)s credit per candidate with the vector engine, %(diffusers)s with diffusion "
        "(×%(large_factor)s above %(large)s px, ×%(steps_factor)s above %(steps)s steps); "
        "+%(control)s per control image; a variation costs its strength's share (at least 1), "
        "a region edit +%(edit)s; fast (few-step) diffusion %(fast)s per candidate before those "
        "factors."
    ) % {
        "vector": BASE_COST["vector"],
        "diffusers": BASE_COST["diffusers"],
        "large_factor": LARGE_SIZE_FACTOR,
        "large": LARGE_SIZE,
        "steps_factor": MANY_STEPS_FACTOR,
        "steps": MANY_STEPS,
        "control": CONTROL_COST,
        "edit": EDIT_COST,
        "fast": FAST_COST,
    }
