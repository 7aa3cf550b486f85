"""Loading a tiny pipeline from disk and rendering the same image with it, for the LoRA
training tests (SD 1.x and SDXL alike)."""

from __future__ import annotations

TRIGGER = "acmebot"


def load_pipeline(model_dir):
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

    from generation.training.models import SDXL, pipeline_kind

    if pipeline_kind(model_dir) == SDXL:
        pipe = StableDiffusionXLPipeline.from_pretrained(model_dir, local_files_only=True)
    else:
        pipe = StableDiffusionPipeline.from_pretrained(
            model_dir, safety_checker=None, requires_safety_checker=False, local_files_only=True
        )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def render(pipe):
    import torch

    with torch.inference_mode():
        return pipe(
            f"{TRIGGER}, a friendly robot",
            num_inference_steps=2,
            height=64,
            width=64,
            guidance_scale=5.0,
            generator=torch.Generator("cpu").manual_seed(0),
            output_type="pt",
        ).images
