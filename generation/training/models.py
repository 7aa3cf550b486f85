"""The models a LoRA run trains: which pipeline the base model is, loading its parts frozen in
the run's precision, and attaching the LoRA layers.

SD 1.x has one tokenizer and text encoder; SDXL a second pair (`tokenizer_2`,
`text_encoder_2`, see `generation.training.sdxl`). Which one a directory holds is read from it,
as the engine does, so an operator switches to SDXL by pointing AVATARSAAS_SD_MODEL at one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generation.engines.base import EngineError
from generation.engines.loading import pick_device, pipeline_class_name
from generation.training.config import (
    TEXT_ENCODER_TARGET_MODULES,
    UNET_TARGET_MODULES,
    TrainConfig,
)

SD1, SDXL = "sd1", "sdxl"
TEXT_ENCODERS = ("text_encoder", "text_encoder_2")


def training_device(preference: str, mixed_precision: str) -> tuple[str, Any]:
    """(device, weight dtype): fp32 on CPU; bf16 (if supported) or fp16 on CUDA."""
    import torch

    device, _ = pick_device(preference)
    if device == "cpu" or mixed_precision == "no":
        return device, torch.float32
    if mixed_precision == "fp16":
        return device, torch.float16
    if mixed_precision == "bf16" or torch.cuda.is_bf16_supported():
        return device, torch.bfloat16
    return device, torch.float16


def pipeline_kind(model_dir: Path) -> str:
    """SD1 or SDXL, from model_index.json; EngineError(bad_model) for anything else."""
    if not (model_dir / "model_index.json").is_file():
        raise EngineError(f"{model_dir} is not a diffusers pipeline directory.", code="bad_model")
    cls = pipeline_class_name(model_dir)
    if cls == "StableDiffusionPipeline":
        return SD1
    # An SDXL base has both encoders; the refiner (text_encoder_2 only) is not a base model.
    if cls == "StableDiffusionXLPipeline" and (model_dir / "text_encoder").is_dir():
        return SDXL
    raise EngineError(
        f"LoRA training supports SD 1.x and SDXL base pipelines; {model_dir} holds {cls}.",
        code="bad_model",
    )


def load_components(model_dir: Path, device: str, dtype: Any) -> dict[str, Any]:
    """The pipeline's parts, frozen, on `device` in `dtype`; "kind" says which pipeline."""
    import torch
    from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    kind = pipeline_kind(model_dir)
    kw = {"local_files_only": True}
    parts = {
        "kind": kind,
        "tokenizer": CLIPTokenizer.from_pretrained(model_dir, subfolder="tokenizer", **kw),
        "text_encoder": CLIPTextModel.from_pretrained(model_dir, subfolder="text_encoder", **kw),
        "vae": AutoencoderKL.from_pretrained(model_dir, subfolder="vae", **kw),
        "unet": UNet2DConditionModel.from_pretrained(model_dir, subfolder="unet", **kw),
        # SDXL ships an Euler config; the training noise schedule is the same betas as DDPM.
        "scheduler": DDPMScheduler.from_pretrained(model_dir, subfolder="scheduler", **kw),
    }
    if kind == SDXL:
        from generation.training.sdxl import load_second_encoder

        parts.update(load_second_encoder(model_dir))
    for name in ("vae", "unet", *TEXT_ENCODERS):
        if name in parts:
            parts[name].requires_grad_(False)
            parts[name].to(device, dtype=dtype)
    if kind == SDXL and dtype == torch.float16:
        # SDXL's VAE overflows to NaN in fp16 (diffusers' SDXL scripts keep it in fp32).
        parts["vae"].to(dtype=torch.float32)
    return parts


def lora_models(parts: dict[str, Any], config: TrainConfig) -> dict[str, Any]:
    """{name: model} of the models carrying LoRA layers: the UNet, and with
    `train_text_encoder` every text encoder of the pipeline (both for SDXL)."""
    models = {"unet": parts["unet"]}
    if config.train_text_encoder:
        models.update({name: parts[name] for name in TEXT_ENCODERS if name in parts})
    return models


def add_lora(parts: dict[str, Any], config: TrainConfig) -> list[Any]:
    """Attach fresh LoRA layers; returns the trainable parameters (fp32)."""
    import torch
    from diffusers.training_utils import cast_training_params
    from peft import LoraConfig, inject_adapter_in_model

    def lora(targets) -> Any:
        return LoraConfig(
            r=config.rank,
            lora_alpha=config.alpha,
            init_lora_weights="gaussian",
            target_modules=list(targets),
        )

    models = lora_models(parts, config)
    for name, model in models.items():
        if name == "unet":
            model.add_adapter(lora(UNET_TARGET_MODULES))
        else:
            # transformers' own `add_adapter` demands a newer peft than the index has (5.x asks
            # for >= 0.22); peft injects the same layers, named "default" as `add_adapter` names
            # them, and sets `peft_config` on the model, so saving and loading see no difference.
            inject_adapter_in_model(lora(TEXT_ENCODER_TARGET_MODULES), model, "default")
    # Half-precision optimizer states underflow; only the small LoRA matrices go to fp32.
    cast_training_params(list(models.values()), dtype=torch.float32)
    if config.gradient_checkpointing:
        for name, model in models.items():
            if name == "unet":
                model.enable_gradient_checkpointing()
            else:
                # transformers 5 renamed it (the old name warns); 4.x has only the old one.
                enable = getattr(model, "activation_checkpointing_enable", None)
                (enable or model.gradient_checkpointing_enable)()
    return [p for m in models.values() for p in m.parameters() if p.requires_grad]
