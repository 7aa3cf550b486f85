"""Few-step ("fast") rendering: an LCM-LoRA on the base model, or a distilled model.

Each kind has its own sampler, step count and guidance, taken from the method's papers and
model cards; the wrong ones give grey mush (CFG 7 on a Turbo model) or noise (LCM scheduler on a
model that was never distilled). The engine applies them whenever a request asks for speed
"fast", so a replay from metadata renders the same way.

- lcm_lora: an LCM-LoRA (configured by path) runs as a second adapter beside the brand LoRA,
  both active through peft's multi-adapter `set_adapters` with their own weights.
- lcm: an LCM-distilled checkpoint is the model itself; guidance is embedded, not CFG.
- turbo / lightning: adversarially distilled models; no CFG, trailing timestep spacing.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.vocabulary import FAST_KINDS

# Adapter name of the LCM-LoRA: pinned beside the brand adapters, never evicted by the LRU.
FAST_ADAPTER = "few_step_lcm"


@dataclass(frozen=True)
class FewStepPlan:
    scheduler: str  # a key of diffusers_requests.SCHEDULERS
    steps: int
    guidance_scale: float


PLANS = {
    # LCM-LoRA paper (Luo et al. 2023): 2-8 steps, guidance 1-2 (1 turns CFG off).
    "lcm_lora": FewStepPlan("lcm", 4, 1.5),
    # LCM models embed guidance w (trained around 8); diffusers passes it as w-embedding.
    "lcm": FewStepPlan("lcm", 4, 8.0),
    # SD/SDXL-Turbo model cards: 1-4 steps, guidance 0, trailing spacing.
    "turbo": FewStepPlan("euler_a_trailing", 4, 0.0),
    # SDXL-Lightning model card: Euler, trailing spacing, guidance 0, as many steps as trained.
    "lightning": FewStepPlan("euler_trailing", 4, 0.0),
}
assert set(PLANS) == set(FAST_KINDS)


def plan_for(kind: str) -> FewStepPlan:
    return PLANS[kind]
