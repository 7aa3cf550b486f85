"""Task pipelines derived from one warm base pipeline: ControlNet, image-to-image, inpainting.

`AutoPipelineFor{Text2Image,Image2Image,Inpainting}.from_pipe` builds each task's pipeline out
of the base pipeline's own modules (UNet with its LoRA layers, VAE, text encoders, tokenizers),
so nothing is loaded or copied twice, and an adapter set on the base is active in every task.
Derived pipelines are cached per (task, control types); ControlNet weights load once per
directory (one directory per control type, from settings). SD 1.x and SDXL both map through
diffusers' own auto-pipeline tables (e.g. StableDiffusionXLPipeline + controlnet ->
StableDiffusionXLControlNetPipeline).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from generation.engines.base import EngineError, RenderRequest
from generation.engines.loading import model_hash, resolve_model_path
from generation.engines.masks import generation_mask

AUTO_CLASSES = {
    "txt2img": "AutoPipelineForText2Image",
    "img2img": "AutoPipelineForImage2Image",
    "inpaint": "AutoPipelineForInpainting",
}


def control_types(request: RenderRequest) -> tuple[str, ...]:
    return tuple(c.type for c in request.controls)


class PipelineSet:
    """The base pipeline plus the task pipelines made from it, for one engine."""

    def __init__(self, base: Any, *, device: str, dtype: Any, controlnet_dirs: Mapping[str, Any]):
        self.base = base
        self.device, self.dtype = device, dtype
        self.controlnet_dirs = {k: v for k, v in dict(controlnet_dirs or {}).items() if v}
        self._controlnets: dict[str, Any] = {}  # resolved directory -> ControlNetModel
        self._derived: dict[tuple[str, tuple[str, ...]], Any] = {}
        self.controlnet_loads = 0
        self.pipelines_built = 0

    # -- ControlNet weights ------------------------------------------------------------------

    def controlnet_path(self, control_type: str) -> Path:
        configured = self.controlnet_dirs.get(control_type)
        if not configured:
            raise EngineError(
                f"controls: no ControlNet is configured for {control_type!r} "
                f"(AVATARSAAS_CONTROLNET_{control_type.upper()}).",
                code="controlnet_not_configured",
            )
        return resolve_model_path(
            configured,
            what=f"{control_type} ControlNet",
            setting=f"AVATARSAAS_CONTROLNET_{control_type.upper()}",
        ).resolve()

    def controlnet_hash(self, control_type: str) -> str:
        return model_hash(self.controlnet_path(control_type))

    def controlnet(self, control_type: str) -> Any:
        key = str(self.controlnet_path(control_type))
        model = self._controlnets.get(key)
        if model is None:
            from diffusers import ControlNetModel

            try:
                model = ControlNetModel.from_pretrained(key, local_files_only=True)
            except (OSError, ValueError) as exc:
                raise EngineError(
                    f"controls: could not load the {control_type} ControlNet at {key}: {exc}",
                    code="controlnet_invalid",
                ) from exc
            model = model.to(self.device, self.dtype).eval()
            self._controlnets[key] = model
            self.controlnet_loads += 1
        return model

    # -- task pipelines ----------------------------------------------------------------------

    def pipeline(self, task: str, controls: tuple[str, ...] = ()) -> Any:
        """The pipeline for `task` ("txt2img", "img2img", "inpaint") with these ControlNets."""
        if task == "txt2img" and not controls:
            return self.base
        key = (task, controls)
        pipe = self._derived.get(key)
        if pipe is None:
            import diffusers

            kwargs: dict[str, Any] = {}
            if controls:
                nets = [self.controlnet(t) for t in controls]
                # A list becomes a MultiControlNetModel inside the pipeline.
                kwargs["controlnet"] = nets[0] if len(nets) == 1 else nets
            pipe = getattr(diffusers, AUTO_CLASSES[task]).from_pipe(self.base, **kwargs)
            pipe.set_progress_bar_config(disable=True)
            self._derived[key] = pipe
            self.pipelines_built += 1
        return pipe

    @property
    def cached(self) -> list[str]:
        """Names of the derived pipelines held, e.g. 'txt2img+canny'."""
        return ["+".join((task, *controls)) for task, controls in self._derived]


def task_kwargs(request: RenderRequest) -> dict[str, Any]:
    """The task-specific keyword arguments of the pipeline call for `request`."""
    kwargs: dict[str, Any] = {}
    if request.controls:
        maps = [c.image for c in request.controls]
        scales = [float(c.scale) for c in request.controls]
        # Text-to-image ControlNet pipelines take the map as `image`; the image-to-image and
        # inpainting ones use `image` for the picture being changed and `control_image` here.
        name = "image" if request.mode == "txt2img" else "control_image"
        kwargs[name] = maps[0] if len(maps) == 1 else maps
        kwargs["controlnet_conditioning_scale"] = scales[0] if len(scales) == 1 else scales
    if request.mode == "txt2img":
        kwargs.update(width=request.width, height=request.height)
    elif request.mode == "img2img":
        kwargs.update(image=init_input(request), strength=float(request.strength or 0.0))
    else:  # inpaint: the model repaints the grown mask; the engine composites afterwards
        kwargs.update(
            image=request.init_image,
            mask_image=generation_mask(request.mask_image),
            strength=float(request.strength or 1.0),
            width=request.width,
            height=request.height,
        )
    return kwargs


def task_metadata(request: RenderRequest, pipelines: PipelineSet) -> dict[str, Any]:
    """What a controlled, varied or edited render adds to the candidate's metadata."""
    init_from = None
    if request.init_latents is not None:
        init_from = "latents"
    elif request.init_image is not None:
        init_from = "pixels"
    return {
        "mode": request.mode,
        "strength": request.strength,
        "init_hash": request.init_hash,
        "init_from": init_from,
        "mask_hash": request.mask_hash,
        "controls": [
            {
                "type": c.type,
                "scale": c.scale,
                "map_hash": c.map_hash,
                "model_hash": pipelines.controlnet_hash(c.type),
            }
            for c in request.controls
        ],
    }


def init_input(request: RenderRequest) -> Any:
    """What an img2img pipeline starts from: the parent's own latents when kept (a 4-channel
    tensor is taken as latents as-is, so the parent re-enters the model without a VAE round
    trip), else its pixels (encoded by the VAE)."""
    if request.init_latents is None:
        return request.init_image
    import torch

    return torch.from_numpy(request.init_latents)
