"""What the job service needs from a preset, as one value object.

The jobs code depends only on this module (not on preset internals), so presets, brand locks,
LoRA adapters and reference images can evolve behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generation.engines.base import AdapterRef


@dataclass(frozen=True)
class PresetRenderConfig:
    preset_id: str | None
    name: str
    prompt_template: str = "{subject}"
    negative_prompt: str = ""
    trigger_word: str = ""
    palette: tuple[str, ...] = ()
    default_attributes: dict[str, Any] = field(default_factory=dict)
    engine: str = "auto"
    scheduler: str = "dpmpp_2m_karras"
    steps: int = 25
    guidance_scale: float = 7.0
    size: int = 512
    adapter: AdapterRef | None = None
    # Storage names of the preset's reference images (brand-consistency score).
    reference_images: tuple[str, ...] = ()
    brand_weight: float = 0.5


DEFAULT_CONFIG = PresetRenderConfig(preset_id=None, name="Default")


def render_config_for(preset) -> PresetRenderConfig:
    if preset is None:
        return DEFAULT_CONFIG
    return PresetRenderConfig(
        preset_id=str(preset.pk),
        name=preset.name,
        prompt_template=preset.prompt_template,
        negative_prompt=preset.negative_prompt,
        trigger_word=preset.trigger_word,
        palette=tuple(preset.palette or ()),
        default_attributes=dict(preset.default_attributes or {}),
        engine=preset.engine,
        scheduler=preset.scheduler,
        steps=preset.steps,
        guidance_scale=preset.guidance_scale,
        size=preset.size,
    )


def enforce_lock(*, preset, params: dict[str, Any], role: str | None, api_key) -> None:
    """Raise avatarsaas.errors.NotAllowed when a brand-kit lock forbids these parameters.

    Placeholder until the brand-kit lock lands (styles issue): unlocked presets allow anything.
    """
    return None
