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
