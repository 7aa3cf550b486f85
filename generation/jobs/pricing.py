"""What a job costs, in credits. One place, so quotes and charges always agree."""

from __future__ import annotations

import math

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
    return (
        f"{BASE_COST['vector']} credit per candidate with the vector engine, "
        f"{BASE_COST['diffusers']} with diffusion (×{LARGE_SIZE_FACTOR} above {LARGE_SIZE} px, "
        f"×{MANY_STEPS_FACTOR} above {MANY_STEPS} steps); +{CONTROL_COST} per control image; "
        f"a variation costs its strength's share (at least 1), a region edit +{EDIT_COST}; "
        f"fast (few-step) diffusion {FAST_COST} per candidate before those factors."
    )
