"""A claimed job -> the engine's RenderRequest, with its stored inputs read back and checked.

Control maps (and, for variations and region edits, the parent image, its latents and the
mask) were stored at submit under the tenant's prefix with their sha256; a file that is gone
or no longer matches its hash fails the job instead of rendering something else.
"""

from __future__ import annotations

import io
from typing import Any

from core import storage
from generation.engines.base import AdapterRef, ControlRef, EngineError, RenderRequest
from generation.engines.control_maps import sha256_hex
from generation.jobs.render_config import PresetRenderConfig
from generation.models import GenerationJob


def read_checked(name: str, expected_hash: str, what: str) -> bytes:
    try:
        data = storage.read_bytes(name)
    except FileNotFoundError as exc:
        raise EngineError(
            f"The {what} of this job is no longer stored.", code="input_missing"
        ) from exc
    if expected_hash and sha256_hex(data) != expected_hash:
        raise EngineError(f"The stored {what} changed since submit.", code="input_changed")
    return data


def open_png(data: bytes, mode: str) -> Any:
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert(mode)


def control_refs(job: GenerationJob) -> tuple[ControlRef, ...]:
    return tuple(
        ControlRef(
            c["type"],
            open_png(read_checked(c["map"], c["map_hash"], f"{c['type']} control map"), "RGB"),
            float(c["scale"]),
            c["map_hash"],
        )
        for c in job.controls or ()
    )


def parent_inputs(job: GenerationJob) -> dict[str, Any]:
    """A variation's or edit's starting point: the parent's pixels (and latents), the mask."""
    if job.mode == "generate":
        return {}
    parent = job.parent_image
    if parent is None:
        raise EngineError("The image this job starts from was deleted.", code="parent_missing")
    pixels = read_checked(parent.original.name, "", "parent image")
    inputs: dict[str, Any] = {
        "init_image": open_png(pixels, "RGB"),
        "init_hash": sha256_hex(pixels),
        "strength": job.strength,
    }
    if job.mode == "vary" and job.engine == "diffusers" and parent.latents:
        import numpy as np

        data = read_checked(parent.latents.name, "", "parent latents")
        inputs["init_latents"] = np.load(io.BytesIO(data), allow_pickle=False)
        inputs["init_hash"] = sha256_hex(data)
    if job.mode == "edit":
        mask = read_checked(job.mask.name, job.mask_hash, "mask")
        inputs["mask_image"] = open_png(mask, "L")
        inputs["mask_hash"] = job.mask_hash
    return inputs


def render_request_for(
    job: GenerationJob, config: PresetRenderConfig, adapter: AdapterRef | None
) -> RenderRequest:
    return RenderRequest(
        prompt=job.prompt,
        negative_prompt=job.negative_prompt,
        attributes=job.attributes,
        seeds=tuple(job.seeds),
        width=job.size,
        height=job.size,
        steps=job.steps,
        guidance_scale=job.guidance_scale,
        scheduler=job.scheduler,
        adapter=adapter,
        palette=config.palette,
        controls=control_refs(job),
        fast=job.speed == "fast",
        **parent_inputs(job),
    )
