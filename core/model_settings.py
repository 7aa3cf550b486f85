"""Which model weights the operator configured, read from settings alone.

Every page that shows a score must say honestly what it means: CLIP with random test weights
still produces numbers, and they rank noise. Reading settings only (never the weights) keeps this
cheap and lets any layer, web processes included, ask.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.vocabulary import ALLOWED_SIZES, FAST_KINDS, SCHEDULER_NAMES


def diffusion_configured() -> bool:
    return bool(settings.AVATARSAAS_SD_MODEL)


def controlnet_configured(control_type: str) -> bool:
    return bool(settings.AVATARSAAS_CONTROLNET_MODELS.get(control_type))


@lru_cache(maxsize=8)
def _native_size(model_dir: str, mtime_ns: int) -> int | None:
    root = Path(model_dir)
    try:
        unet = json.loads((root / "unet" / "config.json").read_text(encoding="utf-8"))
        vae = json.loads((root / "vae" / "config.json").read_text(encoding="utf-8"))
        return int(unet["sample_size"]) * 2 ** (len(vae["block_out_channels"]) - 1)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def native_size() -> int | None:
    """The square size the configured diffusion model was trained at (512 for SD 1.x, 1024
    for SDXL), read from its config files; None when no readable model is configured."""
    if not diffusion_configured():
        return None
    path = Path(settings.AVATARSAAS_SD_MODEL).expanduser()
    try:
        mtime = (path / "unet" / "config.json").stat().st_mtime_ns
    except OSError:
        return None
    return _native_size(str(path), mtime)


def offered_sizes() -> tuple[int, ...]:
    """Sizes the diffusion model renders well: half to twice its native size. Far from it, SD
    models duplicate subjects (too large) or lose detail (too small)."""
    native = native_size()
    if native is None:
        return ALLOWED_SIZES
    return tuple(s for s in ALLOWED_SIZES if native // 2 <= s <= native * 2) or (native,)


def fast_mode() -> str | None:
    """The configured few-step kind (lcm_lora, lcm, turbo, lightning), or None when off."""
    kind = (settings.AVATARSAAS_FAST_MODE or "").strip().lower()
    if not kind or not diffusion_configured():
        return None
    if kind not in FAST_KINDS:
        raise ImproperlyConfigured(
            f"AVATARSAAS_FAST_MODE={kind!r}; accepted: {', '.join(FAST_KINDS)} or empty."
        )
    if kind == "lcm_lora" and not settings.AVATARSAAS_FAST_LORA:
        raise ImproperlyConfigured("AVATARSAAS_FAST_MODE=lcm_lora needs AVATARSAAS_FAST_LORA.")
    return kind


def offered_schedulers() -> tuple[str, ...]:
    """Samplers a user may pick. LCM's sampler only makes sense on an LCM-distilled model; on
    any other it renders noise, so it is offered only there (an LCM-LoRA runs through "fast")."""
    if fast_mode() == "lcm":
        return SCHEDULER_NAMES
    return tuple(s for s in SCHEDULER_NAMES if s != "lcm")


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
