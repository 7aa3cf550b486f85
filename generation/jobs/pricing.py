"""What a job costs, in credits. One place, so quotes and charges always agree."""

from __future__ import annotations

# Credits per candidate. Diffusion costs GPU time that grows with pixels; the vector engine is
# nearly free to run but still metered so API abuse has a price.
BASE_COST = {"vector": 1, "diffusers": 2}
LARGE_SIZE, LARGE_SIZE_FACTOR = 768, 4  # diffusion above this many pixels a side
MANY_STEPS, MANY_STEPS_FACTOR = 40, 2  # diffusion above this many denoising steps


def quote_cost(*, engine: str, n: int, size: int, steps: int = 25) -> int:
    per = BASE_COST.get(engine, 2)
    if engine == "diffusers":
        if size > LARGE_SIZE:
            per *= LARGE_SIZE_FACTOR
        if steps > MANY_STEPS:
            per *= MANY_STEPS_FACTOR
    return per * n


def pricing_summary() -> str:
    """The rules above in words, for pages that show a price before any script runs."""
    return (
        f"{BASE_COST['vector']} credit per candidate with the vector engine, "
        f"{BASE_COST['diffusers']} with diffusion (×{LARGE_SIZE_FACTOR} above {LARGE_SIZE} px, "
        f"×{MANY_STEPS_FACTOR} above {MANY_STEPS} steps)."
    )
