"""What a job costs, in credits. One place, so quotes and charges always agree."""

from __future__ import annotations

# Credits per candidate. Diffusion costs GPU time that grows with pixels; the vector engine is
# nearly free to run but still metered so API abuse has a price.
BASE_COST = {"vector": 1, "diffusers": 2}


def quote_cost(*, engine: str, n: int, size: int, steps: int = 25) -> int:
    per = BASE_COST.get(engine, 2)
    if engine == "diffusers":
        if size > 768:
            per *= 4
        if steps > 40:
            per *= 2
    return per * n


def pricing_summary() -> str:
    """The rules above in words, for pages that show a price before any script runs."""
    return (
        f"{BASE_COST['vector']} credit per candidate with the vector engine, "
        f"{BASE_COST['diffusers']} with diffusion (×4 above 768 px, ×2 above 40 steps)."
    )
