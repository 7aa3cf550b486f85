"""What the job service needs from a preset, as one value object.

The jobs code depends only on this module (not on preset internals), so presets, brand locks,
LoRA adapters and reference images can evolve behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from generation.engines.base import AdapterRef
from styles.services.adapters import local_weights_path
from styles.services.locks import check_lock_rules, check_locked_presets_only


@dataclass(frozen=True)
class PresetControl:
    """One of the preset's control images: what steers its diffusion jobs."""

    id: str
    type: str
    scale: float
    file: str  # storage name of the uploaded picture
    preprocess: bool = True


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
    controls: tuple[PresetControl, ...] = ()
    # State packs: the states to render (empty: the default set), palette adherence's share
    # in ranking (None: reported only) and the soft recolour toward the palette (0 = off).
    state_pack_states: tuple[str, ...] = ()
    palette_weight: float | None = None
    palette_recolor: float = 0.0


DEFAULT_CONFIG = PresetRenderConfig(preset_id=None, name="Default")


def brand_weight(preset=None) -> float:
    """The preset's blend weight for the brand score, else the server default."""
    if preset is not None and getattr(preset, "brand_weight", None) is not None:
        return float(preset.brand_weight)
    return float(getattr(settings, "AVATARSAAS_BRAND_WEIGHT", 0.5))


def render_config_for(preset) -> PresetRenderConfig:
    if preset is None:
        return DEFAULT_CONFIG
    adapter = _adapter_ref(preset)
    trigger = preset.trigger_word or (adapter and preset.active_adapter.trigger_word) or ""
    references, controls = (), ()
    if preset.tenant_id is not None:
        references = tuple(r.file.name for r in preset.references.all())
        controls = tuple(
            PresetControl(
                str(c.pk), c.control_type, c.conditioning_scale, c.file.name, c.preprocess
            )
            for c in preset.control_images.all()
        )
    return PresetRenderConfig(
        preset_id=str(preset.pk),
        name=preset.name,
        prompt_template=preset.prompt_template,
        negative_prompt=preset.negative_prompt,
        trigger_word=trigger,
        palette=tuple(preset.palette or ()),
        default_attributes=dict(preset.default_attributes or {}),
        engine=preset.engine,
        scheduler=preset.scheduler,
        steps=preset.steps,
        guidance_scale=preset.guidance_scale,
        size=preset.size,
        adapter=adapter,
        reference_images=references,
        brand_weight=brand_weight(preset),
        controls=controls,
        state_pack_states=tuple(preset.state_pack_states or ()),
        palette_weight=preset.palette_weight,
        palette_recolor=float(preset.palette_recolor or 0.0),
    )


def _adapter_ref(preset) -> AdapterRef | None:
    adapter = preset.active_adapter if preset.active_adapter_id else None
    if adapter is None or not adapter.is_usable:
        return None

    return AdapterRef(
        version_id=str(adapter.pk),
        path=str(local_weights_path(adapter)),
        strength=float(preset.adapter_strength),
    )


def enforce_lock(*, preset, params: dict[str, Any], role: str | None, api_key, tenant=None) -> None:
    """Raise core.errors.NotAllowed when a brand-kit lock forbids these parameters.

    Two rules: a locked preset limits parameters to its `lock_rules`; and when the workspace's
    brand kit says so, API keys and members may only generate through locked presets.
    """

    check_locked_presets_only(preset=preset, role=role, api_key=api_key, tenant=tenant)
    if preset is not None and preset.is_locked:
        check_lock_rules(preset.lock_rules or {}, params)
