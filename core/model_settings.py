"""Which model weights the operator configured, read from settings alone.

Every page that shows a score must say honestly what it means: CLIP with random test weights
still produces numbers, and they rank noise. Reading settings only (never the weights) keeps this
cheap and lets any layer, web processes included, ask.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


def diffusion_configured() -> bool:
    return bool(settings.AVATARSAAS_SD_MODEL)


def controlnet_configured(control_type: str) -> bool:
    return bool(settings.AVATARSAAS_CONTROLNET_MODELS.get(control_type))


def clip_configured() -> bool:
    return bool(settings.AVATARSAAS_CLIP_CHECKPOINT)


@dataclass(frozen=True)
class WeightsStatus:
    """What the operator configured, so pages can say honestly what scores mean."""

    diffusion: bool
    clip: bool
    real: bool

    @property
    def scores_meaningful(self) -> bool:
        # Random-weight CLIP (tests, demos) still produces numbers; they rank noise.
        return self.clip and self.real

    @property
    def demo_mode(self) -> bool:
        return not (self.diffusion and self.real)


def weights_status() -> WeightsStatus:
    return WeightsStatus(
        diffusion=diffusion_configured(),
        clip=clip_configured(),
        real=bool(settings.AVATARSAAS_WEIGHTS_ARE_REAL),
    )
