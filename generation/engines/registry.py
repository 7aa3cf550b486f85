"""Warm engines and scorers, one per worker process per model.

GPU workers keep a pipeline loaded between jobs; this module is the per-process cache. Nothing
here imports torch at import time: engines import their libraries when first built.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.utils.translation import gettext

from core.errors import InvalidInput
from core.model_settings import clip_configured, diffusion_configured, fast_mode
from core.vocabulary import ENGINE_NAMES
from generation.engines.base import Engine
from generation.engines.diffusers_engine import DiffusersEngine
from generation.engines.loading import pick_device
from generation.engines.scoring import ClipScorer
from generation.engines.speed import SpeedOptions
from generation.engines.vector import VectorEngine

_lock = threading.Lock()
_engines: dict[tuple, Engine] = {}
_scorers: dict[tuple, ClipScorer] = {}


def resolve_engine_name(requested: str | None) -> str:
    """'auto' -> diffusers when a model is configured, else the weight-free vector engine."""
    name = (requested or "auto").strip().lower()
    if name == "auto":
        return "diffusers" if diffusion_configured() else "vector"
    if name not in ENGINE_NAMES:
        raise InvalidInput(
            gettext("Unknown engine '%(name)s'; accepted: auto, %(engine_names)s.")
            % {"name": name, "engine_names": ", ".join(ENGINE_NAMES)},
            field="engine",
        )
    if name == "diffusers" and not diffusion_configured():
        raise InvalidInput(
            gettext(
                "The diffusion engine is not configured on this server "
                "(AVATARSAAS_SD_MODEL); use engine 'vector' or 'auto'."
            ),
            field="engine",
        )
    return name


def get_engine(name: str) -> Engine:
    if name == "vector":
        key: tuple = ("vector",)
    elif name == "diffusers":
        key = (
            "diffusers",
            settings.AVATARSAAS_SD_MODEL,
            settings.AVATARSAAS_DEVICE,
            settings.AVATARSAAS_SAFETY_CHECKER,
            tuple(sorted(settings.AVATARSAAS_CONTROLNET_MODELS.items())),
            settings.AVATARSAAS_INPAINT_MODEL,
            settings.AVATARSAAS_VAE_MODEL,
            settings.AVATARSAAS_SPEED,
            settings.AVATARSAAS_COMPILE_MODE,
            settings.AVATARSAAS_VAE_MEMORY,
            settings.AVATARSAAS_FAST_MODE,
            settings.AVATARSAAS_FAST_LORA,
        )
    else:
        raise InvalidInput(gettext("Unknown engine '%(name)s'.") % {"name": name}, field="engine")
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _build_engine(name)
            _engines[key] = engine
        return engine


def _build_engine(name: str) -> Engine:
    if name == "vector":
        return VectorEngine()
    device, _ = pick_device(settings.AVATARSAAS_DEVICE)
    return DiffusersEngine(
        settings.AVATARSAAS_SD_MODEL,
        device=settings.AVATARSAAS_DEVICE,
        lora_cache_size=settings.AVATARSAAS_LORA_CACHE_SIZE,
        safety_checker_dir=settings.AVATARSAAS_SAFETY_CHECKER or None,
        controlnet_dirs=settings.AVATARSAAS_CONTROLNET_MODELS,
        inpaint_model_dir=settings.AVATARSAAS_INPAINT_MODEL or None,
        speed=SpeedOptions.parse(
            settings.AVATARSAAS_SPEED,
            device=device,
            compile_mode=settings.AVATARSAAS_COMPILE_MODE,
            vae_memory=settings.AVATARSAAS_VAE_MEMORY,
        ),
        fast_kind=fast_mode(),
        fast_lora=settings.AVATARSAAS_FAST_LORA or None,
        vae_dir=settings.AVATARSAAS_VAE_MODEL or None,
    )


def warm_up_configured() -> bool:
    """Load and warm the configured diffusion engine (idempotent); False when none is."""
    if not (settings.AVATARSAAS_WARM_UP and diffusion_configured()):
        return False
    engine = get_engine("diffusers")
    assert isinstance(engine, DiffusersEngine)
    engine.warm_up()
    return True


def get_scorer() -> ClipScorer | None:
    """The CLIP scorer, or None when no CLIP checkpoint is configured."""
    if not clip_configured():
        return None
    key = (
        settings.AVATARSAAS_CLIP_ARCH,
        settings.AVATARSAAS_CLIP_CHECKPOINT,
        settings.AVATARSAAS_DEVICE,
    )
    with _lock:
        scorer = _scorers.get(key)
        if scorer is None:
            scorer = ClipScorer(key[0], key[1], device=key[2])
            _scorers[key] = scorer
        return scorer


def reset() -> None:
    """Forget warm engines (tests and settings changes)."""
    with _lock:
        _engines.clear()
        _scorers.clear()
