"""What the diffusers engine accepts: schedulers, blocked words, request checks, replay requests."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from core.vocabulary import CONTROL_TYPES
from generation.engines.base import (
    AdapterRef,
    ControlRef,
    EngineError,
    PromptBlocked,
    RenderRequest,
)

MAX_CONTROLS = 4
MAX_CONTROL_SCALE = 2.0

# name -> (diffusers scheduler class, extra config). Built from the model's own scheduler config
# so betas/timestep spacing match what the model was trained with.
SCHEDULERS: dict[str, tuple[str, dict[str, Any]]] = {
    "dpmpp_2m_karras": ("DPMSolverMultistepScheduler", {"use_karras_sigmas": True}),
    "euler_a": ("EulerAncestralDiscreteScheduler", {}),
    "ddim": ("DDIMScheduler", {}),
    "lcm": ("LCMScheduler", {}),
    # Few-step distilled models (engines.few_step), not offered as a user's sampler choice.
    "euler_trailing": ("EulerDiscreteScheduler", {"timestep_spacing": "trailing"}),
    "euler_a_trailing": ("EulerAncestralDiscreteScheduler", {"timestep_spacing": "trailing"}),
}

# A deliberately small first line of defence; the optional safety checker looks at pixels.
# Only the positive prompt is checked: negative prompts routinely name these words.
BLOCKED_WORDS = frozenset(
    {
        "nsfw",
        "nude",
        "nudity",
        "naked",
        "topless",
        "porn",
        "pornographic",
        "sex",
        "sexual",
        "explicit",
        "hentai",
        "gore",
        "gory",
        "decapitated",
        "dismembered",
        "mutilated",
    }
)
_WORD_RE = re.compile(r"[a-z]+")


def check_prompt(prompt: str) -> None:
    """Raise PromptBlocked naming the first blocked word found in `prompt`."""
    for word in _WORD_RE.findall(prompt.lower()):
        if word in BLOCKED_WORDS:
            raise PromptBlocked(f"The prompt contains a blocked word: {word!r}.")


def request_from_metadata(
    metadata: dict[str, Any],
    *,
    adapter_path: str | None = None,
    control_maps: Sequence[Any] = (),
    init_image: Any = None,
    init_latents: Any = None,
    mask_image: Any = None,
) -> RenderRequest:
    """Rebuild the request that produced a candidate; its pixels are at `batch_index`.

    The adapter's weights path and the control maps' pixels are not stored in image metadata
    (they are storage detail), so the caller passes them: `control_maps` in the order of
    metadata["controls"].
    """
    adapter = metadata.get("adapter")
    if adapter and not adapter_path:
        raise EngineError(
            "adapter_path: required to re-render with an adapter.", code="bad_request"
        )
    recorded = metadata.get("controls") or []
    if len(control_maps) != len(recorded):
        raise EngineError(
            f"control_maps: {len(recorded)} map(s) required to re-render.", code="bad_request"
        )
    return RenderRequest(
        prompt=metadata["prompt"],
        negative_prompt=metadata.get("negative_prompt", ""),
        seeds=tuple(metadata.get("batch_seeds") or [metadata["seed"]]),
        width=metadata["width"],
        height=metadata["height"],
        steps=metadata["steps"],
        guidance_scale=metadata["guidance_scale"],
        scheduler=metadata["scheduler"],
        adapter=(
            AdapterRef(adapter["version_id"], str(adapter_path), adapter["strength"])
            if adapter
            else None
        ),
        controls=tuple(
            ControlRef(c["type"], image, c["scale"], c.get("map_hash", ""))
            for c, image in zip(recorded, control_maps, strict=True)
        ),
        init_image=init_image,
        init_latents=init_latents,
        init_hash=metadata.get("init_hash") or "",
        strength=metadata.get("strength"),
        mask_image=mask_image,
        mask_hash=metadata.get("mask_hash") or "",
        fast=bool(metadata.get("fast")),
    )


def validate_request(request: RenderRequest) -> None:
    """Raise EngineError (bad_request) naming the first field the engine cannot render."""
    if not request.seeds:
        raise EngineError("seeds: at least one seed is required.", code="bad_request")
    if any(not 0 <= s < 2**63 for s in request.seeds):
        raise EngineError("seeds: each seed must be in [0, 2**63).", code="bad_request")
    if request.width % 8 or request.height % 8 or min(request.width, request.height) < 8:
        raise EngineError("width/height: must be positive multiples of 8.", code="bad_request")
    if request.steps < 1:
        raise EngineError("steps: must be at least 1.", code="bad_request")
    _validate_controls(request)
    _validate_init(request)
    if request.scheduler not in SCHEDULERS:
        raise EngineError(
            f"scheduler: unknown {request.scheduler!r}; accepted: {', '.join(SCHEDULERS)}.",
            code="bad_request",
        )


def _validate_controls(request: RenderRequest) -> None:
    if len(request.controls) > MAX_CONTROLS:
        raise EngineError(f"controls: at most {MAX_CONTROLS} per job.", code="bad_request")
    for c in request.controls:
        if c.type not in CONTROL_TYPES:
            raise EngineError(
                f"controls: unknown type {c.type!r}; accepted: {', '.join(CONTROL_TYPES)}.",
                code="bad_request",
            )
        if not 0.0 <= c.scale <= MAX_CONTROL_SCALE:
            raise EngineError(
                f"controls: scale must be between 0 and {MAX_CONTROL_SCALE}.", code="bad_request"
            )
        if tuple(c.image.size) != (request.width, request.height):
            raise EngineError(
                f"controls: a {c.type} map is {c.image.size[0]}x{c.image.size[1]}, the render "
                f"{request.width}x{request.height}.",
                code="bad_request",
            )


def _validate_init(request: RenderRequest) -> None:
    if request.mode == "txt2img":
        return
    strength = request.strength
    if strength is None or not 0.0 < strength <= 1.0:
        raise EngineError("strength: must be in (0, 1].", code="bad_request")
    if int(request.steps * strength) < 1:
        # diffusers runs int(steps x strength) denoising steps; zero would render nothing.
        raise EngineError(
            f"strength: {strength} of {request.steps} steps is less than one step.",
            code="bad_request",
        )
    size = (request.width, request.height)
    if request.init_image is not None and tuple(request.init_image.size) != size:
        raise EngineError("init_image: must be the render size.", code="bad_request")
    if request.mask_image is not None:
        if request.init_image is None:
            raise EngineError("mask_image: an edit needs the parent image.", code="bad_request")
        if tuple(request.mask_image.size) != size:
            raise EngineError("mask_image: must be the render size.", code="bad_request")
